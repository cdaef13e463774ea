"""The README's spine, run as written against a real `plugboard up` (needs `buf`; CI installs it).

``PLUGBOARD_README`` names another markdown file to take the spine block from (to try a new block
before it is merged into README.md)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("buf") is None, reason="buf is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spine_block() -> str:
    text = Path(os.environ.get("PLUGBOARD_README", ROOT / "README.md")).read_text()
    section = text.split("## The spine, by hand", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def test_readme_spine_runs_as_written(tmp_path):
    ports = {name: free_port() for name in ("GATEWAY", "CATALOG", "INSTANCE", "HTTP")}
    # The spine publishes from a local git repository; the API key is the one `plugboard up` writes.
    env = {**os.environ, "PLUGBOARD_DATA_DIR": str(tmp_path / "data"), "PLUGBOARD_GIT_ALLOW_FILE_URLS": "true"}
    env.update({f"PLUGBOARD_{name}_PORT": str(port) for name, port in ports.items()})
    up = subprocess.Popen([sys.executable, "-m", "plugboard", "up"], env=env, cwd=tmp_path,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        banner = ""
        while "gateway" not in banner.lower() or str(ports["GATEWAY"]) not in banner:
            line = up.stdout.readline()
            assert line and time.monotonic() < deadline, f"plugboard up did not start:\n{banner}"
            banner += line
        script = spine_block().replace("127.0.0.1:50050", f"127.0.0.1:{ports['GATEWAY']}") \
            .replace("127.0.0.1:8080", f"127.0.0.1:{ports['HTTP']}")
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
        output = done.stdout + done.stderr
        assert "s3cr3t" not in output, "a secret value reached the caller"
        assert '"valueSet": true' in output and '"fingerprint"' in output
        assert output.count("failed_precondition") == 1, output
        assert "is used by 1 instance ('Shop EU')" in output, output
        assert '"deleted": true' in output
        assert output.rstrip().endswith("}") and '"code": "not_found"' in output, output
    finally:
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(30)
        finally:
            if up.poll() is None:
                up.kill()
