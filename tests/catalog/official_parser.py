"""commercetools' own connect.yaml parser, run with node: npm ``@commercetools-connect/specification`` 0.0.16.

``.ci/run`` installs it into ``.ci/node`` (``npm install --prefix .ci/node``); ``PLUGBOARD_CT_SPEC_DIR``
names another installation. ``official_verdicts(texts)`` parses each text with
``ConnectorSpecificationParser().parse`` in one node process and returns (valid, error lines) per text.
``require_official()`` skips a test when node or the package is missing, and fails it under ``CI=true``:
CI must run these tests, not skip them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "@commercetools-connect/specification"
VERSION = "0.0.16"

_SCRIPT = """
import fs from "node:fs";
const { ConnectorSpecificationParser } = await import(process.argv[1]);
const texts = JSON.parse(fs.readFileSync(0, "utf8"));
const parser = new ConnectorSpecificationParser();
const out = [];
for (const text of texts) {
  try { await parser.parse(text); out.push([true, []]); }
  catch (err) { out.push([false, String(err && err.message).split("\\n")]); }
}
process.stdout.write(JSON.stringify(out));
"""


def package_dir() -> Path:
    configured = os.environ.get("PLUGBOARD_CT_SPEC_DIR")
    return Path(configured) if configured else ROOT / ".ci" / "node" / "node_modules" / PACKAGE


def require_official() -> Path:
    """The package's directory; skips (or, under CI=true, fails) when node or the package is missing."""
    missing = []
    if shutil.which("node") is None:
        missing.append("node is not on PATH")
    manifest = package_dir() / "package.json"
    if not manifest.is_file():
        missing.append(f"{PACKAGE} is not installed at {package_dir()} (npm install --prefix .ci/node "
                       f"{PACKAGE}@{VERSION})")
    elif json.loads(manifest.read_text())["version"] != VERSION:
        missing.append(f"{PACKAGE} at {package_dir()} is not version {VERSION}")
    if missing:
        message = "commercetools' parser is unavailable: " + "; ".join(missing)
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return package_dir()


def official_verdicts(texts: list[str]) -> list[tuple[bool, list[str]]]:
    """commercetools' verdict on each text: (valid, error lines)."""
    entry = (require_official() / "dist" / "index.js").as_uri()
    done = subprocess.run(["node", "--input-type=module", "-e", _SCRIPT, entry], input=json.dumps(texts),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return [(valid, errors) for valid, errors in json.loads(done.stdout)]
