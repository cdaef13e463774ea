"""Request-id replay makes exactly one instance, under concurrency and across restarts of the instance
service process (``procstack``: ``plugboard serve instance`` killed with SIGKILL and started again).

1. The same ``CreateInstance`` (same project and request_id) sent K times at once: every call answers
   OK with the same instance id; then again K times after a SIGKILL + restart, and K times through the
   gateway: the same id; the project holds exactly one instance of that name.
2. The same create sent K times while the process is killed mid-flight: after the restart, replays
   are retried (ABORTED ``REQUEST_IN_PROGRESS`` while a PENDING row of the killed process waits for the
   reconciler, UNAVAILABLE while the process is down) until they succeed: all of them then answer the
   same id and the project holds exactly one instance of that name.

SQLite by default, PostgreSQL with ``-m slow``. K = 16 (64 and 5 kill rounds in the full run).
"""

from __future__ import annotations

import random
import threading
import time

import grpc
import pytest

from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.rpc.status import from_rpc_error
from tests.reliability.conftest import storage_url
from tests.reliability.fuzz import FULL
from tests.reliability.procstack import PENDING_STALE, fast_channel, start_proc_stack
from tests.reliability.stack import _WithKey, create_instance

K = 64 if FULL else 16
RETRYABLE = {"UNAVAILABLE", "DEADLINE_EXCEEDED", "ABORTED:REQUEST_IN_PROGRESS"}


# PostgreSQL with ``-m slow`` / the full run (the default suite runs SQLite only).
@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])])
def procs(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    directory = tmp_path_factory.mktemp(f"replay-{request.param}")
    for url in storage_url(request.param, directory, request):
        stack = start_proc_stack(request.param, url, directory)
        try:
            yield stack
        finally:
            stack.stop()


def label(exc: grpc.RpcError) -> str:
    reason = from_rpc_error(exc).reason
    return exc.code().name if exc.code().name in ("UNAVAILABLE", "DEADLINE_EXCEEDED") else f"{exc.code().name}:{reason}"


def replay_at_once(target: str, project: str, connector_key: str, name: str, request_id: str,
                   key: str | None = None, when_sent=None) -> list[str]:  # type: ignore[no-untyped-def]
    """K concurrent creates with one request id: the instance id or the error label of each.
    ``when_sent`` runs once, as the K calls are released."""
    results: list[str] = [""] * K
    barrier = threading.Barrier(K, action=when_sent)

    def one(n: int) -> None:
        channel = fast_channel(target)
        if key:
            channel = grpc.intercept_channel(channel, _WithKey(key))
        with channel:
            stub = igrpc.InstanceServiceStub(channel)
            barrier.wait()
            try:
                results[n] = "id:" + create_instance(stub, project, connector_key, name, request_id=request_id,
                                                     secrets={"API_TOKEN": "t"}, plain={"HOST": "127.0.0.1:9"}).id
            except grpc.RpcError as exc:
                results[n] = label(exc)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(K)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def named(target: str, project: str, name: str) -> list[str]:
    with fast_channel(target) as channel:
        page = igrpc.InstanceServiceStub(channel).ListInstances(
            ispb.ListInstancesRequest(project=project, name_prefix=name, per_page=100), timeout=10)
    return [i.id for i in page.instances if i.name == name]


def test_replays_at_once_and_across_a_restart_make_one_instance(procs):
    project = f"replay-{procs.kind}"
    connector_key = f"replayed-{random.randrange(1 << 30)}"
    procs.publish(project, connector_key)
    first = replay_at_once(procs.instance_target, project, connector_key, "once", "req-once")
    ids = set(first)
    assert len(ids) == 1 and first[0].startswith("id:"), sorted(ids)
    procs.instance.kill()
    procs.instance.start()
    again = replay_at_once(procs.instance_target, project, connector_key, "once", "req-once")
    assert set(again) == ids, f"after a restart: {sorted(set(again))} vs {ids}"
    key = procs.key_for(project)
    # The gateway's channel to the restarted instance service reconnects with a backoff (<= 2 s):
    # until then its calls answer UNAVAILABLE at once; replays retried on it stay one instance.
    deadline = time.monotonic() + 10
    while True:
        through = replay_at_once(procs.gateway_target, project, connector_key, "once", "req-once", key=key)
        if "UNAVAILABLE" not in through or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert set(through) == ids, f"through the gateway: {sorted(set(through))} vs {ids}"
    assert named(procs.instance_target, project, "once") == [first[0].removeprefix("id:")]
    print(f"\nreplay [{procs.kind}]: {3 * K} creates with one request id (K={K} at once, then after "
          f"kill -9 + restart, then through the gateway) -> 1 instance")


def test_replays_racing_a_kill_make_one_instance(procs):
    project = f"replay-kill-{procs.kind}"
    connector_key = f"killed-{random.randrange(1 << 30)}"
    procs.publish(project, connector_key)
    rounds = 5 if FULL else 1
    seen: dict[str, int] = {}
    for number in range(rounds):
        name, request_id = f"kill-{number}", f"req-kill-{number}"
        killer = threading.Timer(random.uniform(0.005, 0.08), procs.instance.kill)
        during = replay_at_once(procs.instance_target, project, connector_key, name, request_id,
                                when_sent=killer.start)
        killer.join()
        procs.instance.start()
        odd = [r for r in during if not r.startswith("id:") and r not in RETRYABLE | {"CANCELLED"}]
        assert not odd, f"while killed: {sorted(set(odd))}"
        deadline = time.monotonic() + PENDING_STALE + 10
        while True:
            after = replay_at_once(procs.instance_target, project, connector_key, name, request_id)
            if all(r.startswith("id:") for r in after) or time.monotonic() > deadline:
                break
            assert set(after) <= RETRYABLE | {r for r in after if r.startswith("id:")}, sorted(set(after))
            time.sleep(0.2)
        ids = {r for r in after if r.startswith("id:")}
        assert len(ids) == 1 and len(after) == K and all(r.startswith("id:") for r in after), sorted(set(after))
        acknowledged = {r for r in during if r.startswith("id:")}
        assert acknowledged <= ids, f"an id acknowledged before the kill was not kept: {acknowledged} vs {ids}"
        assert named(procs.instance_target, project, name) == [next(iter(ids)).removeprefix("id:")]
        for r in during:
            seen[r if not r.startswith("id:") else "OK"] = seen.get(r if not r.startswith("id:") else "OK", 0) + 1
    print(f"\nreplay racing kill -9 [{procs.kind}]: {rounds} rounds x {K}: answers while killed {seen}; "
          f"one instance per request id after the restart")
