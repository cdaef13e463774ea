"""commercetools' own parser on the repository's connect.yaml files: the fixtures and the documentation's
examples must stay valid for commercetools Connect (one tag publishes on both platforms).

Runs npm ``@commercetools-connect/specification`` 0.0.16 with node (``tests/catalog/official_parser.py``;
``.ci/run`` installs it into ``.ci/node``). Without node or the package these tests are skipped,
and under ``CI=true`` they fail.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from catalog_service.domain.specification import read_specification
from tests.catalog import test_source
from tests.catalog.gitrepos import GOOD_SPEC
from tests.catalog.official_parser import ROOT, official_verdicts
from tests.catalog.test_published_specification import EVERY_FIELD
from tests.instance.helpers import MINIMAL_SPEC
from tests.reliability.stack import SEED_SPEC

FIXTURES = {
    "tests/catalog/gitrepos.py GOOD_SPEC": GOOD_SPEC,
    "tests/catalog/test_source.py GOOD_SPEC": test_source.GOOD_SPEC,
    "tests/catalog/test_published_specification.py EVERY_FIELD": EVERY_FIELD,
    "tests/instance/helpers.py MINIMAL_SPEC": MINIMAL_SPEC,
    "tests/reliability/stack.py SEED_SPEC": SEED_SPEC,
}
_HEREDOC = re.compile(r"cat > \"?[^\s\"]*connect\.yaml\"? <<'(\w+)'\n(.*?)\n\1\n", re.S)  # not `cat >>`
_YAML_BLOCK = re.compile(r"```yaml\n(.*?)```", re.S)


def documented_examples() -> dict[str, str]:
    """Every connect.yaml written in README.md and docs/*.md: heredocs into connect.yaml, and ```yaml
    blocks with a top-level deployAs."""
    examples = {}
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        found = [m.group(2) + "\n" for m in _HEREDOC.finditer(text)]
        found += [m.group(1) for m in _YAML_BLOCK.finditer(text) if re.search(r"^deployAs:", m.group(1), re.M)]
        for n, example in enumerate(found):
            examples[f"{path.relative_to(ROOT)} example {n + 1}"] = example
    return examples


def test_the_fixtures_are_valid_for_commercetools():
    names = list(FIXTURES)
    verdicts = official_verdicts([FIXTURES[name] for name in names])
    assert {name: errors for name, (valid, errors) in zip(names, verdicts) if not valid} == {}
    assert all(read_specification(FIXTURES[name]).specification is not None for name in names)


EXAMPLES = documented_examples()


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_documented_examples_are_valid_for_commercetools(name):
    ((valid, errors),) = official_verdicts([EXAMPLES[name]])
    assert valid, errors
    assert read_specification(EXAMPLES[name]).errors == ()


def test_the_examples_were_found():
    assert any(name.startswith("README.md") for name in EXAMPLES), sorted(EXAMPLES)


def test_the_documented_plugboard_yaml_goes_with_its_connect_yaml():
    """docs/connect-yaml.md: its plugboard.yaml example names keys of its connect.yaml example."""
    text = (ROOT / "docs" / "connect-yaml.md").read_text(encoding="utf-8")
    blocks = [m.group(1) for m in _YAML_BLOCK.finditer(text)]
    (connect,) = [b for b in blocks if b.startswith("deployAs:")]
    (plugboard,) = [b for b in blocks if b.startswith("connection:")]
    reading = read_specification(connect, plugboard)
    assert reading.errors == () and reading.warnings == ()
    assert reading.specification.connection.authentication.type == "oauth2_client_credentials"
    assert [app.type for app in reading.specification.applications] == ["service", "event", "job", "assets"]


def test_generated_files_get_the_official_verdicts_and_messages():
    """1 000 files generated from the schema's fields (a fixed seed): the same verdict as commercetools'
    parser on each, and where the official schema refuses one, the same messages."""
    from tests.catalog.spec_generator import generated

    files = generated(seed=18, count=1000)
    verdicts = official_verdicts(files)
    assert 100 < sum(valid for valid, _ in verdicts) < 900  # both verdicts are well represented
    disagreements = []
    for text, (valid, official_errors) in zip(files, verdicts):
        reading = read_specification(text)
        ours = sorted(error.removeprefix("connect.yaml: ") for error in reading.errors)
        if (reading.specification is not None) != valid or (not valid and ours != sorted(official_errors)):
            disagreements.append((text, official_errors, ours))
    assert disagreements[:3] == []
