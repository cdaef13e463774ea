"""Secret key rotation under load (SQLite and PostgreSQL), with real processes throughout.

1. ``plugboard serve instance`` runs with key k1; instances are created, each with its own secret
   API token (``API_TOKEN``, sent as ``X-Api-Key`` by the connection test).
2. The server is restarted with ``k1,k2`` (k2 newest), as the rotation procedure says.
3. Reader threads call GetInstance and TestInstanceConnection (against a loopback HTTP server,
   allow-listed, that answers 200 only to the instance's own token) in a loop, while
   ``plugboard secrets rotate --batch-size 3`` runs as a child process.
4. No read fails: every call answers OK and every connection test is OK (the right secret arrived).
5. Afterwards no secret is left under k1 (read from the database itself), and a server holding only
   k2 still passes every connection test.

Default: 9 instances on SQLite. ``-m slow``: PostgreSQL too. Full run: 60 instances on both.
"""

from __future__ import annotations

import base64
import collections
import os
import random
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
import pytest

from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from tests.instance.test_secrets_rotate import key_ids
from tests.reliability.conftest import storage_url
from tests.reliability.fuzz import FULL
from tests.reliability.procstack import fast_channel, start_proc_stack
from tests.reliability.stack import ROOT, create_instance

K1 = "k1:" + base64.b64encode(bytes(range(100, 132))).decode()
K2 = "k2:" + base64.b64encode(bytes(range(140, 172))).decode()
INSTANCES = 60 if FULL else 9
READERS = 4


class TokenServer:
    """HTTP on loopback: ``GET /ping`` answers 200 when X-Api-Key is one of ``tokens``, else 401."""

    def __init__(self, tokens: set[str]) -> None:
        self.tokens = tokens
        self.refused = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
                pass

            def do_GET(self) -> None:  # noqa: N802
                ok = self.path == "/ping" and self.headers.get("X-Api-Key") in owner.tokens
                if not ok:
                    owner.refused += 1
                body = b"ok" if ok else b"no"
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# PostgreSQL with ``-m slow`` / the full run (the default suite runs SQLite only).
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])])
def setup(request, tmp_path):  # type: ignore[no-untyped-def]
    for url in storage_url(request.param, tmp_path, request):
        procs = start_proc_stack(request.param, url, tmp_path, secret_keys=K1, with_gateway=False)
        tokens: set[str] = set()
        server = TokenServer(tokens)
        try:
            yield procs, server, tokens
        finally:
            server.close()
            procs.stop()


def restart_with(procs, keys: str) -> None:  # type: ignore[no-untyped-def]
    procs.instance.stop()
    procs.instance.env["PLUGBOARD_SECRET_KEYS"] = keys
    procs.instance.start()


def outcome(result: ipb.ConnectionTestResult) -> str:
    return ipb.ConnectionTestOutcome.Name(result.outcome).removeprefix("CONNECTION_TEST_OUTCOME_")


def test_reads_never_fail_while_secrets_rotate(setup):
    procs, server, tokens = setup
    project = "rotating"
    connector_key = f"rot-{random.randrange(1 << 30)}"
    procs.publish(project, connector_key)
    ids = []
    with fast_channel(procs.instance_target) as channel:
        stub = igrpc.InstanceServiceStub(channel)
        for n in range(INSTANCES):
            token = f"tok-{n}-{random.randrange(1 << 40):x}"
            tokens.add(token)
            ids.append(create_instance(stub, project, connector_key, f"rot {n}", secrets={"API_TOKEN": token},
                                       plain={"HOST": f"127.0.0.1:{server.port}"}).id)
    assert set(key_ids(procs.database_url)) == {"k1"}

    restart_with(procs, f"{K1},{K2}")
    calls: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    stop = threading.Event()

    def reader(n: int) -> None:
        rng = random.Random(n)
        with fast_channel(procs.instance_target) as channel:
            stub = igrpc.InstanceServiceStub(channel)
            while not stop.is_set():
                instance_id = rng.choice(ids)
                try:
                    if rng.random() < 0.5:
                        stub.GetInstance(ispb.GetInstanceRequest(id=instance_id, project=project), timeout=10)
                        calls["GetInstance OK"] += 1
                    else:
                        result = stub.TestInstanceConnection(
                            ispb.TestInstanceConnectionRequest(id=instance_id, project=project), timeout=10)
                        calls[f"TestInstanceConnection {outcome(result)}"] += 1
                        if outcome(result) != "OK":
                            failures.append(f"{instance_id}: {outcome(result)} {result.message}")
                except grpc.RpcError as exc:
                    failures.append(f"{instance_id}: {exc.code().name} {exc.details()}")

    threads = [threading.Thread(target=reader, args=(n,), daemon=True) for n in range(READERS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.3)
        started = time.monotonic()
        env = {**os.environ, **procs.instance.env, "PLUGBOARD_SECRET_KEYS": f"{K1},{K2}"}
        done = subprocess.run([sys.executable, "-m", "plugboard", "secrets", "rotate", "--batch-size", "3"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        took = time.monotonic() - started
        time.sleep(0.3)
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not failures, f"{len(failures)} reads failed during the rotation, e.g. {failures[:5]}"
    assert sum(calls.values()) > 0
    assert set(key_ids(procs.database_url)) == {"k2"}, "a secret is still under k1"
    for token in tokens:
        assert token not in done.stdout + done.stderr

    restart_with(procs, K2)
    with fast_channel(procs.instance_target) as channel:
        stub = igrpc.InstanceServiceStub(channel)
        after = collections.Counter(outcome(stub.TestInstanceConnection(
            ispb.TestInstanceConnectionRequest(id=i, project=project), timeout=10)) for i in ids)
    assert after == {"OK": len(ids)}, after
    print(f"\nkey rotation [{procs.kind}]: {len(ids)} secrets rotated k1 -> k2 in {took:.2f}s "
          f"({done.stdout.count(chr(10))} progress lines) under {dict(calls)}; 0 failed reads; "
          f"0 secrets left under k1; all {len(ids)} connection tests OK with k2 alone")
