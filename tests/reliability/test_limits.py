"""Resource limits: a message over ``max_message_bytes`` and a call over ``max_concurrent_rpcs`` are
refused with RESOURCE_EXHAUSTED at once (never a hang, never UNKNOWN/INTERNAL), on each server and
through the gateway; so is one tenant past its own limits at the gateway (``gateway.quotas``), while
other tenants are served.

The concurrent slots are held by health ``Watch`` streams (global limit) and ``WatchConnectorStaged``
streams (tenant limits), which stay open until cancelled, so the test knows exactly how many calls are
in flight without relying on timing.
"""

from __future__ import annotations

import time

import grpc
import pytest
import requests
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from tests.reliability import fuzz
from tests.reliability.stack import gateway_key, keyed_channel, start_stack

MAX_MESSAGE = 64 * 1024
MAX_CONCURRENT = 3
# Generous bound: RESOURCE_EXHAUSTED must come from the limit, not from a call that waited for a slot.
CALL_TIMEOUT = 10.0


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    directory = tmp_path_factory.mktemp("limits")
    stack = start_stack("sqlite", f"sqlite:///{directory / 'plugboard.db'}", directory,
                        max_message_bytes=MAX_MESSAGE, max_concurrent_rpcs=MAX_CONCURRENT,
                        gateway_max_calls_per_key=1, gateway_max_calls_per_project=1,
                        gateway_max_streams_per_key=1, gateway_max_streams_per_project=1)
    yield stack
    stack.stop()


def big_calls(stack, padding: str):  # type: ignore[no-untyped-def]
    catalog = cgrpc.CatalogServiceStub
    instances = igrpc.InstanceServiceStub
    draft = cpb.CreateConnectorStagedRequest(
        project=stack.project, draft=spb.ConnectorStagedDraft(key="big", name="Big", description=padding))
    instance = ispb.CreateInstanceRequest(project=stack.project, instance=ipb.Instance(
        name="big", connector_key=stack.connector_key, variables=[ipb.Variable(key="K", value=padding)]))
    return {
        "catalog": lambda: catalog(stack.catalog.channel).CreateConnectorStaged(draft, timeout=CALL_TIMEOUT),
        "instance": lambda: instances(stack.instance.channel).CreateInstance(instance, timeout=CALL_TIMEOUT),
        "gateway-catalog": lambda: catalog(stack.gateway.channel).CreateConnectorStaged(draft, timeout=CALL_TIMEOUT),
        "gateway-instance": lambda: instances(stack.gateway.channel).CreateInstance(instance, timeout=CALL_TIMEOUT),
    }


@pytest.mark.parametrize("target", ["catalog", "instance", "gateway-catalog", "gateway-instance"])
def test_a_message_over_the_limit_is_resource_exhausted(limited, target):
    call = big_calls(limited, "x" * (MAX_MESSAGE + 1024))[target]
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as info:
        call()
    elapsed = time.monotonic() - started
    outcome = fuzz.outcome_of(info.value)
    fuzz.check_outcome(outcome, target)
    assert outcome.code == grpc.StatusCode.RESOURCE_EXHAUSTED, outcome.describe()
    assert elapsed < CALL_TIMEOUT  # refused, not timed out


def test_a_message_just_under_the_limit_is_accepted(limited):
    """The limit is the configured one, not a smaller accident: an almost-full message is served."""
    stub = cgrpc.CatalogServiceStub(limited.catalog.channel)
    reply = stub.CreateConnectorStaged(cpb.CreateConnectorStagedRequest(
        project=limited.project,
        draft=spb.ConnectorStagedDraft(key="almost-full", name="Almost full", description="d" * 1000,
                                       repository=spb.Repository(url="https://github.com/a/b.git", tag="v1"))),
        timeout=CALL_TIMEOUT)
    assert reply.id


def _hold_slots(channel: grpc.Channel, count: int) -> list:  # type: ignore[type-arg]
    """Open ``count`` health Watch streams and wait for their first answer (they are then in flight)."""
    stub = health_pb2_grpc.HealthStub(channel)
    streams = []
    for _ in range(count):
        stream = stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=60)
        first = next(stream)
        assert first.status == health_pb2.HealthCheckResponse.SERVING
        streams.append(stream)
    return streams


@pytest.mark.parametrize("server", ["catalog", "instance", "gateway"])
def test_a_call_over_the_concurrency_limit_is_resource_exhausted(limited, server):
    running = getattr(limited, server)
    # A separate channel: the held streams and the refused call share one connection either way.
    with (keyed_channel(running.target, limited.gateway_key) if server == "gateway"
          else grpc.insecure_channel(running.target)) as channel:
        streams = _hold_slots(channel, MAX_CONCURRENT)
        try:
            request = (ispb.GetInstanceRequest(project=limited.project, id=limited.instance_id)
                       if server == "instance" else
                       cpb.GetConnectorRequest(project=limited.project, id=limited.connector_id))
            stub = (igrpc.InstanceServiceStub(channel).GetInstance if server == "instance"
                    else cgrpc.CatalogServiceStub(channel).GetConnector)
            with pytest.raises(grpc.RpcError) as info:
                stub(request, timeout=CALL_TIMEOUT)
            outcome = fuzz.outcome_of(info.value)
            fuzz.check_outcome(outcome, server)
            assert outcome.code == grpc.StatusCode.RESOURCE_EXHAUSTED, outcome.describe()
        finally:
            for stream in streams:
                stream.cancel()
        # Once the slots are free the same call is served again.
        deadline = time.monotonic() + 5
        while True:
            try:
                stub(request, timeout=CALL_TIMEOUT)
                break
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.RESOURCE_EXHAUSTED or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


