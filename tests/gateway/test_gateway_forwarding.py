"""Forwarding through the gateway over real gRPC: payloads, streams, metadata, deadlines,
cancellation, errors with their rich details, and a backend that is down."""

from __future__ import annotations

import time

import grpc
import pytest

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.catalog.v1 import update_actions_pb2 as apb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.rpc.status import DETAILS_METADATA_KEY
from tests.gateway.conftest import DEFAULT_DEADLINE, closed_port, start_gateway
from tests.gateway.doubles import INITIAL, STREAMED, TRAILING
from tests.rich import expect_error, fields


def draft_request(key: str, project: str = "acme") -> cpb.CreateConnectorStagedRequest:
    return cpb.CreateConnectorStagedRequest(project=project, draft=spb.ConnectorStagedDraft(
        key=key, name="Shop sync",
        repository=spb.Repository(url="https://github.com/acme/shop-sync.git", tag="v1.0.0"),
    ))


def rich_error(call) -> grpc.RpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as info:
        call()
    return info.value


def details_bytes(exc: grpc.RpcError) -> bytes:
    return dict(exc.trailing_metadata())[DETAILS_METADATA_KEY]


# --- the real catalog behind the gateway ----------------------------------------------------------


def test_unary_calls_are_forwarded_both_ways(catalog, direct_catalog, unique):
    created = catalog.CreateConnectorStaged(draft_request(f"fwd-{unique}"))
    assert created.id and created.key == f"fwd-{unique}" and created.creator_project == "acme"

    through_gateway = catalog.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=created.id))
    direct = direct_catalog.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=created.id))
    assert through_gateway == direct == created

    updated = catalog.UpdateConnectorStaged(cpb.UpdateConnectorStagedRequest(
        id=created.id, version=created.version, project="acme",
        actions=[apb.ConnectorStagedUpdateAction(set_name=apb.ConnectorStagedUpdateAction.SetName(name="Renamed"))],
    ))
    assert updated.name == "Renamed" and updated.version == created.version + 1
    assert direct_catalog.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=created.id)).name == "Renamed"


def test_rich_error_details_pass_through_unchanged(catalog, direct_catalog):
    bad = cpb.CreateConnectorStagedRequest(project="acme", draft=spb.ConnectorStagedDraft(
        key="x", name="", repository=spb.Repository(url="not a url", tag="")))
    via_gateway = rich_error(lambda: catalog.CreateConnectorStaged(bad))
    direct = rich_error(lambda: direct_catalog.CreateConnectorStaged(bad))

    assert via_gateway.code() == direct.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert via_gateway.details() == direct.details()
    assert details_bytes(via_gateway) == details_bytes(direct)  # the google.rpc.Status, byte for byte
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: catalog.CreateConnectorStaged(bad))
    assert {"draft.key", "draft.name", "draft.repository.url", "draft.repository.tag"} <= fields(error)


def test_not_found_passes_through_with_its_reason(catalog):
    error = expect_error(grpc.StatusCode.NOT_FOUND,
                         lambda: catalog.GetConnector(cpb.GetConnectorRequest(id="no-such-connector")))
    assert error.reason.endswith("NOT_FOUND")


def test_server_streaming_call_answers_as_the_catalog_does(catalog, direct_catalog, unique):
    created = catalog.CreateConnectorStaged(draft_request(f"watch-{unique}"))

    def first(stub):  # type: ignore[no-untyped-def]
        call = stub.WatchConnectorStaged(cpb.WatchConnectorStagedRequest(id=created.id), timeout=5)
        try:
            return next(iter(call))
        except grpc.RpcError as exc:
            return (exc.code(), exc.details(), dict(exc.trailing_metadata()).get(DETAILS_METADATA_KEY))
        finally:
            call.cancel()

    assert first(catalog) == first(direct_catalog)


def test_a_short_caller_deadline_ends_promptly(catalog, unique):
    # A stream that stays open on the backend (or fails at once while watching is not implemented).
    created = catalog.CreateConnectorStaged(draft_request(f"deadline-{unique}"))
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as info:
        for _ in catalog.WatchConnectorStaged(cpb.WatchConnectorStagedRequest(id=created.id), timeout=0.3):
            pass
    assert time.monotonic() - started < 2.0
    assert info.value.code() in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNIMPLEMENTED)


# --- the recording double behind the gateway -----------------------------------------------------


def test_metadata_goes_to_the_backend_and_comes_back(double_gateway, record):
    stub = cgrpc.CatalogServiceStub(double_gateway.channel)
    response, call = stub.GetConnector.with_call(
        cpb.GetConnectorRequest(id="c1"), metadata=(("x-request-id", "r-42"), ("x-trace-bin", b"\x01\x02")))
    assert response.id == "c1" and response.key == "key-of-c1"
    _, seen, _ = record.last()
    assert seen["x-request-id"] == "r-42" and seen["x-trace-bin"] == b"\x01\x02"
    assert not any(key.startswith(":") or key == "grpc-timeout" for key in seen)
    assert "authorization" not in seen and "x-api-key" not in seen  # the key stays at the gateway
    assert INITIAL in tuple(call.initial_metadata())
    assert TRAILING in tuple(call.trailing_metadata())


