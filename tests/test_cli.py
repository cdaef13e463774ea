"""The ``plugboard`` command: ``health`` exit codes, ``serve`` refusing bad settings, and ``up``
starting the whole stack in child processes and stopping it cleanly."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from catalog_service.server import create_server as create_catalog
from plugboard.cli import check_health, main
from plugboard.settings import Settings
from tests.harness import start_server
from bench.procs import free_port

ROOT = Path(__file__).resolve().parent.parent


def plugboard(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    """``python -m plugboard ARGS`` from the source tree, output captured as text."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **(env or {})}
    full_env = {k: v for k, v in full_env.items() if not k.startswith("PLUGBOARD_") or k in (env or {})}
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen([sys.executable, "-m", "plugboard", *args], cwd=ROOT, env=full_env,
                            stdout=subprocess.PIPE, text=True, **kwargs)


@pytest.fixture
def catalog_server(tmp_path):
    server = start_server(lambda: create_catalog(Settings(data_dir=tmp_path), port=0))
    yield server
    server.stop()


# --- health --------------------------------------------------------------------------------------


def test_health_is_zero_when_serving(catalog_server, capsys):
    assert main(["health", "--target", catalog_server.target]) == 0
    assert "SERVING" in capsys.readouterr().out
    assert main(["health", "--target", catalog_server.target,
                 "--service", "plugboard.catalog.v1.CatalogService"]) == 0


def test_health_is_non_zero_for_an_unknown_service_or_a_closed_port(catalog_server, capsys):
    assert main(["health", "--target", catalog_server.target, "--service", "plugboard.nope.v1.Nope"]) == 1
    assert "NOT_FOUND" in capsys.readouterr().out
    started = time.monotonic()
    assert main(["health", "--target", f"127.0.0.1:{free_port()}", "--timeout", "2"]) == 1
    assert "UNAVAILABLE" in capsys.readouterr().out
    assert time.monotonic() - started < 5


def test_health_command_exit_status(catalog_server):
    ok = plugboard("health", "--target", catalog_server.target)
    assert ok.wait(30) == 0, ok.stderr.read() if ok.stderr else ""
    down = plugboard("health", "--target", f"127.0.0.1:{free_port()}", "--timeout", "1")
    assert down.wait(30) == 1


# --- serve ---------------------------------------------------------------------------------------


def test_serve_refuses_a_bad_setting_with_one_line(tmp_path):
    process = plugboard("serve", "catalog", env={"PLUGBOARD_CATALOG_PORT": "not-a-port",
                                                 "PLUGBOARD_DATA_DIR": str(tmp_path)})
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert err.strip().splitlines() == ["plugboard: bad setting: PLUGBOARD_CATALOG_PORT must be a number"]


def test_unknown_component_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["serve", "nothing"])
    assert info.value.code == 2


# --- up ------------------------------------------------------------------------------------------


def read_until(process: subprocess.Popen[str], marker: str, timeout: float) -> str:
    """stdout up to and including the line containing ``marker`` (a reader thread, so a silent
    process cannot block the test past ``timeout``)."""
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"{marker!r} not printed within {timeout}s; got {''.join(seen)!r}")


def stack_env(tmp_path: Path) -> tuple[dict[str, str], dict[str, int]]:
    ports = {"gateway": free_port(), "catalog": free_port(), "instance": free_port()}
    env = {
        "PLUGBOARD_DATA_DIR": str(tmp_path / "data"),
        "PLUGBOARD_GATEWAY_PORT": str(ports["gateway"]),
        "PLUGBOARD_CATALOG_PORT": str(ports["catalog"]),
        "PLUGBOARD_INSTANCE_PORT": str(ports["instance"]),
        "PLUGBOARD_HTTP_PORT": str(free_port()),
        "PLUGBOARD_GRACE_SECONDS": "2",
    }
    return env, ports


def stop(process: subprocess.Popen[str]) -> None:
    """Make sure ``up`` is gone (its children die with it)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def test_up_starts_the_stack_prints_the_addresses_and_stops_on_sigterm(tmp_path):
    env, ports = stack_env(tmp_path)
    log = (tmp_path / "up.log").open("w")  # the children's logs: a file, never a pipe left full
    process = plugboard("up", "--timeout", "60", env=env, stderr=log, umask=0o022)
    try:
        banner = read_until(process, "Press Ctrl-C", timeout=90)
        for name, port in ports.items():
            assert f"{name}" in banner and f"127.0.0.1:{port}" in banner
        assert str((tmp_path / "data").resolve()) in banner
        for port in ports.values():
            assert check_health(f"127.0.0.1:{port}") == "SERVING"
        assert check_health(f"127.0.0.1:{ports['gateway']}",
                            "plugboard.instance.v1.InstanceService") == "SERVING"
        assert (tmp_path / "data").is_dir()
        # With the usual umask 022, the data directory is 0700 and every file in it 0600: databases,
        # their -wal/-shm files, the secret key file and the development API key.
        data = tmp_path / "data"
        assert data.stat().st_mode & 0o777 == 0o700
        modes = {path.name: path.stat().st_mode & 0o777 for path in data.iterdir()}
        for expected in ("catalog.db", "instance.db", "gateway.db", "secret.key", "dev-api-key",
                         "gateway.db-wal", "gateway.db-shm"):
            assert expected in modes, sorted(modes)
        assert modes == {name: 0o600 for name in modes}

        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        assert time.monotonic() - started < 20
        for port in ports.values():  # every child is gone
            assert check_health(f"127.0.0.1:{port}", timeout=1) == "UNAVAILABLE"
    finally:
        stop(process)
        log.close()
    logged = (tmp_path / "up.log").read_text()
    assert "plugboard: stopping" in logged
    assert "Traceback" not in logged
    assert logged.count("server stopped") == 3  # each child drained and stopped gracefully


def test_children_do_not_outlive_a_killed_up(tmp_path):
    env, ports = stack_env(tmp_path)
    log = (tmp_path / "up.log").open("w")
    process = plugboard("up", "--timeout", "60", env=env, stderr=log)
    try:
        read_until(process, "Press Ctrl-C", timeout=90)
        process.kill()  # no chance to stop its children itself
        process.wait(10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if all(check_health(f"127.0.0.1:{port}", timeout=1) == "UNAVAILABLE" for port in ports.values()):
                break
            time.sleep(0.2)
        else:
            raise AssertionError("a server outlived plugboard up")
    finally:
        stop(process)
        log.close()


def test_up_fails_and_stops_the_others_when_a_child_cannot_start(tmp_path):
    env, ports = stack_env(tmp_path)
    with socket.socket() as taken:  # the instance service's port is taken
        taken.bind(("127.0.0.1", ports["instance"]))
        taken.listen()
        process = plugboard("up", "--timeout", "60", env=env)
        try:
            _, err = process.communicate(timeout=90)
            assert process.returncode == 1
            assert "instance service exited" in err
            assert check_health(f"127.0.0.1:{ports['catalog']}", timeout=1) == "UNAVAILABLE"
        finally:
            stop(process)
