"""Every ```sh block of README.md and docs/*.md, run as written against a real `plugboard up`.

The convention for whoever writes documentation:

- A file's ```sh blocks run in order, in ONE bash with ``set -euo pipefail``: a block may use what an
  earlier block of the same file defined (say so in the prose, e.g. "continuing from the block above");
  nothing carries over from one file to the next, so each file starts with the set-up it needs.
- They run from a directory laid out like a checkout after ``make up``: ``.venv`` (the environment these
  tests run in, so ``.venv/bin/plugboard`` works), ``protos/``, ``bench/``, and ``data/`` holding the
  stack's databases and the development key (``data/dev-api-key``).
- The stack is one ``plugboard up`` for all files, on free ports, with ``PLUGBOARD_GIT_ALLOW_FILE_URLS=true``
  as ``make up`` sets it. The default addresses written in the docs (``127.0.0.1:50050`` gateway gRPC,
  ``:50051`` catalog, ``:50052`` instance service, ``:8080`` HTTP/JSON) are rewritten to those ports.
  Keys and names a file creates must not clash with another file's (every file shares the stack).
- A command that is expected to fail says so explicitly, and checks how: the pages define
  ``expect CODE cmd...`` (runs a call that must fail with gRPC code CODE, shows the error, fails when the
  call succeeds or fails otherwise); a curl that must stop a stream checks its exit status
  (``|| [ $? = 28 ]``); ``cmd || true`` only where nothing about the failure matters.
- A block that must not run here (it starts the stack, runs the test suite or the benchmark, needs
  docker) is preceded by the line ``<!-- not run: <why> -->``; the test fails on a marker without a
  reason. Other fences (```text, ```yaml, ```json) are never run.

The README's spine is checked further: the secret stays hidden, the refused delete names the instance, the
last call is NOT_FOUND. Running the blocks needs ``buf`` (``npm install -g @bufbuild/buf``): without it the
test is skipped, except under ``CI=true``, where a missing buf fails it. ``PLUGBOARD_README`` names another
markdown file to run in place of README.md (to try a block before it is merged).
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from bench.procs import free_port

ROOT = Path(__file__).resolve().parent.parent
README = Path(os.environ.get("PLUGBOARD_README", ROOT / "README.md"))
DOCS = sorted((ROOT / "docs").glob("*.md"))
NOT_RUN = re.compile(r"<!--\s*not run:(.*?)-->\s*$")
FENCE = re.compile(r"^```(\S*)\s*$")
DEFAULT_ADDRESSES = {"GATEWAY": "127.0.0.1:50050", "CATALOG": "127.0.0.1:50051",
                     "INSTANCE": "127.0.0.1:50052", "HTTP": "127.0.0.1:8080"}
SCRIPT_TIMEOUT = 180


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    text: str
    not_run: str | None  # the reason given by a <!-- not run: ... --> marker, "" when it gives none


def sh_blocks(path: Path) -> list[Block]:
    """The ```sh blocks of a markdown file, each with the reason of a not-run marker before it."""
    blocks: list[Block] = []
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        start, body = i, []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        if fence.group(1) not in ("sh", "bash", "shell"):
            continue
        previous = next((line for line in reversed(lines[:start]) if line.strip()), "")
        marker = NOT_RUN.search(previous)
        blocks.append(Block(path, start + 1, "\n".join(body) + "\n",
                            marker.group(1).strip() if marker else None))
    return blocks


def script_of(blocks: list[Block], ports: dict[str, int]) -> str:
    """One bash script of the blocks that run, each announced on stderr so a failure names its block."""
    parts = ["set -euo pipefail"]
    for block in blocks:
        if block.not_run is not None:
            continue
        text = block.text
        for name, address in DEFAULT_ADDRESSES.items():
            text = text.replace(address, f"127.0.0.1:{ports[name]}")
        parts.append(f"echo '### {block.path.name}:{block.line}' >&2\n{text}")
    return "\n".join(parts)


@dataclass
class Stack:
    workdir: Path
    ports: dict[str, int]
    env: dict[str, str]

    def run(self, path: Path) -> subprocess.CompletedProcess[str]:
        script = script_of(sh_blocks(path), self.ports)
        return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=SCRIPT_TIMEOUT,
                              cwd=self.workdir, env=self.env)


def require_buf() -> None:
    if shutil.which("buf") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("buf is not installed, and under CI=true the README test must run "
                        "(npm install -g @bufbuild/buf)")
        pytest.skip("buf is not installed (npm install -g @bufbuild/buf)")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """One `plugboard up` on free ports, and a working directory laid out like a checkout after `make up`."""
    require_buf()
    workdir = tmp_path_factory.mktemp("checkout")
    for name in ("protos", "bench"):
        (workdir / name).symlink_to(ROOT / name)
    (workdir / ".venv").symlink_to(Path(sys.prefix))
    ports = {name: free_port() for name in DEFAULT_ADDRESSES}
    env = {key: value for key, value in os.environ.items() if not key.startswith("PLUGBOARD_")}
    env.update({f"PLUGBOARD_{name}_PORT": str(port) for name, port in ports.items()})
    env["PLUGBOARD_GIT_ALLOW_FILE_URLS"] = "true"
    up = subprocess.Popen([sys.executable, "-m", "plugboard", "up"], env=env, cwd=workdir,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        banner = ""
        while "gateway" not in banner.lower() or str(ports["GATEWAY"]) not in banner:
            line = up.stdout.readline()
            assert line and time.monotonic() < deadline, f"plugboard up did not start:\n{banner}"
            banner += line
        assert (workdir / "data" / "dev-api-key").exists(), banner
        # Keep reading the stack's log: a full pipe would block its servers' next log line (and the call
        # that writes it). The last lines are kept for a failure's report.
        tail: collections.deque[str] = collections.deque(maxlen=200)
        threading.Thread(target=lambda: tail.extend(up.stdout), daemon=True).start()
        yield Stack(workdir, ports, env)
    finally:
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(30)
        finally:
            if up.poll() is None:
                up.kill()


def check_ran(done: subprocess.CompletedProcess[str], path: Path) -> str:
    output = done.stdout + done.stderr
    print(output)  # shown with -s, and by pytest when a later assertion fails
    markers = re.findall(r"^### (\S+)$", done.stderr, re.M)
    assert done.returncode == 0, (f"{path.name}: the block at {markers[-1] if markers else '?'} failed "
                                  f"(exit {done.returncode}):\n{output[-6000:]}")
    return output


def test_every_sh_block_has_a_reason_when_it_is_not_run():
    for path in [README, *DOCS]:
        for block in sh_blocks(path):
            assert block.not_run != "", f"{path.name}:{block.line}: a not-run marker needs a reason"


def test_the_readme_runs_as_written_and_its_spine_does_what_it_says(stack):
    output = check_ran(stack.run(README), README)
    assert "s3cr3t" not in output, "a secret value reached the caller"
    assert '"valueSet": true' in output and '"fingerprint"' in output
    assert output.count("failed_precondition") == 1, output
    assert "is used by 1 instance ('Shop EU')" in output, output
    assert '"deleted": true' in output
    assert '"code": "not_found"' in output, output


@pytest.mark.parametrize("path", DOCS, ids=[path.name for path in DOCS])
def test_every_docs_page_runs_as_written(stack, path):
    check_ran(stack.run(path), path)
