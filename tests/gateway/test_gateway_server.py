"""The gateway as a server: reflection describes the forwarded services, health per service."""

from __future__ import annotations

import grpc
from google.protobuf import descriptor_pool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from gateway.routes import INTERNAL_METHODS, SERVICE_NAMES

SERVED = {
    "plugboard.catalog.v1.CatalogService",
    "plugboard.catalog.v1.CertificationService",
    "plugboard.instance.v1.InstanceService",
    "plugboard.catalog.v1.CatalogChangeHistoryService",
    "plugboard.instance.v1.InstanceChangeHistoryService",
    "plugboard.gateway.v1.KeyChangeHistoryService",  # answered by the gateway itself
}
OWN = "plugboard.gateway.v1.KeyChangeHistoryService"


def test_reflection_lists_and_describes_the_three_services(gateway):
    database = ProtoReflectionDescriptorDatabase(gateway.channel)
    services = set(database.get_services())
    assert SERVED <= services
    assert "grpc.health.v1.Health" in services

    pool = descriptor_pool.DescriptorPool(database)
    catalog = pool.FindServiceByName("plugboard.catalog.v1.CatalogService")
    assert catalog.FindMethodByName("WatchConnectorStaged").server_streaming
    request = pool.FindMessageTypeByName("plugboard.catalog.v1.DeleteConnectorRequest")
    assert {f.name for f in request.fields} >= {"id", "dry_run", "project"}
    assert pool.FindServiceByName("plugboard.instance.v1.InstanceService").FindMethodByName("CreateInstance")
    keys = pool.FindServiceByName("plugboard.gateway.v1.KeyChangeHistoryService")
    assert {m.name for m in keys.methods} == {"ListChanges", "GetChange"}
    assert keys.FindMethodByName("GetChange").output_type.full_name == "plugboard.history.v1.ChangeRecord"


def test_health_has_a_status_per_served_service(gateway):
    health = health_pb2_grpc.HealthStub(gateway.channel)
    for name in ("", *SERVED):
        response = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=3)
        assert response.status == health_pb2.HealthCheckResponse.SERVING, name
    try:
        health.Check(health_pb2.HealthCheckRequest(service="plugboard.nope.v1.Nope"), timeout=3)
    except grpc.RpcError as exc:
        assert exc.code() == grpc.StatusCode.NOT_FOUND
    else:
        raise AssertionError("an unknown service must be NOT_FOUND")


def test_routing_table_covers_the_services():
    assert set(SERVICE_NAMES) == SERVED
    assert all(path.split("/")[1] in SERVED for path in INTERNAL_METHODS)


def _status(channel, service: str) -> int:  # type: ignore[no-untyped-def]
    return health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=service), timeout=3).status


def _wait_for(channel, service: str, status: int, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    import time

    deadline = time.monotonic() + seconds
    while _status(channel, service) != status:
        assert time.monotonic() < deadline, f"{service or 'the gateway'} never became {status}"
        time.sleep(0.1)


def test_health_follows_the_backends(settings, catalog_server):
    from instance_service.server import create_server
    from tests.gateway.conftest import start_gateway
    from tests.harness import start_server

    instance_settings = settings.with_overrides(catalog_target=catalog_server.target)
    instance_server = start_server(lambda: create_server(instance_settings, port=0))
    gateway = start_gateway(settings, catalog_server.target, instance_server.target, health_interval=0.2)
    try:
        for name in ("", *SERVED):
            _wait_for(gateway.channel, name, health_pb2.HealthCheckResponse.SERVING)
        instance_server.stop()
        _wait_for(gateway.channel, "plugboard.instance.v1.InstanceService", health_pb2.HealthCheckResponse.NOT_SERVING)
        _wait_for(gateway.channel, "", health_pb2.HealthCheckResponse.NOT_SERVING)
        assert _status(gateway.channel, "plugboard.catalog.v1.CatalogService") == health_pb2.HealthCheckResponse.SERVING
    finally:
        gateway.stop()


def test_health_is_not_serving_without_backends(settings):
    from tests.gateway.conftest import closed_port, start_gateway

    gateway = start_gateway(settings, f"127.0.0.1:{closed_port()}", f"127.0.0.1:{closed_port()}",
                            health_interval=0.2)
    try:
        for name in ("", *(SERVED - {OWN})):
            _wait_for(gateway.channel, name, health_pb2.HealthCheckResponse.NOT_SERVING)
        # The service the gateway answers from its own database does not depend on the backends.
        assert _status(gateway.channel, OWN) == health_pb2.HealthCheckResponse.SERVING
    finally:
        gateway.stop()
