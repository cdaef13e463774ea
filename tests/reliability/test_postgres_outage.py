"""PostgreSQL stopped and restarted under load, on a private throw-away cluster (``pgcluster``).

While clients call the catalog, the instance service and the gateway, the cluster is stopped: every
call fails cleanly (UNAVAILABLE; never UNKNOWN or INTERNAL, never a hang past its deadline). When it
is started again the services recover on their own: calls succeed again without any restart.
"""

from __future__ import annotations

import threading
import time

import grpc
import pytest

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from tests.reliability import fuzz, pgcluster
from tests.reliability.stack import start_stack

pytestmark = [pytest.mark.postgres, pytest.mark.slow,  # ~20 s: initdb, start, stop, start
              pytest.mark.skipif(pgcluster.unavailable_reason() is not None,
                                 reason=pgcluster.unavailable_reason() or "")]

CALL_TIMEOUT = 8.0


class Load:
    """Threads calling each server in a loop, recording (phase, target, code) of every call."""

    def __init__(self, stack) -> None:  # type: ignore[no-untyped-def]
        self.phase = "before"
        self.results: list[tuple[str, str, str, float]] = []
        self.problems: list[str] = []
        self._stop = threading.Event()
        catalog = lambda ch: cgrpc.CatalogServiceStub(ch).GetConnectorStaged(  # noqa: E731
            cpb.GetConnectorStagedRequest(id=stack.connector_id, project=stack.project), timeout=CALL_TIMEOUT)
        instance = lambda ch: igrpc.InstanceServiceStub(ch).GetInstance(  # noqa: E731
            ispb.GetInstanceRequest(id=stack.instance_id, project=stack.project), timeout=CALL_TIMEOUT)
        listing = lambda ch: igrpc.InstanceServiceStub(ch).ListInstances(  # noqa: E731
            ispb.ListInstancesRequest(project=stack.project), timeout=CALL_TIMEOUT)
        self.calls = [("catalog", stack.catalog.channel, catalog), ("instance", stack.instance.channel, instance),
                      ("instance-list", stack.instance.channel, listing),
                      ("gateway-instance", stack.gateway.channel, instance)]
        self._threads = [threading.Thread(target=self._run, args=c, daemon=True) for c in self.calls]

    def _run(self, name: str, channel: grpc.Channel, call) -> None:  # type: ignore[no-untyped-def]
        while not self._stop.is_set():
            phase, started = self.phase, time.monotonic()
            try:
                call(channel)
                code = "OK"
            except grpc.RpcError as exc:
                outcome = fuzz.outcome_of(exc)
                code = outcome.code.name
                self.problems += [f"{name}: {p}" for p in fuzz.problems(outcome)]
            self.results.append((phase, name, code, time.monotonic() - started))
            time.sleep(0.01)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(CALL_TIMEOUT + 5)

    def codes(self, phase: str) -> set[str]:
        return {code for p, _, code, _ in self.results if p == phase}


def test_postgres_stopped_and_restarted_under_load(tmp_path):
    cluster = pgcluster.Cluster()
    try:
        cluster.start()
        url = cluster.create_database("plugboard")
        stack = start_stack("postgres", url, tmp_path)
        load = Load(stack)
        try:
            load.start()
            time.sleep(1.0)
            load.phase = "stopping"
            cluster.stop("fast")
            load.phase = "down"
            time.sleep(2.0)
            load.phase = "starting"
            cluster.start()
            restarted = time.monotonic()
            load.phase = "after"
            deadline = restarted + 30
            recovered: dict[str, float] = {}
            while len(recovered) < len(load.calls) and time.monotonic() < deadline:
                for phase, name, code, _ in list(load.results):
                    if phase == "after" and code == "OK" and name not in recovered:
                        recovered[name] = time.monotonic() - restarted
                time.sleep(0.05)
            time.sleep(0.5)
            load.phase = "settled"
            time.sleep(1.0)
        finally:
            load.stop()
            stack.stop()

        assert not load.problems, load.problems[:10]
        assert load.codes("before") == {"OK"}, load.codes("before")
        down = load.codes("down")
        assert down and down <= {"UNAVAILABLE"}, f"while PostgreSQL is down: {sorted(down)}"
        assert set(recovered) == {name for name, _, _ in load.calls}, f"never recovered: {recovered}"
        assert load.codes("settled") == {"OK"}, load.codes("settled")
        slowest = max(elapsed for phase, _, _, elapsed in load.results if phase == "down")
        assert slowest < CALL_TIMEOUT, "a call hung while the database was down"
        print(f"postgres outage: {sum(1 for r in load.results if r[0] == 'down')} calls while down, all "
              f"UNAVAILABLE, slowest {slowest * 1000:.0f} ms; recovered after "
              f"{ {k: round(v, 2) for k, v in recovered.items()} } s")
    finally:
        cluster.destroy()
