"""``plugboard serve <component> --workers N``: N processes on one port (SO_REUSEPORT), the kernel spreading
connections over them, each with its own metrics port; SIGTERM stops them all gracefully."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import grpc
import pytest

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from tests.ops.test_metrics import value
from bench.procs import free_port
from tests.reliability.stack import health_status, process_env
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]


def _scrape(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_workers_share_one_port_and_stop_together(tmp_path):
    port, metrics = free_port(), free_port()
    env = {**os.environ, **process_env(tmp_path, "catalog", f"sqlite:///{tmp_path / 'catalog.db'}",
                                       PLUGBOARD_LOG_LEVEL="INFO", PLUGBOARD_GRACE_SECONDS="1",
                                       PLUGBOARD_CATALOG_PORT=str(port),
                                       PLUGBOARD_CATALOG_METRICS_PORT=str(metrics))}
    log = open(tmp_path / "workers.log", "wb")
    parent = subprocess.Popen([sys.executable, "-m", "plugboard", "serve", "catalog", "--workers", "2"],
                              cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if parent.poll() is not None:
                pytest.fail((tmp_path / "workers.log").read_text())
            ready = [health_status(f"127.0.0.1:{port}", timeout=0.5)]
            if ready == ["SERVING"] and all(_ready(metrics + i) for i in range(2)):
                break
            time.sleep(0.1)
        workers = _children(parent.pid)
        assert len(workers) == 2, workers
        calls = 24
        for _ in range(calls):  # one connection per call: the kernel picks a worker per connection
            with grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)]) as ch:
                with pytest.raises(grpc.RpcError) as missing:
                    cgrpc.CatalogServiceStub(ch).GetConnector(cpb.GetConnectorRequest(id="none"), timeout=5)
                assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        # A worker counts a call once its status is sent: the client can see the answer a moment before
        # the count moves, so read the counters until they hold every call (or the deadline passes).
        deadline = time.monotonic() + 10
        while True:
            counts = [value(_scrape(metrics + i), "grpc_server_handled_total", grpc_method="GetConnector")
                      for i in range(2)]
            if sum(counts) >= calls or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert sum(counts) == calls and all(count > 0 for count in counts), counts
    finally:
        parent.send_signal(signal.SIGTERM)
        code = parent.wait(20)
        log.close()
    assert code == 0, (tmp_path / "workers.log").read_text()
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    text = (tmp_path / "workers.log").read_text()
    assert text.count("server stopped") == 2, text


def _ready(port: int) -> bool:
    try:
        _scrape(port)
        return True
    except OSError:
        return False


def test_workers_need_a_fixed_port(tmp_path):
    env = {**os.environ, "PLUGBOARD_CATALOG_PORT": "0", "PLUGBOARD_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "plugboard", "serve", "catalog", "--workers", "2"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "fixed ports" in done.stderr
