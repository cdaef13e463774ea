"""OpenTelemetry traces, off unless ``PLUGBOARD_OTLP_ENDPOINT`` is set (then exported over OTLP/gRPC).

When off, nothing here allocates a span or touches call metadata: ``enabled()`` is one global read,
the handler wrapper asks it once per call, channels get no interceptor, and the context managers are
``nullcontext``. When on:

- every call a server handles is a SERVER span (``plugboard.rpc.handlers``), child of the W3C
  ``traceparent`` in the call's metadata;
- every call on a channel from ``plugboard.rpc.client.channel`` is a CLIENT span whose context goes out
  in ``traceparent`` (replacing one the caller sent: the gateway forwards its caller's metadata);
- a publishing or preview job is an INTERNAL span, child of the request that queued it when this process
  queued it (``remember_draft`` / ``job_span``);
- a connection test's outbound HTTP request is a CLIENT span with its method, host, port and status, never
  its URL's path or query, headers or body (they may carry credentials).

Attributes never hold secrets or payloads: methods, codes, ids, hosts.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

import grpc

_log = logging.getLogger("plugboard.tracing")

TRACEPARENT = "traceparent"
_REMEMBERED = 1024

_tracer: Any = None
_provider: Any = None
_propagator: Any = None
_job_contexts: "OrderedDict[str, Any]" = OrderedDict()


def enabled() -> bool:
    return _tracer is not None


def configure(endpoint: str, service_name: str, *, exporter: Any = None) -> None:
    """Export this process's spans to the OTLP/gRPC collector at ``endpoint`` (``http://host:4317``), as
    ``service_name``; or to ``exporter`` (tests: an in-memory exporter, spans exported at once)."""
    global _tracer, _provider, _propagator
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=True)))
    _provider = provider
    _propagator = TraceContextTextMapPropagator()
    _tracer = provider.get_tracer("plugboard")
    _log.info("tracing on: exporting spans as %s", service_name)


def shutdown() -> None:
    """Flush and stop the exporter; tracing is off afterwards."""
    global _tracer, _provider
    provider, _tracer, _provider = _provider, None, None
    _job_contexts.clear()
    if provider is not None:
        provider.shutdown()


# --- ids for the logs ----------------------------------------------------------------------------------


def trace_id_from(metadata: Sequence[tuple[str, Any]] | None) -> str:
    """The trace id of a ``traceparent`` in ``metadata`` ("" when there is none or it is malformed)."""
    for key, value in metadata or ():
        if key == TRACEPARENT and isinstance(value, str):
            parts = value.split("-")
            if len(parts) >= 4 and len(parts[1]) == 32:
                return parts[1]
    return ""


def new_trace_id() -> str:
    """A fresh trace id for a call that came without one (no system call: it only correlates log lines)."""
    return f"{random.getrandbits(128):032x}"


def _hex_trace_id(span: Any) -> str:
    return format(span.get_span_context().trace_id, "032x")


# --- server spans --------------------------------------------------------------------------------------


class ServerSpan:
    """The span of one handled call (created only while tracing is on)."""

    __slots__ = ("span", "token", "trace_id")

    def __init__(self, method: str, metadata: Sequence[tuple[str, Any]] | None) -> None:
        from opentelemetry import context as otel_context
        from opentelemetry import trace

        carrier = {key: value for key, value in metadata or () if isinstance(value, str)}
        parent = _propagator.extract(carrier)
        service, _, name = method.lstrip("/").partition("/")
        self.span = _tracer.start_span(method.lstrip("/"), context=parent, kind=trace.SpanKind.SERVER,
                                       attributes={"rpc.system": "grpc", "rpc.service": service,
                                                   "rpc.method": name})
        self.token = otel_context.attach(trace.set_span_in_context(self.span, parent))
        self.trace_id = _hex_trace_id(self.span)

    def end(self, code: str) -> None:
        from opentelemetry import context as otel_context
        from opentelemetry.trace import Status, StatusCode

        self.span.set_attribute("rpc.grpc.status_code", code)
        if code not in ("OK", "NOT_FOUND", "ALREADY_EXISTS", "FAILED_PRECONDITION", "ABORTED",
                        "INVALID_ARGUMENT", "PERMISSION_DENIED", "UNAUTHENTICATED", "CANCELLED"):
            self.span.set_status(Status(StatusCode.ERROR, code))
        self.span.end()
        try:
            otel_context.detach(self.token)
        except Exception:  # noqa: BLE001 - detached in another context (a cancelled stream): nothing to undo
            pass


class HttpServerSpan:
    """The span of one HTTP request the gateway answers (while tracing is on)."""

    __slots__ = ("span", "token")

    def __init__(self, verb: str, traceparent: str | None) -> None:
        from opentelemetry import context as otel_context
        from opentelemetry import trace

        parent = _propagator.extract({TRACEPARENT: traceparent} if traceparent else {})
        self.span = _tracer.start_span(f"HTTP {verb}", context=parent, kind=trace.SpanKind.SERVER,
                                       attributes={"http.request.method": verb})
        self.token = otel_context.attach(trace.set_span_in_context(self.span, parent))

    def end(self, status: str, route: str) -> None:
        from opentelemetry import context as otel_context

        self.span.set_attribute("http.route", route)
        self.span.set_attribute("http.response.status_code", int(status))
        self.span.update_name(f"HTTP {self.span.attributes.get('http.request.method', '')} {route}")
        self.span.end()
        try:
            otel_context.detach(self.token)
        except Exception:  # noqa: BLE001
            pass


def http_server_span(verb: str, traceparent: str | None) -> HttpServerSpan | None:
    return HttpServerSpan(verb, traceparent) if _tracer is not None else None


def current_trace_id() -> str:
    """The trace id of the current span ("" when tracing is off or no span is current)."""
    if _tracer is None:
        return ""
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else ""


# --- client spans --------------------------------------------------------------------------------------


def _outgoing(details: Any, span: Any) -> Any:
    from opentelemetry import trace

    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=trace.set_span_in_context(span))
    pairs = [(k, v) for k, v in (details.metadata or ()) if k not in ("traceparent", "tracestate")]
    pairs.extend(carrier.items())
    return grpc.aio.ClientCallDetails(details.method, details.timeout, grpc.aio.Metadata(*pairs),
                                      details.credentials, details.wait_for_ready)


def _client_span(details: Any) -> Any:
    from opentelemetry import trace

    method = details.method.decode() if isinstance(details.method, bytes) else details.method
    service, _, name = method.lstrip("/").partition("/")
    return _tracer.start_span(method.lstrip("/"), kind=trace.SpanKind.CLIENT,
                              attributes={"rpc.system": "grpc", "rpc.service": service, "rpc.method": name})


def _end_with(span: Any) -> Any:
    def done(call: Any) -> None:
        try:
            code = call.code()
            span.set_attribute("rpc.grpc.status_code", code.name if code is not None else "UNKNOWN")
        except Exception:  # noqa: BLE001
            pass
        span.end()

    return done


class ClientTracing(grpc.aio.UnaryUnaryClientInterceptor, grpc.aio.UnaryStreamClientInterceptor):
    """CLIENT spans for the calls of a channel, their context sent in ``traceparent``."""

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        span = _client_span(details)
        call = await continuation(_outgoing(details, span), request)
        call.add_done_callback(_end_with(span))
        return call

    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        span = _client_span(details)
        call = await continuation(_outgoing(details, span), request)
        call.add_done_callback(_end_with(span))
        return call


def client_interceptors() -> list[Any]:
    """The interceptors a new channel gets: none while tracing is off."""
    return [ClientTracing()] if _tracer is not None else []


# --- jobs and outbound HTTP ----------------------------------------------------------------------------


def remember_draft(draft_id: str) -> None:
    """Remember the current context as the origin of a job on ``draft_id`` (bounded; on only)."""
    if _tracer is None:
        return
    from opentelemetry import context as otel_context

    _job_contexts[draft_id] = otel_context.get_current()
    _job_contexts.move_to_end(draft_id)
    while len(_job_contexts) > _REMEMBERED:
        _job_contexts.popitem(last=False)


@contextlib.contextmanager
def job_span(draft_id: str, kind: str) -> Iterator[Any]:
    """An INTERNAL span around a job, child of the request that queued it in this process."""
    if _tracer is None:
        yield None
        return
    parent = _job_contexts.pop(draft_id, None)
    with _tracer.start_as_current_span(f"job {kind}", context=parent,
                                       attributes={"plugboard.job.kind": kind,
                                                   "plugboard.draft.id": draft_id}) as span:
        yield span


@contextlib.contextmanager
def http_client_span(method: str, host: str, port: int) -> Iterator[Any]:
    """A CLIENT span around one outbound HTTP request: method, host and port only."""
    if _tracer is None:
        yield None
        return
    from opentelemetry import trace

    with _tracer.start_as_current_span(f"HTTP {method}", kind=trace.SpanKind.CLIENT, attributes={
            "http.request.method": method, "server.address": host, "server.port": port},
            record_exception=False) as span:
        yield span
