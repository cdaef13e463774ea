"""SQLite durability: a catalog process is killed with SIGKILL while clients write, over and over.

Every write the server acknowledged (the call returned OK) is recorded. After the last cycle the
database file passes ``PRAGMA integrity_check`` and a fresh process serves every acknowledged draft
at (at least) its acknowledged version, with the acknowledged name. Writes whose call failed because
of the kill may or may not be there; nothing else may be missing.

Default: 10 cycles. Full run: ``PLUGBOARD_FULL=1`` (100 cycles) or ``PLUGBOARD_KILL_CYCLES=N``.
"""

from __future__ import annotations

import pytest
import os
import random
import sqlite3
import threading
import time
from dataclasses import dataclass

import grpc

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.catalog.v1 import update_actions_pb2 as apb
from tests.reliability.fuzz import FULL
from tests.reliability.stack import ServerProcess, process_env

PROJECT = "durable"
WRITERS = 4


def cycles() -> int:
    raw = os.environ.get("PLUGBOARD_KILL_CYCLES", "").strip()
    return int(raw) if raw else (100 if FULL else 10)


@dataclass
class Acked:
    """The newest acknowledged state of one draft."""

    id: str
    key: str
    version: int
    name: str


class Writers:
    """Threads creating drafts and renaming them until told to stop; they record what was acked."""

    def __init__(self, target: str, cycle: int) -> None:
        self.target = target
        self.cycle = cycle
        self.acked: dict[str, Acked] = {}
        self.failures: dict[str, int] = {}
        self.unexpected: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(WRITERS)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def _failed(self, exc: grpc.RpcError) -> None:
        code = exc.code()
        with self._lock:
            self.failures[code.name] = self.failures.get(code.name, 0) + 1
            # The process vanishing mid-call: UNAVAILABLE (or CANCELLED / DEADLINE_EXCEEDED at worst).
            if code not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED,
                            grpc.StatusCode.DEADLINE_EXCEEDED):
                self.unexpected.append(f"{code.name}: {exc.details()}")

    def _run(self, writer: int) -> None:
        with grpc.insecure_channel(self.target) as channel:
            stub = cgrpc.CatalogServiceStub(channel)
            n = 0
            while not self._stop.is_set():
                n += 1
                key = f"k-{self.cycle}-{writer}-{n}"
                try:
                    draft = stub.CreateConnectorStaged(cpb.CreateConnectorStagedRequest(
                        project=PROJECT, request_id=key,
                        draft=spb.ConnectorStagedDraft(
                            key=key, name=f"created {key}",
                            repository=spb.Repository(url=f"https://github.com/acme/{key}.git", tag="v1"))),
                        timeout=5)
                except grpc.RpcError as exc:
                    self._failed(exc)
                    return  # the server is gone; this cycle is over for this writer
                with self._lock:
                    self.acked[key] = Acked(draft.id, key, draft.version, draft.name)
                try:
                    renamed = stub.UpdateConnectorStaged(cpb.UpdateConnectorStagedRequest(
                        id=draft.id, version=draft.version, project=PROJECT,
                        actions=[apb.ConnectorStagedUpdateAction(
                            set_name=apb.ConnectorStagedUpdateAction.SetName(name=f"renamed {key}"))]),
                        timeout=5)
                except grpc.RpcError as exc:
                    self._failed(exc)
                    return
                with self._lock:
                    self.acked[key] = Acked(renamed.id, key, renamed.version, renamed.name)


@pytest.mark.timeout(900)  # the full run's 100 cycles take ~2 min; the default 10 take ~20 s
def test_acknowledged_writes_survive_kill_9(tmp_path):
    db_path = tmp_path / "catalog.db"
    url = f"sqlite:///{db_path}"
    rng = random.Random(os.environ.get("PLUGBOARD_KILL_SEED", "7"))
    acked: dict[str, Acked] = {}
    unexpected: list[str] = []
    failures: dict[str, int] = {}
    total = cycles()
    for cycle in range(total):
        server = ServerProcess("catalog", process_env(tmp_path, "catalog", url, PLUGBOARD_LOG_LEVEL="INFO"),
                               tmp_path / "catalog.log")
        server.start()
        writers = Writers(server.target, cycle)
        writers.start()
        time.sleep(rng.uniform(0.2, 0.6))
        server.kill()
        writers.stop()
        acked.update(writers.acked)
        unexpected += writers.unexpected
        for name, count in writers.failures.items():
            failures[name] = failures.get(name, 0) + count

    assert not unexpected, f"writes failed other than by the kill: {unexpected[:5]}"
    assert len(acked) >= total, f"too few acknowledged writes to prove anything: {len(acked)}"

    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []

    server = ServerProcess("catalog", process_env(tmp_path, "catalog", url, PLUGBOARD_LOG_LEVEL="INFO"),
                           tmp_path / "catalog.log")
    server.start()
    try:
        missing = []
        with grpc.insecure_channel(server.target) as channel:
            stub = cgrpc.CatalogServiceStub(channel)
            for write in acked.values():
                try:
                    draft = stub.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=write.id, project=PROJECT),
                                                    timeout=5)
                except grpc.RpcError as exc:
                    missing.append(f"{write.key}: {exc.code().name}")
                    continue
                if draft.version < write.version or (draft.version == write.version and draft.name != write.name):
                    missing.append(f"{write.key}: acked v{write.version} {write.name!r}, "
                                   f"found v{draft.version} {draft.name!r}")
        assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}"
    finally:
        server.stop()
    print(f"kill -9: {total} cycles, {len(acked)} acknowledged drafts, failed calls {failures}")

