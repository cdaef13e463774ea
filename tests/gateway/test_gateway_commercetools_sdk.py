"""commercetools' own SDK (npm ``@commercetools-connect/sdk``) against a fresh ``plugboard up`` (catalog,
instance service and gateway as one real process, its development key): every route and update action
its request builders offer, every answer checked against its TypeScript models.

The node script ``sdk/commercetools_sdk_check.js`` reads the SDK's ``.d.ts`` models, drives the facade
with the SDK's request builders (the API key as a Bearer token through its ``executeRequest``) and
reports each answer that differs from its model. The SDK comes from ``.ci/run`` (``npm install
--prefix .ci/node``) or ``PLUGBOARD_CT_SDK`` (the package directory). Without node or the SDK the test
is skipped, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.catalog.gitrepos import shared_repo_url
from bench.procs import free_port as _free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("sdk") / "commercetools_sdk_check.js"
SDK = Path(os.environ.get("PLUGBOARD_CT_SDK") or ROOT / ".ci/node/node_modules/@commercetools-connect/sdk")


def _sdk_or_skip() -> str:
    node = shutil.which("node")
    missing = "node is not installed" if node is None else None
    if missing is None and not (SDK / "dist/generated/models/connector.d.ts").is_file():
        missing = f"the SDK is not installed at {SDK} (npm install --prefix .ci/node @commercetools-connect/sdk)"
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    return node  # type: ignore[return-value]


def _plugboard_up(data: Path) -> tuple[subprocess.Popen[str], str]:
    """``plugboard up`` on free ports (publishing from local repositories allowed); it and its HTTP URL."""
    ports = {name: _free_port() for name in ("GATEWAY", "CATALOG", "INSTANCE", "HTTP")}
    env = {**os.environ, "PLUGBOARD_DATA_DIR": str(data), "PLUGBOARD_GIT_ALLOW_FILE_URLS": "true"}
    env.update({f"PLUGBOARD_{name}_PORT": str(port) for name, port in ports.items()})
    up = subprocess.Popen([sys.executable, "-m", "plugboard", "up"], env=env, cwd=data.parent,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    base = f"http://127.0.0.1:{ports['HTTP']}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # waiting for a start-up, not measuring it
        assert up.poll() is None, "plugboard up exited"
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", ports["HTTP"])) == 0 and (data / "dev-api-key").is_file():
                return up, base
        time.sleep(0.2)
    up.kill()
    raise AssertionError("plugboard up did not serve HTTP within 90 s")


def test_every_sdk_request_is_answered_as_its_models_say(tmp_path, unique):
    node = _sdk_or_skip()
    up, base = _plugboard_up(tmp_path / "data")
    try:
        key = (tmp_path / "data" / "dev-api-key").read_text().strip()
        done = subprocess.run([node, str(SCRIPT), str(SDK), base, key, shared_repo_url(), unique],
                              capture_output=True, text=True, timeout=180)
    finally:
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(30)
        finally:
            if up.poll() is None:
                up.kill()
    assert done.stdout.strip(), done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "crash" not in report, report["crash"]
    wrong = [c for c in report["checks"] if c["problems"]]
    assert not wrong, json.dumps(wrong, indent=1)[:4000]
    names = [c["name"] for c in report["checks"]]
    assert len(names) >= 30, names  # the script itself checks that every ConnectorUpdateAction was sent
    assert {n.split(" ")[0] for n in names} >= {
        "drafts.post", "drafts.get", "drafts.withId.get", "drafts.withKey.get", "drafts.withId.post",
        "drafts.withKey.post", "connectors.withId.get", "connectors.withKey.get", "connectors.search.get"}
    print(f"\ncommercetools SDK: {len(names)} requests, {len(wrong)} answers differing from the models")
