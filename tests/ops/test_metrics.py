"""Prometheus metrics, scraped from the real /metrics endpoints after real calls through a real stack:
per-RPC counters and latency histograms by service and method, the gateway's HTTP routes, the domain's
own (jobs, connection tests, refusals, quota refusals, secrets per key id)."""

from __future__ import annotations

import urllib.request

import grpc
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.rpc.server import LIVENESS_SERVICE
from tests.reliability.stack import free_port, health_status, start_stack


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the endpoint: (name, sorted labels) -> value."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    return sum(v for (n, ls), v in samples.items()
               if n == name and all((k, x) in ls for k, x in labels.items()))


@pytest.fixture
def stack(tmp_path):
    ports = {name: free_port() for name in ("catalog", "instance", "gateway")}
    running = start_stack("sqlite", f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path,
                          catalog_metrics_port=ports["catalog"], instance_metrics_port=ports["instance"],
                          gateway_metrics_port=ports["gateway"], gateway_max_calls_per_key=1,
                          gateway_max_calls_per_project=1)
    running.metrics_ports = ports  # type: ignore[attr-defined]
    try:
        yield running
    finally:
        running.stop()


def test_every_server_counts_its_calls_and_the_domain_its_events(stack):
    ports = stack.metrics_ports
    gateway_catalog = cgrpc.CatalogServiceStub(stack.gateway.channel)
    for _ in range(3):
        gateway_catalog.GetConnector(cpb.GetConnectorRequest(id=stack.connector_id), timeout=10)
    with pytest.raises(grpc.RpcError) as missing:
        gateway_catalog.GetConnector(cpb.GetConnectorRequest(id="no-such-connector"), timeout=10)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as refused:  # the seeded instance uses it
        gateway_catalog.DeleteConnector(cpb.DeleteConnectorRequest(id=stack.connector_id), timeout=10)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    instances = igrpc.InstanceServiceStub(stack.gateway.channel)
    tested = instances.TestInstanceConnection(ispb.TestInstanceConnectionRequest(id=stack.instance_id),
                                              timeout=10)
    with httpx.Client(base_url=f"http://127.0.0.1:{stack.gateway.served.http_port}",
                      headers={"Authorization": f"Bearer {stack.gateway_key}"}) as http:
        assert http.get(f"/connectors/{stack.connector_id}").status_code == 200

    gateway = scrape(ports["gateway"])
    method = {"grpc_service": "plugboard.catalog.v1.CatalogService", "grpc_method": "GetConnector"}
    assert value(gateway, "grpc_server_started_total", **method) == 4
    assert value(gateway, "grpc_server_handled_total", grpc_code="OK", **method) == 3
    assert value(gateway, "grpc_server_handled_total", grpc_code="NOT_FOUND", **method) == 1
    assert value(gateway, "grpc_server_handling_seconds_count", grpc_type="UNARY", **method) == 4
    assert value(gateway, "grpc_server_handled_total", grpc_method="DeleteConnector",
                 grpc_code="FAILED_PRECONDITION") == 1
    assert value(gateway, "plugboard_refusals_total", operation="connector_delete",
                 reason="CONNECTOR_HAS_INSTANCES") == 1
    assert value(gateway, "http_server_requests_total", route="/connectors/{id}", method="GET", code="200") == 1
    assert value(gateway, "http_server_request_duration_seconds_count", route="/connectors/{id}") == 1

    catalog = scrape(ports["catalog"])
    # The catalog's own figures: the four forwarded calls, the HTTP GET and the delete protocol's read.
    assert value(catalog, "grpc_server_started_total", **method) == 6
    assert value(catalog, "grpc_server_handled_total", grpc_method="CheckConnectorUsable", grpc_code="OK") >= 1
    # Seeding published the connector: one publish job queued, run and finished.
    assert value(catalog, "plugboard_jobs_queued_total", kind="publish") == 1
    assert value(catalog, "plugboard_jobs_finished_total", kind="publish") == 1
    assert value(catalog, "plugboard_job_duration_seconds_count", kind="publish") == 1
    assert value(catalog, "plugboard_jobs_running", kind="publish") == 0

    instance = scrape(ports["instance"])
    assert value(instance, "plugboard_connection_tests_total") == 1
    assert value(instance, "plugboard_connection_test_duration_seconds_count") == 1
    assert value(instance, "grpc_server_handled_total", grpc_method="TestInstanceConnection", grpc_code="OK") == 1
    # The seeded instance holds one secret, under the test key "rel-1".
    assert value(instance, "plugboard_secrets", key_id="rel-1") == 1
    assert tested.id

    # Quota refusals: with one call in flight per key allowed, concurrent calls are refused and counted.
    futures = [gateway_catalog.GetConnector.future(cpb.GetConnectorRequest(id=stack.connector_id), timeout=10)
               for _ in range(20)]
    codes = []
    for future in futures:
        try:
            future.result()
            codes.append("OK")
        except grpc.RpcError as exc:
            codes.append(exc.code().name)
    refused = codes.count("RESOURCE_EXHAUSTED")
    assert refused >= 1, codes
    samples = scrape(ports["gateway"])
    assert value(samples, "plugboard_quota_refusals_total", limit="key_calls") == refused

    # Every server answers the process-only health status that liveness probes check.
    for server in (stack.catalog, stack.instance, stack.gateway):
        assert health_status(server.target, LIVENESS_SERVICE) == "SERVING"


def test_metrics_are_off_by_default(tmp_path):
    from plugboard.settings import Settings

    settings = Settings.from_env({})
    assert (settings.catalog_metrics_port, settings.instance_metrics_port, settings.gateway_metrics_port) == (0, 0, 0)


def test_database_errors_are_counted_by_reason():
    import peewee

    from plugboard.errors import Unavailable
    from plugboard.observability.metrics import install_domain_metrics
    from plugboard.storage.errors import translate_errors

    metrics = install_domain_metrics()
    before = metrics.database_errors.labels("DATABASE_UNAVAILABLE")._value.get()
    with pytest.raises(Unavailable):
        with translate_errors():
            raise peewee.OperationalError(Exception("connection refused"))
    assert metrics.database_errors.labels("DATABASE_UNAVAILABLE")._value.get() == before + 1