def test_the_callers_deadline_reaches_the_backend(double_gateway, record):
    stub = cgrpc.CatalogServiceStub(double_gateway.channel)
    stub.GetConnector(cpb.GetConnectorRequest(id="c1"), timeout=3.0)
    _, _, remaining = record.last()
    assert remaining is not None and 2.0 < remaining <= 3.1


def test_a_call_without_deadline_gets_the_default_one(double_gateway, record):
    stub = cgrpc.CatalogServiceStub(double_gateway.channel)
    stub.GetConnector(cpb.GetConnectorRequest(id="c1"))
    _, _, remaining = record.last()
    assert remaining is not None and DEFAULT_DEADLINE - 1.0 < remaining <= DEFAULT_DEADLINE + 0.1


def test_deadline_exceeded_ends_promptly_and_cancels_the_backend_call(double_gateway, record):
    stub = cgrpc.CatalogServiceStub(double_gateway.channel)
    started = time.monotonic()
    expect_error(grpc.StatusCode.DEADLINE_EXCEEDED,
                 lambda: stub.GetConnector(cpb.GetConnectorRequest(id="slow"), timeout=0.5))
    assert time.monotonic() - started < 2.0
    _, _, remaining = record.last()
    assert remaining is not None and remaining <= 0.6
    assert record.cancelled.wait(3.0), "the backend call outlived the caller's deadline"


def test_cancelling_the_caller_cancels_the_backend_call(double_gateway, record):
    stub = cgrpc.CatalogServiceStub(double_gateway.channel)
    future = stub.GetConnector.future(cpb.GetConnectorRequest(id="slow"), timeout=30)
    assert record.started.wait(3.0)
    future.cancel()
    assert record.cancelled.wait(3.0), "the backend call outlived the caller"


def test_server_streaming_is_forwarded_message_by_message(double_gateway, record):
    stub = cgrpc.CatalogServiceStub(double_gateway.channel)
    call = stub.WatchConnectorStaged(cpb.WatchConnectorStagedRequest(id="d1"), timeout=5)
    events = list(call)
    assert [e.connector_staged.version for e in events] == list(range(1, STREAMED + 1))
    assert all(e.connector_staged.id == "d1" for e in events)
    assert INITIAL in tuple(call.initial_metadata())
    assert TRAILING in tuple(call.trailing_metadata())
    assert call.code() == grpc.StatusCode.OK


def test_cancelling_a_stream_cancels_the_backend_stream(double_gateway, record):
    stub = cgrpc.CatalogServiceStub(double_gateway.channel)
    call = stub.WatchConnectorStaged(cpb.WatchConnectorStagedRequest(id="forever"), timeout=30)
    stream = iter(call)
    assert [next(stream).connector_staged.version for _ in range(STREAMED)] == [1, 2, 3]
    call.cancel()
    assert record.cancelled.wait(3.0), "the backend stream outlived the caller"


def test_a_stream_error_passes_through_with_its_details(double_gateway):
    stub = cgrpc.CatalogServiceStub(double_gateway.channel)
    error = expect_error(grpc.StatusCode.NOT_FOUND, lambda: list(
        stub.WatchConnectorStaged(cpb.WatchConnectorStagedRequest(id="missing"), timeout=5)))
    assert error.reason == "CONNECTOR_STAGED_NOT_FOUND" and error.resource_name == "missing"


# --- a backend that is down ----------------------------------------------------------------------


@pytest.fixture
def orphan_gateway(settings):
    """The gateway with both backends down."""
    server = start_gateway(settings, f"127.0.0.1:{closed_port()}", f"127.0.0.1:{closed_port()}")
    yield server
    server.stop()


@pytest.mark.parametrize("timeout", [None, 30.0])
def test_a_backend_that_is_down_gives_unavailable_promptly(orphan_gateway, timeout):
    catalog = cgrpc.CatalogServiceStub(orphan_gateway.channel)
    instances = igrpc.InstanceServiceStub(orphan_gateway.channel)
    for call, backend in (
        (lambda: catalog.GetConnector(cpb.GetConnectorRequest(id="c1"), timeout=timeout), "catalog"),
        (lambda: list(catalog.WatchConnectorStaged(cpb.WatchConnectorStagedRequest(id="d1"), timeout=timeout)),
         "catalog"),
        (lambda: instances.GetInstance(ispb.GetInstanceRequest(project="acme", id="i1"), timeout=timeout),
         "instance"),
    ):
        for _ in range(2):  # the first call connects, the second meets a channel already failing
            started = time.monotonic()
            error = expect_error(grpc.StatusCode.UNAVAILABLE, call, reason="BACKEND_UNAVAILABLE")
            assert time.monotonic() - started < 3.0
            assert error.metadata["backend"] == backend
            assert "127.0.0.1" not in error.message  # no internal address leaks to callers