# --- per-tenant limits at the gateway --------------------------------------------------------------

STREAMS_PER_KEY, STREAMS_PER_PROJECT = 4, 6
# Bounds a wait for the gateway to see cancelled streams; never asserted on.
SETTLE_SECONDS = 10.0


@pytest.fixture(scope="module")
def tenants(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tenants")
    stack = start_stack("sqlite", f"sqlite:///{directory / 'plugboard.db'}", directory, max_concurrent_rpcs=40,
                        gateway_max_calls_per_key=10, gateway_max_calls_per_project=20,
                        gateway_max_streams_per_key=STREAMS_PER_KEY,
                        gateway_max_streams_per_project=STREAMS_PER_PROJECT)
    yield stack
    stack.stop()


def _watch(channel: grpc.Channel, draft_id: str):  # type: ignore[no-untyped-def]
    stream = cgrpc.CatalogServiceStub(channel).WatchConnectorStaged(
        cpb.WatchConnectorStagedRequest(id=draft_id), timeout=60)
    next(stream)  # the draft as it is now: the stream is open
    return stream


def _quota_ids(exc: grpc.RpcError) -> list[str]:
    status = rpc_status.from_call(exc)
    failure = error_details_pb2.QuotaFailure()
    assert status is not None and any(d.Unpack(failure) for d in status.details if d.Is(failure.DESCRIPTOR))
    return [v.quota_id for v in failure.violations]


def test_one_tenant_at_its_stream_limits_leaves_the_gateway_to_the_others(tenants):
    """One key opens its maximum of WatchConnectorStaged streams, the next is refused with a QuotaFailure
    (gRPC and HTTP), the project's other key fills the project, another project is served throughout;
    once the streams are cancelled the key opens its maximum again (nothing leaked)."""
    quotas = tenants.gateway.served.quotas
    base = f"http://127.0.0.1:{tenants.gateway.served.http_port}"
    second_key = gateway_key(tenants.settings, tenants.project)
    other_key = gateway_key(tenants.settings, "other-project")
    with keyed_channel(tenants.gateway.target, tenants.gateway_key) as first, \
            keyed_channel(tenants.gateway.target, second_key) as second, \
            keyed_channel(tenants.gateway.target, other_key) as other:
        for _round in range(2):
            streams = [_watch(first, tenants.connector_id) for _ in range(STREAMS_PER_KEY)]
            with pytest.raises(grpc.RpcError) as info:
                _watch(first, tenants.connector_id)
            assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert _quota_ids(info.value) == ["PLUGBOARD_GATEWAY_MAX_STREAMS_PER_KEY"]
            over_http = requests.get(f"{base}/connectors/drafts/{tenants.connector_id}:watch", timeout=30,
                                     headers={"Authorization": f"Bearer {tenants.gateway_key}"})
            assert over_http.status_code == 429 and "QuotaFailure" in over_http.text
            streams += [_watch(second, tenants.connector_id) for _ in range(STREAMS_PER_PROJECT - STREAMS_PER_KEY)]
            with pytest.raises(grpc.RpcError) as info:
                _watch(second, tenants.connector_id)
            assert _quota_ids(info.value) == ["PLUGBOARD_GATEWAY_MAX_STREAMS_PER_PROJECT"]

            # Another project: served over gRPC and HTTP, its own streams too.
            listed = cgrpc.CatalogServiceStub(other).ListConnectors(cpb.ListConnectorsRequest(), timeout=CALL_TIMEOUT)
            assert listed is not None
            assert requests.get(f"{base}/connectors/search", timeout=30,
                                headers={"X-API-Key": other_key}).status_code == 200
            with pytest.raises(grpc.RpcError) as info:  # a draft it cannot see: refused by the catalog
                _watch(other, tenants.connector_id)
            assert info.value.code() == grpc.StatusCode.NOT_FOUND
            # The tenant's unary calls are a limit of their own: still served.
            assert cgrpc.CatalogServiceStub(first).GetConnector(cpb.GetConnectorRequest(
                id=tenants.connector_id), timeout=CALL_TIMEOUT).id == tenants.connector_id

            for stream in streams:
                stream.cancel()
            deadline = time.monotonic() + SETTLE_SECONDS
            while quotas.held() and time.monotonic() < deadline:
                time.sleep(0.02)
            assert quotas.held() == {}
