"""Access lines: the trace id in both formats, JSON objects with the documented fields, no secret."""

from __future__ import annotations

import io
import json
import logging
import time

import grpc
import pytest

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.logs import JsonFormatter, OneLineFormatter, configure_logging
from plugboard.rpc.handlers import ACCESS_LOGGER
from tests.reliability.stack import start_stack

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def stack(tmp_path):
    running = start_stack("sqlite", f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path)
    try:
        yield running
    finally:
        running.stop()


def _access(caplog, method: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == ACCESS_LOGGER and getattr(r, "rpc_method", "") == method]


def test_access_lines_carry_the_trace_id_and_the_project_in_both_formats(stack, caplog):
    caplog.set_level(logging.INFO)
    stub = cgrpc.CatalogServiceStub(stack.gateway.channel)
    stub.GetConnector(cpb.GetConnectorRequest(id=stack.connector_id), timeout=10,
                      metadata=[("traceparent", TRACEPARENT)])
    with pytest.raises(grpc.RpcError):
        stub.GetConnector(cpb.GetConnectorRequest(id="missing"), timeout=10)
    deadline = time.monotonic() + 5  # a server logs its line as the call ends, the caller may be faster
    while len(_access(caplog, "/plugboard.catalog.v1.CatalogService/GetConnector")) < 4 \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    records = _access(caplog, "/plugboard.catalog.v1.CatalogService/GetConnector")
    # Gateway and catalog each log both calls; the caller's traceparent reached both.
    assert len(records) == 4
    traced = [r for r in records if r.trace_id == TRACE_ID]
    assert len(traced) == 2
    untraced = [r for r in records if r.trace_id != TRACE_ID]
    assert all(len(r.trace_id) == 32 for r in untraced)
    gateway_lines = [r for r in records if r.project]
    assert gateway_lines and all(r.project == stack.project for r in gateway_lines)

    text = OneLineFormatter().format(traced[0])
    assert f"trace_id={TRACE_ID}" in text and "code=OK" in text
    for record in records:
        entry = json.loads(JsonFormatter().format(record))
        assert {"time", "level", "logger", "message", "method", "code", "duration_ms", "trace_id"} <= set(entry)
        assert entry["logger"] == ACCESS_LOGGER and entry["level"] == "INFO"
        assert entry["method"] == "/plugboard.catalog.v1.CatalogService/GetConnector"
        assert entry["code"] in ("OK", "NOT_FOUND")
    assert any(json.loads(JsonFormatter().format(r)).get("project") == stack.project for r in records)
    # No secret anywhere in what was logged: the seeded secret value, the API key.
    everything = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "seed-token-" not in everything and stack.gateway_key not in everything


def test_json_format_is_one_object_per_line_without_traceback():
    stream = io.StringIO()
    configure_logging("INFO", "json")
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "plugboard")
    handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        log = logging.getLogger("plugboard.test")
        try:
            raise ValueError("password=hunter2")
        except ValueError:
            log.exception("it failed\nacross lines")
    finally:
        configure_logging("INFO")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["message"] == "it failed\nacross lines" and entry["level"] == "ERROR"
    assert entry["exception"].startswith("ValueError at ") and "hunter2" not in lines[0]


def test_unknown_log_format_is_refused():
    from plugboard.settings import Settings, SettingsError

    assert Settings.from_env({"PLUGBOARD_LOG_FORMAT": "json"}).log_format == "json"
    with pytest.raises(SettingsError, match="PLUGBOARD_LOG_FORMAT"):
        Settings.from_env({"PLUGBOARD_LOG_FORMAT": "xml"})
