"""Traces: catalog, instance service and gateway as real processes exporting over OTLP/gRPC to a
receiver in this test. A call through the gateway is one trace across the three services; the
publishing job and the outbound connection-test request are in the trace of the call that caused them;
no attribute holds a secret; every JSON access line carries its call's trace id."""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from concurrent import futures

import grpc
import httpx
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as tpb
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc as tgrpc

from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from tests.instance.helpers import publish
from tests.reliability.stack import (
    SEED_PLUGBOARD,
    SEED_SPEC,
    ServerProcess,
    create_instance,
    gateway_key,
    keyed_channel,
    process_env,
    stack_settings,
)

SECRET = "trace-secret-value-7f3a"


class Receiver(tgrpc.TraceServiceServicer):
    """An OTLP/gRPC trace receiver keeping every span with its service's name."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, object]] = []
        self.lock = threading.Lock()

    def Export(self, request, context):  # noqa: N802 - the generated name
        with self.lock:
            for resource_spans in request.resource_spans:
                service = next((a.value.string_value for a in resource_spans.resource.attributes
                                if a.key == "service.name"), "")
                for scope in resource_spans.scope_spans:
                    self.spans.extend((service, span) for span in scope.spans)
        return tpb.ExportTraceServiceResponse()


@pytest.fixture
def receiver():
    servicer = Receiver()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    tgrpc.add_TraceServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    servicer.port = port  # type: ignore[attr-defined]
    try:
        yield servicer
    finally:
        server.stop(0)


def _attributes(span) -> dict[str, str]:
    out = {}
    for attribute in span.attributes:
        value = attribute.value
        out[attribute.key] = value.string_value or str(value.int_value or value.bool_value or "")
    return out


def test_a_call_through_the_gateway_is_one_trace_across_the_three_services(tmp_path, receiver):
    common = {"PLUGBOARD_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver.port}", "OTEL_BSP_SCHEDULE_DELAY": "50",
              "PLUGBOARD_LOG_FORMAT": "json", "PLUGBOARD_LOG_LEVEL": "INFO", "PLUGBOARD_GRACE_SECONDS": "1"}
    catalog = ServerProcess("catalog", process_env(
        tmp_path, "catalog", f"sqlite:///{tmp_path / 'catalog.db'}", PLUGBOARD_GIT_ALLOW_FILE_URLS="true",
        **common), tmp_path / "catalog.log")
    catalog.start()
    instance = ServerProcess("instance", process_env(
        tmp_path, "instance", f"sqlite:///{tmp_path / 'instance.db'}", PLUGBOARD_CATALOG_TARGET=catalog.target,
        PLUGBOARD_CONNECTION_TEST_ALLOW_CIDRS="127.0.0.0/8", PLUGBOARD_CONNECTION_TEST_TIMEOUT_SECONDS="2",
        **common), tmp_path / "instance.log")
    gateway_db = f"sqlite:///{tmp_path / 'gateway.db'}"
    gateway = ServerProcess("gateway", process_env(
        tmp_path, "gateway", gateway_db, PLUGBOARD_CATALOG_TARGET=catalog.target, PLUGBOARD_HTTP_PORT="0",
        **common), tmp_path / "gateway.log")
    processes = [catalog, instance, gateway]
    try:
        instance.env["PLUGBOARD_CATALOG_TARGET"] = catalog.target
        instance.start()
        gateway.env["PLUGBOARD_INSTANCE_TARGET"] = instance.target
        gateway.start()
        key = gateway_key(stack_settings(tmp_path, gateway_db).with_overrides(gateway_database_url=gateway_db),
                          "tracing")
        channel = keyed_channel(gateway.target, key)
        connector_id = publish(cgrpc.CatalogServiceStub(channel), "tracing", "traced", spec=SEED_SPEC,
                               plugboard=SEED_PLUGBOARD)
        stub = igrpc.InstanceServiceStub(channel)
        created = create_instance(stub, "tracing", "traced", "traced", secrets={"API_TOKEN": SECRET},
                                  plain={"ACCOUNT": "a1", "HOST": "127.0.0.1:9"})
        stub.TestInstanceConnection(ispb.TestInstanceConnectionRequest(id=created.id), timeout=10)
        channel.close()
        http_port = int(re.search(r"HTTP/JSON on port (\d+)", gateway.log_text()).group(1))
        answer = httpx.get(f"http://127.0.0.1:{http_port}/connectors/{connector_id}",
                           headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert answer.status_code == 200, answer.text
        assert connector_id
    finally:
        for process in reversed(processes):
            process.stop()  # SIGTERM: each flushes its spans before it exits

    spans = receiver.spans
    by_trace: dict[bytes, list[tuple[str, object]]] = defaultdict(list)
    for service, span in spans:
        by_trace[span.trace_id].append((service, span))

    def trace_of(service: str, name: str) -> list[tuple[str, object]]:
        roots = [span for s, span in spans if s == service and span.name == name]
        assert roots, f"no span {name} from {service}: {sorted({(s, sp.name) for s, sp in spans})}"
        return by_trace[roots[0].trace_id]

    # CreateInstance: gateway -> instance service -> catalog (is the connector usable?), one trace.
    created_trace = trace_of("plugboard-gateway", "plugboard.instance.v1.InstanceService/CreateInstance")
    assert {s for s, _ in created_trace} == {"plugboard-gateway", "plugboard-instance", "plugboard-catalog"}
    assert any(s == "plugboard-catalog" and span.name.endswith("/CheckConnectorUsable")
               for s, span in created_trace)
    # Every span of that trace but the gateway's server span has its parent in the trace.
    ids = {span.span_id for _, span in created_trace}
    orphans = [span.name for _, span in created_trace if span.parent_span_id and span.parent_span_id not in ids]
    assert not orphans, orphans

    # The publish request's trace holds the job the catalog ran for it.
    publish_traces = [by_trace[span.trace_id] for s, span in spans if s == "plugboard-gateway"
                      and span.name.endswith("/UpdateConnectorStaged")]
    assert any(any(s == "plugboard-catalog" and span.name == "job publish" for s, span in trace)
               for trace in publish_traces)

    # The connection test's outbound request, with method, host and port only.
    tested = trace_of("plugboard-gateway", "plugboard.instance.v1.InstanceService/TestInstanceConnection")
    [outbound] = [span for s, span in tested if s == "plugboard-instance" and span.name.startswith("HTTP ")]
    attributes = _attributes(outbound)
    assert attributes["server.address"] == "127.0.0.1" and attributes["server.port"] == "9"
    for _, span in spans:
        for text in _attributes(span).values():
            assert SECRET not in text and key not in text

    # An HTTP/JSON request is a trace too: the gateway's HTTP span (by route template), then the catalog's.
    http_trace = trace_of("plugboard-gateway", "HTTP GET /connectors/{id}")
    assert any(s == "plugboard-catalog" and span.name.endswith("/GetConnector") for s, span in http_trace)

    # Every JSON access line has a trace id; the gateway's CreateInstance line has the span's.
    created_id = next(span.trace_id.hex() for s, span in spans if s == "plugboard-gateway"
                      and span.name == "plugboard.instance.v1.InstanceService/CreateInstance")
    for process in processes:
        for line in process.log_text().splitlines():
            entry = json.loads(line)
            if entry["logger"] == "plugboard.access":
                assert len(entry["trace_id"]) == 32, entry
    access = [json.loads(line) for line in gateway.log_text().splitlines()
              if '"plugboard.access"' in line and "CreateInstance" in line]
    assert [entry["trace_id"] for entry in access] == [created_id]
    assert access[0]["project"] == "tracing"
    assert SECRET not in "".join(p.log_text() for p in processes)


def test_tracing_is_off_without_an_endpoint():
    from plugboard.observability import tracing
    from plugboard.settings import Settings

    assert Settings.from_env({}).otlp_endpoint == ""
    assert not tracing.enabled()
    assert tracing.client_interceptors() == []
    with tracing.job_span("draft", "publish") as span:
        assert span is None
