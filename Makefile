# Plugboard developer commands. Every target installs what it needs into .venv first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: install up test bench gen check-gen lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

## Start the whole stack (gateway, catalog, instance) on embedded SQLite under ./data.
## A development stack: connectors may also be published from local (file://) git repositories.
up: install
	PLUGBOARD_GIT_ALLOW_FILE_URLS="$${PLUGBOARD_GIT_ALLOW_FILE_URLS:-true}" $(VENV)/bin/plugboard up

## Run the test suite (SQLite and, when reachable, the local PostgreSQL) on TEST_WORKERS processes
## (pytest-xdist; a test file stays on one worker). TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= 2
test: install
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

## The quick benchmark (see docs/performance.md); BENCH_ARGS adds options, e.g. BENCH_ARGS="--db sqlite".
bench: install
	$(PY) -m bench --quick $(BENCH_ARGS)

## Regenerate Python code and type stubs from protos/.
gen: install
	$(PY) -m plugboard.codegen

## Fail when the committed generated code differs from what protos/ produce.
check-gen: install
	$(PY) -m plugboard.codegen --check

clean:
	rm -rf $(VENV) data .pytest_cache
