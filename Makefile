# Plugboard developer commands. Every target installs what it needs into .venv first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: install up test gen check-gen lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

## Start the whole stack (gateway, catalog, instance) on embedded SQLite under ./data.
up: install
	$(VENV)/bin/plugboard up

## Run the test suite (SQLite and, when reachable, the local PostgreSQL).
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

## Regenerate Python code and type stubs from protos/.
gen: install
	$(PY) -m plugboard.codegen

## Fail when the committed generated code differs from what protos/ produce.
check-gen: install
	$(PY) -m plugboard.codegen --check

clean:
	rm -rf $(VENV) data .pytest_cache
