"""The method handlers of every server, wrapped once at registration: access log and error translation.

``EdgeRegistrar`` wraps each method handler once, as it is registered (all four cardinalities; coroutine
and async-generator behaviours, and the plain "not implemented" stubs of generated servicer bases, which
answer UNIMPLEMENTED) so that:

- one INFO line per call goes to logger ``plugboard.access``: method, status code name, duration
  in ms, peer, trace id (the call's span's, else the caller's ``traceparent``'s, else a fresh one) and the
  caller's project when known (never the payload); health checks (``grpc.health.v1.Health``, polled
  every second by balancers and the gateway) are DEBUG, so that the access log shows what people called;
- the server's ``RpcMetrics`` (when it has a metrics port) count the call and its latency, and a SERVER
  span covers it while tracing is on (``plugboard.observability``);
- a ``PlugboardError`` escaping the handler becomes its rich status (``to_status``);
- any other exception becomes INTERNAL "internal error (ref <id>)"; logger ``plugboard.rpc`` gets
  ONE ERROR line with the exception class, the ref and the innermost file:line, never the
  exception message nor the traceback (they may carry secrets);
- a handler that aborted by itself (``context.abort`` raises ``grpc.aio.AbortError``) keeps its
  code and is not logged as an error;
- the call's author (``plugboard.history.actor``: the gateway's identity metadata, else an internal
  caller with its peer) is bound while the handler runs, for the change records it writes.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from plugboard.errors import Internal, InvalidArgument, PlugboardError, Unimplemented
from plugboard.history import actor
from plugboard.logs import caller_project, exception_summary
from plugboard.observability import tracing
from plugboard.rpc.status import to_status

ACCESS_LOGGER = "plugboard.access"
ERROR_LOGGER = "plugboard.rpc"
_CACHE_LIMIT = 1024

_access_log = logging.getLogger(ACCESS_LOGGER)
_QUIET_PREFIX = "/grpc.health.v1.Health/"
_error_log = logging.getLogger(ERROR_LOGGER)


def _internal_status(exc: BaseException, method: str) -> grpc.Status:
    ref = secrets.token_hex(4)
    _error_log.error(
        "internal error ref=%s method=%s exception=%s", ref, method, exception_summary(exc),
        extra={"rpc_method": method, "error_ref": ref},
    )
    return to_status(Internal(f"internal error (ref {ref})", metadata={"ref": ref}))


class _Call:
    """Per-call bookkeeping: start time, final code, metrics, span, the access log line."""

    __slots__ = ("method", "context", "started", "code", "reason", "peer", "deadline", "metrics", "span",
                 "trace_id", "finished")

    def __init__(self, method: str, context: Any, metrics: Any = None) -> None:
        self.method = method
        self.context = context
        self.started = time.perf_counter()
        self.code: grpc.StatusCode | None = None
        self.reason = ""
        self.finished = False
        self.metrics = metrics
        if metrics is not None:
            metrics.started.inc()
        # Read while the call is alive: peer() on a call torn down by a cancelled stream can crash grpc.
        try:
            self.peer = context.peer() or "-"
            remaining = context.time_remaining()
            metadata = context.invocation_metadata()
        except Exception:
            self.peer, remaining, metadata = "-", None, None
        self.deadline = None if remaining is None else self.started + remaining
        if tracing.enabled():
            self.span: tracing.ServerSpan | None = tracing.ServerSpan(method, metadata)
            self.trace_id = self.span.trace_id
        else:
            self.span = None
            self.trace_id = tracing.trace_id_from(metadata) or tracing.new_trace_id()

    def status_for(self, exc: Exception) -> grpc.Status:
        """The status to abort with for an exception escaping the handler."""
        if isinstance(exc, NotImplementedError):  # a generated servicer base's stub
            exc = Unimplemented(f"method {self.method} is not implemented")
        if isinstance(exc, PlugboardError):
            self.reason = exc.reason
            status = to_status(exc)
        else:
            status = _internal_status(exc, self.method)
        self.code = status.code
        return status

    def cancelled(self) -> None:
        expired = self.deadline is not None and time.perf_counter() >= self.deadline
        self.code = grpc.StatusCode.DEADLINE_EXCEEDED if expired else grpc.StatusCode.CANCELLED

    def refuse(self, exc: Exception) -> grpc.Status:
        """The status for ``exc``, the call counted and logged first: once the status is sent the caller
        may look at the metrics, which must hold the call by then."""
        status = self.status_for(exc)
        self.finish()
        return status

    def finish(self) -> None:
        """Count, trace and log the call (once)."""
        if self.finished:
            return
        self.finished = True
        code = self.code
        if code is None:
            getter = getattr(self.context, "code", None)
            code = getter() if getter is not None else None
        code = code or grpc.StatusCode.OK
        elapsed = time.perf_counter() - self.started
        elapsed_ms = elapsed * 1000.0
        if self.metrics is not None:
            self.metrics.finished(code.name, elapsed)
        if self.span is not None:
            self.span.end(code.name)
        peer = self.peer
        reason = f" reason={self.reason}" if self.reason else ""
        project = caller_project.get()
        level = logging.DEBUG if self.method.startswith(_QUIET_PREFIX) else logging.INFO
        _access_log.log(
            level, "method=%s code=%s duration_ms=%.1f peer=%s trace_id=%s%s%s",
            self.method, code.name, elapsed_ms, peer, self.trace_id,
            f" project={project}" if project else "", reason,
            extra={"rpc_method": self.method, "rpc_code": code.name,
                   "duration_ms": elapsed_ms, "peer": peer, "trace_id": self.trace_id,
                   "project": project},
        )


class _Malformed:
    """What the checked deserializer returns for a request it refuses; the behaviour raises it."""

    __slots__ = ("field", "description")

    def __init__(self, field: str, description: str) -> None:
        self.field, self.description = field, description

    def error(self) -> InvalidArgument:
        return InvalidArgument.single(self.field, self.description, reason="MALFORMED_REQUEST")


def _nul_path(message: Any, prefix: str = "") -> str:
    """The path of the first string field of ``message`` holding a NUL character, or ""."""
    for field, value in message.ListFields():
        path = f"{prefix}{field.name}"
        if field.type == field.TYPE_STRING:
            values = value if field.is_repeated else (value,)
            for index, text in enumerate(values):
                if "\x00" in text:
                    return f"{path}[{index}]" if field.is_repeated else path
        elif field.type == field.TYPE_MESSAGE:
            if field.message_type.GetOptions().map_entry:
                for key, item in value.items():
                    if "\x00" in str(key):
                        return f"{path}[{key!r}]"
                    found = _nul_path(item, f"{path}[{key!r}].") if hasattr(item, "ListFields") else (
                        f"{path}[{key!r}]" if isinstance(item, str) and "\x00" in item else "")
                    if found:
                        return found
                continue
            items = value if field.is_repeated else (value,)
            for index, item in enumerate(items):
                label = f"{path}[{index}]." if field.is_repeated else f"{path}."
                found = _nul_path(item, label)
                if found:
                    return found
    return ""


def refuse_nul(message: Any) -> None:
    """InvalidArgument (``MALFORMED_REQUEST``) naming the first string field of ``message`` that holds a
    NUL character: the edge's rule for a message parsed elsewhere (the gateway's own services)."""
    path = _nul_path(message)
    if path:
        raise _Malformed(path, "must not contain NUL characters").error()


def _checked_deserializer(deserialize: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    """``deserialize`` that answers bad bytes with INVALID_ARGUMENT instead of grpc's UNKNOWN.

    grpc.aio answers a deserializer's exception itself (UNKNOWN, with the decoder's text); here it
    becomes a ``_Malformed`` the wrapped behaviour raises. Strings holding NUL are refused the same way on
    every storage (PostgreSQL cannot store them; SQLite can): one rule, one answer. Proto3 does not
    encode zero scalars, so ``b"\x00" in data`` is rarely true and the walk rarely runs.
    """
    owner = getattr(deserialize, "__self__", None)
    descriptor = getattr(owner, "DESCRIPTOR", None)
    type_name = getattr(descriptor, "full_name", "request")

    def parse(data: bytes) -> Any:
        try:
            message = deserialize(data)
        except Exception:
            return _Malformed("request", f"is not a valid {type_name} message")
        if b"\x00" in data and hasattr(message, "ListFields"):
            try:
                path = _nul_path(message)
            except Exception:  # never let the check itself fail a call
                path = ""
            if path:
                return _Malformed(path, "must not contain NUL characters")
        return message

    return parse


def _author(context: Any, peer: str) -> Any:
    try:
        return actor.author_from(context.invocation_metadata(), peer)
    except Exception:  # never let reading the identity fail a call
        return actor.author_from((), peer)


def _wrap_coroutine(inner: Callable[..., Awaitable[Any]], method: str, metrics: Any = None
                    ) -> Callable[..., Awaitable[Any]]:
    async def behaviour(request: Any, context: grpc.aio.ServicerContext) -> Any:
        call = _Call(method, context, metrics)
        author = actor.bind(_author(context, call.peer))
        try:
            if request.__class__ is _Malformed:
                raise request.error()
            return await inner(request, context)
        except grpc.aio.AbortError:
            raise
        except asyncio.CancelledError:
            call.cancelled()
            raise
        except Exception as exc:
            await context.abort_with_status(call.refuse(exc))
        finally:
            actor.unbind(author)
            call.finish()

    return behaviour


def _wrap_async_gen(
    inner: Callable[..., AsyncIterator[Any]], method: str, metrics: Any = None
) -> Callable[..., AsyncIterator[Any]]:
    async def behaviour(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        call = _Call(method, context, metrics)
        author = actor.bind(_author(context, call.peer))
        malformed = request.__class__ is _Malformed
        responses = inner(request if not malformed else None, context)
        try:
            if malformed:
                raise request.error()
            async for response in responses:
                yield response
        except grpc.aio.AbortError:
            raise
        except (asyncio.CancelledError, GeneratorExit):
            call.cancelled()
            raise
        except Exception as exc:
            await context.abort_with_status(call.refuse(exc))
        finally:
            await responses.aclose()
            actor.unbind(author)
            call.finish()

    return behaviour


def _wrap_plain(inner: Callable[..., Any], method: str, stream_response: bool, metrics: Any = None
                ) -> Callable[..., Any]:
    """A plain function handler, run on the loop: only the generated servicer bases' "not implemented"
    stubs are plain functions (every servicer of ours is async), and they return at once."""
    if stream_response:
        async def responses(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            for response in inner(request, context):
                yield response

        return _wrap_async_gen(responses, method, metrics)

    async def response(request: Any, context: grpc.aio.ServicerContext) -> Any:
        return inner(request, context)

    return _wrap_coroutine(response, method, metrics)


def _wrap_behaviour(inner: Callable[..., Any], method: str, *, stream_response: bool,
                    metrics: Any = None) -> Callable[..., Any]:
    if inspect.isasyncgenfunction(inner):
        return _wrap_async_gen(inner, method, metrics)
    if inspect.iscoroutinefunction(inner):
        return _wrap_coroutine(inner, method, metrics)
    return _wrap_plain(inner, method, stream_response, metrics)


def _grpc_type(handler: grpc.RpcMethodHandler) -> str:
    if handler.unary_unary is not None:
        return "UNARY"
    if handler.unary_stream is not None:
        return "SERVER_STREAM"
    return "CLIENT_STREAM" if handler.stream_unary is not None else "BIDI_STREAM"


def wrap_handler(handler: grpc.RpcMethodHandler, method: str, rpc_metrics: Any = None) -> grpc.RpcMethodHandler:
    """A copy of ``handler`` whose behaviour logs the call and translates errors (and counts it in
    ``rpc_metrics``, a ``plugboard.observability.metrics.RpcMetrics``, when given)."""
    metrics = rpc_metrics.method(method, _grpc_type(handler)) if rpc_metrics is not None else None
    deserializer = handler.request_deserializer
    stream_request = handler.stream_unary is not None or handler.stream_stream is not None
    if deserializer is not None and not stream_request:
        deserializer = _checked_deserializer(deserializer)
    kwargs = {
        "request_deserializer": deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(
            _wrap_behaviour(handler.unary_unary, method, stream_response=False, metrics=metrics), **kwargs)
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(
            _wrap_behaviour(handler.unary_stream, method, stream_response=True, metrics=metrics), **kwargs)
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(
            _wrap_behaviour(handler.stream_unary, method, stream_response=False, metrics=metrics), **kwargs)
    if handler.stream_stream is not None:
        return grpc.stream_stream_rpc_method_handler(
            _wrap_behaviour(handler.stream_stream, method, stream_response=True, metrics=metrics), **kwargs)
    return handler


class _WrappedGenericHandler(grpc.GenericRpcHandler):
    """A generic handler whose method handlers come out wrapped (once per method)."""

    def __init__(self, inner: grpc.GenericRpcHandler, rpc_metrics: Any = None) -> None:
        self._inner = inner
        self._metrics = rpc_metrics
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        handler = self._inner.service(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        if isinstance(method, bytes):
            method = method.decode("utf-8", "replace")
        cached = self._wrapped.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = wrap_handler(handler, method, self._metrics)
        if len(self._wrapped) >= _CACHE_LIMIT:
            self._wrapped.clear()
        self._wrapped[method] = (handler, wrapped)
        return wrapped


class _Unimplemented(grpc.GenericRpcHandler):
    """Registered last: any method nobody serves is logged and answered UNIMPLEMENTED."""

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        method = handler_call_details.method
        if isinstance(method, bytes):
            method = method.decode("utf-8", "replace")

        async def refuse(requests: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            trace_id = tracing.trace_id_from(context.invocation_metadata()) or tracing.new_trace_id()
            _access_log.info(
                "method=%s code=%s duration_ms=0.0 peer=- trace_id=%s", method,
                grpc.StatusCode.UNIMPLEMENTED.name, trace_id,
                extra={"rpc_method": method, "rpc_code": grpc.StatusCode.UNIMPLEMENTED.name,
                       "duration_ms": 0.0, "peer": "-", "trace_id": trace_id, "project": ""},
            )
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, f"method {method} is not implemented")
            yield  # pragma: no cover - abort raises

        # stream-stream: refusing needs no request message, whatever the caller's cardinality.
        return grpc.stream_stream_rpc_method_handler(refuse)


class EdgeRegistrar:
    """What a servicer is registered through: every method handler it adds comes out wrapped
    (access log + error translation), at registration instead of through a per-call interceptor.

    grpc.aio runs server interceptors as an extra coroutine on every call; wrapping the handlers once
    does the same work without it. Pass it where generated ``add_XServicer_to_server`` functions expect a
    server; call ``finish()`` after the last registration.
    """

    def __init__(self, server: grpc.aio.Server, rpc_metrics: Any = None) -> None:
        self._server = server
        self._metrics = rpc_metrics

    def add_registered_method_handlers(self, service: str, handlers: dict[str, grpc.RpcMethodHandler]) -> None:
        self._server.add_registered_method_handlers(
            service, {name: wrap_handler(handler, f"/{service}/{name}", self._metrics)
                      for name, handler in handlers.items()}
        )

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        self._server.add_generic_rpc_handlers(
            tuple(_WrappedGenericHandler(handler, self._metrics) for handler in handlers))

    def finish(self) -> None:
        self._server.add_generic_rpc_handlers((_Unimplemented(),))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._server, name)
