"""A backend killed (SIGKILL) or frozen (SIGSTOP) under load: no gateway call hangs.

The instance service and the gateway are real processes (``procstack``); the gateway's default
deadline is 1 s. Load threads call the gateway in a loop (GetInstance and ListInstances, forwarded to
the instance service), half of them with their own deadline (0.3-1.5 s), half with none (then the
gateway's default deadline applies). Phases: normal, instance service killed, restarted, frozen with
SIGSTOP (the connection stays open and the backend never answers), thawed.

Every call ends OK, UNAVAILABLE or DEADLINE_EXCEEDED, never UNKNOWN/INTERNAL, and within its deadline
(the caller's, else the gateway's) plus a tolerance. The worst overshoot is printed; the tolerance is
100 ms in the full run (``PLUGBOARD_FULL=1``) or with ``PLUGBOARD_STRICT_TIMING=1``, and 1 s in the
default run (a loaded 2-core CI machine must not make it flaky: it still proves that nothing hangs).
"""

from __future__ import annotations

import collections
import os
import random
import signal
import threading
import time

import grpc

from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from tests.reliability import fuzz
from tests.reliability.fuzz import FULL
from tests.reliability.procstack import fast_channel, start_proc_stack
from tests.reliability.stack import _WithKey, create_instance

GATEWAY_DEADLINE = 1.0
STRICT = FULL or os.environ.get("PLUGBOARD_STRICT_TIMING", "").strip() in ("1", "true", "yes")
TOLERANCE = 0.1 if STRICT else 1.0
LOADERS = 6
HANG_GUARD = 15.0  # a client-side bound for the calls without a deadline: reaching it means a hang


class Load:
    def __init__(self, target: str, key: str, project: str, instance_id: str) -> None:
        self.target, self.key, self.project, self.instance_id = target, key, project, instance_id
        self.phase = "normal"
        self.calls: list[tuple[str, str, float, float]] = []  # phase, code, duration, deadline
        self.problems: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(LOADERS)]

    def _run(self, n: int) -> None:
        rng = random.Random(n)
        with grpc.intercept_channel(fast_channel(self.target), _WithKey(self.key)) as channel:
            stub = igrpc.InstanceServiceStub(channel)
            while not self._stop.is_set():
                own = rng.uniform(0.3, 1.5) if n % 2 else None
                phase, started = self.phase, time.monotonic()
                # Without a deadline of its own the call carries none at all (the gateway's default
                # applies); the client only watches it for HANG_GUARD seconds.
                if rng.random() < 0.5:
                    call = stub.GetInstance.future(
                        ispb.GetInstanceRequest(id=self.instance_id, project=self.project), timeout=own)
                else:
                    call = stub.ListInstances.future(ispb.ListInstancesRequest(project=self.project), timeout=own)
                try:
                    call.result(timeout=HANG_GUARD)
                    code = "OK"
                except grpc.FutureTimeoutError:
                    call.cancel()
                    code = "HUNG"
                except grpc.RpcError as exc:
                    code = exc.code().name
                    self.problems += fuzz.problems(fuzz.outcome_of(exc))
                self.calls.append((phase, code, time.monotonic() - started, own or GATEWAY_DEADLINE))
                time.sleep(0.01)

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(HANG_GUARD + 5)


def test_no_gateway_call_outlives_its_deadline_when_a_backend_dies(tmp_path):
    procs = start_proc_stack("sqlite", f"sqlite:///{tmp_path / 'plugboard.db'}", tmp_path,
                             PLUGBOARD_DEFAULT_DEADLINE_SECONDS=str(GATEWAY_DEADLINE))
    try:
        project = "faults"
        connector_key = f"faulty-{random.randrange(1 << 30)}"
        procs.publish(project, connector_key)
        with fast_channel(procs.instance_target) as channel:
            made = create_instance(igrpc.InstanceServiceStub(channel), project, connector_key, "target",
                                   plain={"HOST": "127.0.0.1:9"})
        load = Load(procs.gateway_target, procs.key_for(project), project, made.id)
        load.start()
        try:
            time.sleep(0.5)
            load.phase = "killed"
            procs.instance.kill()
            time.sleep(1.0)
            load.phase = "restarting"
            procs.instance.start()
            time.sleep(2.2)  # the gateway's reconnect backoff is at most 2 s
            load.phase = "frozen"
            procs.instance.signal(signal.SIGSTOP)
            time.sleep(1.6)
            load.phase = "thawed"
            procs.instance.signal(signal.SIGCONT)
            time.sleep(1.0)
        finally:
            if procs.instance.process is not None:
                procs.instance.process.send_signal(signal.SIGCONT)
            load.stop()
    finally:
        procs.stop()

    assert not load.problems, load.problems[:10]
    codes = collections.Counter((phase, code) for phase, code, _, _ in load.calls)
    odd = {k: v for k, v in codes.items() if k[1] not in ("OK", "UNAVAILABLE", "DEADLINE_EXCEEDED")}
    assert not odd, odd
    assert codes[("normal", "OK")] > 0
    assert codes[("killed", "UNAVAILABLE")] > 0, codes
    assert codes[("frozen", "DEADLINE_EXCEEDED")] > 0, codes
    assert any(phase == "thawed" and code == "OK" for phase, code, _, _ in load.calls[-LOADERS * 3:]), \
        "the gateway did not recover after the backend came back"
    overshoots = [(duration - deadline, phase, code) for phase, code, duration, deadline in load.calls]
    worst = max(overshoots)
    late = [o for o in overshoots if o[0] > TOLERANCE]
    print(f"\nbackend faults: {len(load.calls)} gateway calls, {dict(codes)}; worst overshoot past the "
          f"deadline {worst[0] * 1000:.0f} ms ({worst[1]}, {worst[2]}); "
          f"{sum(1 for o in overshoots if o[0] > 0.1)} calls over 100 ms")
    assert not late, f"{len(late)} calls ended more than {TOLERANCE}s past their deadline, worst {worst}"
