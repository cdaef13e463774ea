"""Per-tenant limits at the gateway (``gateway.quotas``), over real gRPC and HTTP.

The gateway runs in front of the recording catalog double, whose ``WatchConnectorStaged(id="forever")``
stays open and whose ``GetConnector(id="slow")`` does not answer until cancelled, so a test knows
exactly what is in flight; the instance backend is a closed port (every call fails UNAVAILABLE).
Limits: 2 calls per key, 3 per project; 3 streams per key, 4 per project.
"""

from __future__ import annotations

import time

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.settings import Settings, SettingsError
from tests.gateway.conftest import Keys, closed_port, start_gateway
from tests.gateway.doubles import create_double
from tests.harness import start_server

LIMITS = {"gateway_max_calls_per_key": 2, "gateway_max_calls_per_project": 3,
          "gateway_max_streams_per_key": 3, "gateway_max_streams_per_project": 4,
          "max_concurrent_rpcs": 50}
# How long a test waits for the gateway to see a cancellation (a bound on a wait, never asserted).
SETTLE_SECONDS = 10.0


@pytest.fixture
def limited(settings, record):
    double = start_server(lambda: create_double(record))
    server = start_gateway(settings.with_overrides(**LIMITS), double.target, f"127.0.0.1:{closed_port()}")
    keys = Keys(settings.gateway_database_url, server.target)
    yield server, keys
    keys.close()
    server.stop()
    double.stop()


def new_key(keys: Keys, project: str) -> tuple[str, str]:
    """(key, key id) of a new key of ``project`` with every scope."""
    made = keys.store.create(project, ["view_connectors", "manage_connectors", "view_instances",
                                       "manage_instances"], "quota test")
    return made.key, made.record.key_id


def watch(keys: Keys, key: str, connector_id: str = "forever"):  # type: ignore[no-untyped-def]
    """An open WatchConnectorStaged stream of ``key`` (its first event read)."""
    stream = cgrpc.CatalogServiceStub(keys.channel(key=key)).WatchConnectorStaged(
        cpb.WatchConnectorStagedRequest(id=connector_id), timeout=60)
    next(stream)
    return stream


def refusal(call) -> error_details_pb2.QuotaFailure:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as info:
        call()
    assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, info.value.details()
    status = rpc_status.from_call(info.value)
    assert status is not None, "a rich status"
    failure = error_details_pb2.QuotaFailure()
    assert any(d.Unpack(failure) for d in status.details if d.Is(failure.DESCRIPTOR)), status
    return failure


