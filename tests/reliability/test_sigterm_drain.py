"""SIGTERM under load: the instance service process (``python -m plugboard serve instance``) gets
SIGTERM while clients call it and while slow calls are in flight.

- its health turns NOT_SERVING within a second (seen on a health ``Watch`` stream);
- the in-flight calls complete normally (each is held ~2 s by a slow stand-in catalog);
- new calls are refused (UNAVAILABLE), never UNKNOWN/INTERNAL, and the process exits 0;
- calls racing the shutdown on an already open connection may get CANCELLED from grpc core without
  reaching the application (recorded as finding R2 in /work/notes/reliability-bugs.md).
"""

from __future__ import annotations

import collections
import signal
import threading
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from tests.harness import start_server
from tests.instance.faulty_catalog import FaultyCatalog, serve_faulty_catalog
from tests.reliability.stack import ServerProcess, process_env

SLOW_SECONDS = 2.0
IN_FLIGHT = 3
LOAD_THREADS = 4
PROJECT = "drain"


class HealthWatch(threading.Thread):
    """Records (monotonic time, status name) of every health update until the stream ends."""

    def __init__(self, target: str) -> None:
        super().__init__(daemon=True)
        self.channel = grpc.insecure_channel(target)
        self.updates: list[tuple[float, str]] = []
        self.ended: float | None = None

    def run(self) -> None:
        stream = health_pb2_grpc.HealthStub(self.channel).Watch(health_pb2.HealthCheckRequest(service=""),
                                                               timeout=60)
        try:
            for reply in stream:
                self.updates.append((time.monotonic(),
                                     health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)))
        except grpc.RpcError:
            pass
        self.ended = time.monotonic()
        self.channel.close()

    def not_serving_at(self) -> float | None:
        return next((t for t, status in self.updates if status != "SERVING"), None)


def test_sigterm_turns_health_not_serving_drains_and_refuses(tmp_path):
    fake = FaultyCatalog()
    fake.delay = SLOW_SECONDS
    catalog = start_server(lambda: serve_faulty_catalog(fake))
    env = process_env(tmp_path, "instance", f"sqlite:///{tmp_path / 'instance.db'}",
                      PLUGBOARD_CATALOG_TARGET=catalog.target, PLUGBOARD_GRACE_SECONDS="10")
    server = ServerProcess("instance", env, tmp_path / "instance.log")
    server.start()
    try:
        watch = HealthWatch(server.target)
        watch.start()

        load_codes: list[str] = []
        stop_load = threading.Event()

        def load() -> None:
            with grpc.insecure_channel(server.target) as channel:
                stub = igrpc.InstanceServiceStub(channel)
                while not stop_load.is_set():
                    try:
                        stub.ListInstances(ispb.ListInstancesRequest(project=PROJECT), timeout=5)
                        load_codes.append("OK")
                    except grpc.RpcError as exc:
                        load_codes.append(exc.code().name)
                        if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED):
                            return

        loaders = [threading.Thread(target=load, daemon=True) for _ in range(LOAD_THREADS)]
        for thread in loaders:
            thread.start()

        deadline = time.monotonic() + 10
        while load_codes.count("OK") < 100:  # the load is running
            assert time.monotonic() < deadline and "OK" in load_codes[:1] + ["OK"], load_codes[-3:]
            time.sleep(0.01)

        slow_results: list[object] = [None] * IN_FLIGHT

        def slow_create(i: int) -> None:
            with grpc.insecure_channel(server.target) as channel:
                try:
                    slow_results[i] = igrpc.InstanceServiceStub(channel).CreateInstance(
                        ispb.CreateInstanceRequest(project=PROJECT, request_id=f"slow-{i}", instance=ipb.Instance(
                            name=f"slow {i}", connector_key="slowpoke", timezone="UTC", date_format="Y-m-d",
                            rate_limit_unit=ipb.RATE_LIMIT_UNIT_HOUR, rate_limit_duration=1)), timeout=30)
                except grpc.RpcError as exc:
                    slow_results[i] = exc

        slow = [threading.Thread(target=slow_create, args=(i,), daemon=True) for i in range(IN_FLIGHT)]
        for thread in slow:
            thread.start()
        deadline = time.monotonic() + 10
        while len(fake.requests) < IN_FLIGHT:  # every slow call reached the server and waits on the catalog
            assert time.monotonic() < deadline, "the slow calls never reached the catalog"
            time.sleep(0.01)

        signalled = time.monotonic()
        server.signal(signal.SIGTERM)

        deadline = time.monotonic() + 5
        while watch.not_serving_at() is None and watch.ended is None:
            assert time.monotonic() < deadline, "health never turned NOT_SERVING"
            time.sleep(0.01)
        noticed = watch.not_serving_at() or watch.ended
        assert noticed is not None
        assert noticed - signalled < 1.0, f"NOT_SERVING only after {noticed - signalled:.3f}s"

        # A new call while the in-flight ones drain is refused.
        with grpc.insecure_channel(server.target) as channel:
            try:
                igrpc.InstanceServiceStub(channel).ListInstances(ispb.ListInstancesRequest(project=PROJECT),
                                                                 timeout=5)
                refused = "OK"
            except grpc.RpcError as exc:
                refused = exc.code().name
        assert refused == "UNAVAILABLE", f"a new call during the drain got {refused}"

        for thread in slow:
            thread.join(30)
        for i, result in enumerate(slow_results):
            assert isinstance(result, ipb.Instance), f"in-flight call {i} did not complete: {result}"
            assert result.state == ipb.INSTANCE_STATE_READY

        stop_load.set()
        for thread in loaders:
            thread.join(10)
        # Calls the server had started are drained: none is logged as cancelled. Calls racing the
        # shutdown on an open connection are killed by grpc core with CANCELLED before the
        # application sees them (finding R2 in the notes), so CANCELLED is tolerated here, not more.
        cancelled_in_log = [line for line in server.log_text().splitlines() if "code=CANCELLED" in line]
        assert not cancelled_in_log, cancelled_in_log[:5]
        assert set(load_codes) <= {"OK", "UNAVAILABLE", "CANCELLED"}, sorted(set(load_codes))
        assert "OK" in load_codes
        assert server.wait(15) == 0
        print(f"SIGTERM: NOT_SERVING after {(noticed - signalled) * 1000:.1f} ms; "
              f"{IN_FLIGHT} in-flight calls completed; load calls {dict(collections.Counter(load_codes))}")
    finally:
        server.kill()
        catalog.stop()