def settle(quotas, expected: dict) -> None:  # type: ignore[no-untyped-def]
    """Wait until the gateway's counts are ``expected`` (cancellations reach it asynchronously)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while quotas.held() != expected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert quotas.held() == expected


def test_a_key_at_its_stream_limit_is_refused_while_other_tenants_are_served(limited):
    server, keys = limited
    quotas = server.served.quotas
    first, first_id = new_key(keys, "acme")
    streams = [watch(keys, first) for _ in range(3)]
    failure = refusal(lambda: watch(keys, first))
    [violation] = failure.violations
    assert violation.subject == f"keys/{first_id}"
    assert violation.quota_id == "PLUGBOARD_GATEWAY_MAX_STREAMS_PER_KEY" and violation.quota_value == 3
    assert dict(violation.quota_dimensions) == {"key": first_id}

    # Another key of the project takes the project's last stream, then the project is full.
    second, _ = new_key(keys, "acme")
    streams.append(watch(keys, second))
    failure = refusal(lambda: watch(keys, second))
    assert [v.quota_id for v in failure.violations] == ["PLUGBOARD_GATEWAY_MAX_STREAMS_PER_PROJECT"]
    assert failure.violations[0].subject == "projects/acme"

    # Another project is served (streams and calls); so are acme's unary calls (a separate limit).
    other, _ = new_key(keys, "globex")
    other_stream = watch(keys, other)
    assert cgrpc.CatalogServiceStub(keys.channel(key=other)).GetConnector(
        cpb.GetConnectorRequest(id="c1"), timeout=10).id == "c1"
    assert cgrpc.CatalogServiceStub(keys.channel(key=first)).GetConnector(
        cpb.GetConnectorRequest(id="c2"), timeout=10).id == "c2"

    # Over HTTP the same limit holds (one mechanism): 429 with the QuotaFailure in the JSON body.
    http = httpx.get(f"http://127.0.0.1:{server.served.http_port}/connectors/drafts/forever:watch",
                     headers={"Authorization": f"Bearer {first}"}, timeout=10)
    assert http.status_code == 429, http.text
    error = http.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    quota = next(d for d in error["details"] if d["@type"].endswith("QuotaFailure"))
    assert quota["violations"][0]["quotaId"] == "PLUGBOARD_GATEWAY_MAX_STREAMS_PER_KEY"

    # Streams that close (cancelled by the client) give their slots back.
    for stream in [*streams, other_stream]:
        stream.cancel()
    settle(quotas, {})
    again = [watch(keys, first) for _ in range(3)]
    for stream in again:
        stream.cancel()
    settle(quotas, {})


def slow_calls(keys: Keys, key: str, count: int, record) -> list:  # type: ignore[no-untyped-def]
    """``count`` GetConnector calls of ``key`` held in flight by the double (each seen arriving)."""
    stub = cgrpc.CatalogServiceStub(keys.channel(key=key))
    before = len(record.calls)
    futures = [stub.GetConnector.future(cpb.GetConnectorRequest(id="slow"), timeout=60) for _ in range(count)]
    deadline = time.monotonic() + SETTLE_SECONDS
    while len(record.calls) < before + count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(record.calls) == before + count
    return futures


def test_concurrent_calls_are_limited_per_key_and_per_project_over_grpc_and_http(limited, record):
    server, keys = limited
    quotas = server.served.quotas
    first, first_id = new_key(keys, "acme")
    held = slow_calls(keys, first, 2, record)
    failure = refusal(lambda: cgrpc.CatalogServiceStub(keys.channel(key=first)).GetConnector(
        cpb.GetConnectorRequest(id="c1"), timeout=10))
    assert [(v.subject, v.quota_id) for v in failure.violations] == [
        (f"keys/{first_id}", "PLUGBOARD_GATEWAY_MAX_CALLS_PER_KEY")]
    base = f"http://127.0.0.1:{server.served.http_port}"
    refused = httpx.get(f"{base}/connectors/c1", headers={"X-API-Key": first}, timeout=10)
    # GET /connectors/{id} speaks commercetools' dialect: its ErrorResponse, the limit named in the message.
    assert refused.status_code == 429 and refused.json()["statusCode"] == 429, refused.text
    assert "at most 2 concurrent calls per API key" in refused.json()["message"], refused.text

    # A second key of acme takes the project's third call (over HTTP), then acme is full for any key.
    second, _ = new_key(keys, "acme")
    held += slow_calls(keys, second, 1, record)
    failure = refusal(lambda: cgrpc.CatalogServiceStub(keys.channel(key=second)).GetConnector(
        cpb.GetConnectorRequest(id="c1"), timeout=10))
    assert [v.quota_id for v in failure.violations] == ["PLUGBOARD_GATEWAY_MAX_CALLS_PER_PROJECT"]
    third, _ = new_key(keys, "acme")
    assert httpx.get(f"{base}/connectors/c1", headers={"X-API-Key": third}, timeout=10).status_code == 429
    # acme's streams are a separate limit; globex is served.
    watch(keys, third).cancel()
    other, _ = new_key(keys, "globex")
    assert httpx.get(f"{base}/connectors/c1", headers={"X-API-Key": other}, timeout=10).status_code == 200

    for future in held:  # the caller gives up: its slots come back
        future.cancel()
    settle(quotas, {})
    assert httpx.get(f"{base}/connectors/c1", headers={"X-API-Key": first}, timeout=10).status_code == 200
    settle(quotas, {})


def test_slots_come_back_after_backend_errors_deadlines_and_refusals(limited):
    """Many more calls than the limits, each ending some other way than a success: none leaks."""
    server, keys = limited
    quotas = server.served.quotas
    key, _ = new_key(keys, "acme")
    catalog = cgrpc.CatalogServiceStub(keys.channel(key=key))
    instances = igrpc.InstanceServiceStub(keys.channel(key=key))
    base = f"http://127.0.0.1:{server.served.http_port}"
    for _ in range(10):
        with pytest.raises(grpc.RpcError) as info:  # the backend answers NOT_FOUND
            catalog.GetConnector(cpb.GetConnectorRequest(id="missing"), timeout=10)
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as info:  # a stream the backend refuses
            next(catalog.WatchConnectorStaged(cpb.WatchConnectorStagedRequest(id="missing"), timeout=10))
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as info:  # the backend is down
            instances.GetInstance(ispb.GetInstanceRequest(id="i1"), timeout=10)
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE
        with pytest.raises(grpc.RpcError) as info:  # the deadline passes while the backend waits
            catalog.GetConnector(cpb.GetConnectorRequest(id="slow"), timeout=0.2)
        assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        with pytest.raises(grpc.RpcError) as info:  # refused by the gateway itself
            catalog.GetConnector(cpb.GetConnectorRequest(id="c1", project="globex"), timeout=10)
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
        stream = catalog.WatchConnectorStaged(cpb.WatchConnectorStagedRequest(id="done"), timeout=10)
        assert len(list(stream)) == 3  # a stream that ends by itself
        assert httpx.get(f"{base}/projects/acme/instances/i1", headers={"X-API-Key": key},
                         timeout=10).status_code == 503
        assert httpx.get(f"{base}/connectors/slow", headers={"X-API-Key": key, "Grpc-Timeout": "200m"},
                         timeout=10).status_code == 504
        assert httpx.post(f"{base}/connectors/drafts", headers={"X-API-Key": key}, content="[[[",
                          timeout=10).status_code == 400
        with httpx.stream("GET", f"{base}/connectors/drafts/forever:watch", headers={"X-API-Key": key},
                          timeout=10) as response:  # an HTTP client that hangs up mid-stream
            assert response.status_code == 200
            next(response.iter_lines())
    settle(quotas, {})
    held = [watch(keys, key) for _ in range(3)]  # the full allowance is still there
    for stream in held:
        stream.cancel()
    settle(quotas, {})


@pytest.mark.parametrize("changes, named", [
    ({"gateway_max_calls_per_project": 600, "gateway_max_streams_per_project": 400},
     "PLUGBOARD_MAX_CONCURRENT_RPCS"),
    ({"gateway_max_calls_per_key": 300}, "PLUGBOARD_GATEWAY_MAX_CALLS_PER_PROJECT"),
    ({"gateway_max_streams_per_key": 0}, "PLUGBOARD_GATEWAY_MAX_STREAMS_PER_KEY"),
])
def test_limits_that_let_one_tenant_fill_the_server_are_refused_at_start_up(settings, changes, named):
    with pytest.raises(SettingsError, match=named):
        settings.with_overrides(**changes).check_gateway_limits()
    from gateway.server import create_server
    from tests.harness import LoopThread

    loop = LoopThread()
    try:
        with pytest.raises(SettingsError, match=named):
            loop.run(create_server(settings.with_overrides(**changes), port=0, http_port=0))
    finally:
        loop.close()


def test_the_limits_are_read_from_the_environment():
    env = {"PLUGBOARD_GATEWAY_MAX_CALLS_PER_KEY": "5", "PLUGBOARD_GATEWAY_MAX_CALLS_PER_PROJECT": "6",
           "PLUGBOARD_GATEWAY_MAX_STREAMS_PER_KEY": "7", "PLUGBOARD_GATEWAY_MAX_STREAMS_PER_PROJECT": "8",
           "PLUGBOARD_MAX_CONCURRENT_RPCS": "15"}
    read = Settings.from_env(env)
    assert (read.gateway_max_calls_per_key, read.gateway_max_calls_per_project, read.gateway_max_streams_per_key,
            read.gateway_max_streams_per_project) == (5, 6, 7, 8)
    with pytest.raises(SettingsError, match="PLUGBOARD_MAX_CONCURRENT_RPCS"):
        Settings.from_env({**env, "PLUGBOARD_MAX_CONCURRENT_RPCS": "14"})
    with pytest.raises(SettingsError, match="PLUGBOARD_GATEWAY_MAX_STREAMS_PER_KEY"):
        Settings.from_env({"PLUGBOARD_GATEWAY_MAX_STREAMS_PER_KEY": "2.5"})
    default = Settings.from_env({})
    assert (default.gateway_max_calls_per_key, default.gateway_max_calls_per_project,
            default.gateway_max_streams_per_key, default.gateway_max_streams_per_project) == (100, 200, 50, 100)
