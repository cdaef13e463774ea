"""The HTTP/JSON facade (aiohttp), in the gateway process, for callers that don't speak gRPC.

Routes come from the ``google.api.http`` annotations (``gateway.http_rules``); every route runs the same
admission as gRPC (API key as ``Authorization: Bearer <key>`` or ``X-API-Key``, scope, project, the
tenant's slot from ``gateway.quotas``) and the same backend call, with the default deadline.
``DeleteConnector`` and the draft deletes (``DeleteConnectorStaged(ByKey)``) run the deletion protocol;
the services the gateway serves itself (the API-key history) are answered in the process (``local_calls``).

A request is authorized (key and scope) and given its tenant's slot before its body is read: a caller
without a valid key is refused without the body being read at all. A body is read within
``max_body_bytes`` (more: 413), decoded per its ``Content-Encoding`` (undecodable: 400), checked for
depth (``json_mapping.MAX_JSON_DEPTH``) and parsed; one over ``THREAD_PARSE_BYTES`` is parsed in a
worker thread so the event loop keeps serving other calls meanwhile. aiohttp's own refusals (malformed
HTTP) are JSON errors too (``gateway.http_protocol``).
``WatchConnectorStaged`` (server streaming) answers ``application/x-ndjson``: one JSON event per line,
and a final ``{"error": ...}`` line when the stream fails after it started.

Each route speaks one dialect (``gateway.dialects``): it reads the request, writes the response and
its status, and shapes the errors (commercetools Connect's JSON on the seed 002 routes, protobuf's
JSON mapping elsewhere). ``GET /openapi.json`` serves the OpenAPI document built from the same routes
and dialects.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Mapping
from typing import Any

import grpc
from aiohttp import web

from gateway.auth import Gatekeeper
from gateway.backends import Backend, CallScope, forwardable_metadata
from gateway.dialects import Dialect, dialect_for_path, dialect_of, dialect_routes, route_key
from gateway.dialects.native import DIALECT as NATIVE
from gateway.http_protocol import JsonErrorsRunner
from gateway.http_rules import HttpRoute
from gateway.json_mapping import check_depth, to_json
from gateway.key_history import LocalCall
from gateway.keys import Principal
from gateway.openapi import build_document
from gateway.policy import MethodRule
from gateway.routes import PROTOCOL_METHODS, DeleteConnectorHandler
from plugboard.errors import (
    DeadlineExceeded,
    Internal,
    InvalidArgument,
    NotFound,
    PlugboardError,
    ResourceExhausted,
)
from plugboard.logs import exception_summary
from plugboard.observability import tracing
from plugboard.rpc.status import details_of, from_rpc_error, to_rich_status

_log = logging.getLogger("plugboard.gateway.http")
_JSON = "application/json"
# HTTP headers handed on to the backend as metadata.
FORWARDED_HEADERS = ("x-request-id",)
# Bodies larger than this are parsed in a worker thread.
THREAD_PARSE_BYTES = 64 * 1024


def _json_response(status: int, body: Any) -> web.Response:
    if body is None:  # no content (a Patchworks connection test that passed)
        return web.Response(status=status)
    return web.Response(status=status, text=json.dumps(body), content_type=_JSON)


def error_answer(err: PlugboardError, dialect: Dialect = NATIVE) -> tuple[int, Any]:
    """The HTTP status and JSON body of ``err`` in ``dialect``: the facade's one way of answering with an
    error. One that a backend described (``err.downstream`` carries rich details) is answered from the
    backend's own ``google.rpc.Status``."""
    rich = details_of(err.downstream) if err.downstream is not None else None
    return dialect.error(rich or to_rich_status(err))


def error_response(err: PlugboardError, dialect: Dialect = NATIVE, http_status: int | None = None) -> web.Response:
    """The JSON error answer of ``err`` in ``dialect`` (with ``http_status`` instead of the code's usual one)."""
    status, body = error_answer(err, dialect)
    if http_status is not None:
        status = http_status
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            body["error"]["code"] = http_status
        elif isinstance(body, dict) and "statusCode" in body:
            body["statusCode"] = http_status
    return _json_response(status, body)


class HttpFacade:
    """The aiohttp application serving the annotated methods."""

    def __init__(self, routes: list[HttpRoute], rules: Mapping[str, MethodRule],
                 backend_of: Mapping[str, str], backends: Mapping[str, Backend],
                 gatekeeper: Gatekeeper, delete: DeleteConnectorHandler, *,
                 local_calls: Mapping[str, LocalCall] | None = None,
                 default_deadline: float, max_body_bytes: int, metrics: Any = None) -> None:
        self.routes = routes = dialect_routes(routes)
        self.metrics = metrics  # plugboard.observability.metrics.HttpMetrics, or None
        self.rules = rules
        self.gatekeeper = gatekeeper
        self.delete = delete
        self.default_deadline = default_deadline
        self.max_body_bytes = max_body_bytes
        self.local_calls = dict(local_calls or {})  # method path -> the gateway's own answer
        self.openapi = build_document(routes, rules)
        self._calls: dict[str, tuple[Any, str]] = {}
        self._by_segment = index_routes(routes)
        # (verb, template) -> the dialect the route speaks (one per route).
        self._dialects: dict[tuple[str, str], Dialect] = {route_key(r): dialect_of(r) for r in routes}
        for route in routes:
            if route.path in self.local_calls:
                continue
            backend = backends[backend_of[route.path]]
            method = route.method
            if method.server_streaming:
                callable_ = backend.channel.unary_stream(route.path, _registered_method=True)
            else:
                callable_ = backend.channel.unary_unary(route.path, _registered_method=True)
            self._calls[route.path] = (callable_, backend.name)

    def application(self) -> web.Application:
        middlewares = [_no_tracebacks]
        if self.metrics is not None or tracing.enabled():
            middlewares.insert(0, _observed(self.metrics))
        app = web.Application(client_max_size=self.max_body_bytes, middlewares=middlewares)
        app.router.add_get("/openapi.json", self.openapi_document)
        # [\s\S]: a path holding a (decoded) newline still reaches dispatch and its JSON 404.
        app.router.add_route("*", r"/{tail:[\s\S]*}", self.dispatch)
        return app

    async def openapi_document(self, request: web.Request) -> web.Response:
        return _json_response(200, self.openapi)

    def _find(self, request: web.Request) -> tuple[HttpRoute, dict[str, str]]:
        path = request.rel_url.raw_path
        allowed: list[str] = []
        for route in candidates(self._by_segment, path):
            variables = route.match(path)
            if variables is None:
                continue
            if route.verb == request.method:
                return route, variables
            allowed.append(route.verb)
        if allowed:
            raise _MethodNotAllowed(allowed)
        raise NotFound("route", path, message=f"no route for {request.method} {path}",
                       reason="ROUTE_NOT_FOUND")

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        try:
            route, variables = self._find(request)
        except _MethodNotAllowed as exc:
            return _method_not_allowed(request, exc.allowed)
        except PlugboardError as err:
            return error_response(err, dialect_for_path(request.rel_url.raw_path))
        rule = self.rules[route.path]
        key = route_key(route)
        request[ROUTE_KEY] = key[1]
        dialect = self._dialects[key]
        try:
            # Absolute: the time spent on admission and on the body counts against the caller's deadline.
            timeout = http_deadline(request.headers.get("grpc-timeout"), self.default_deadline)
            deadline = time.monotonic() + timeout
            principal = await self.gatekeeper.authorize(rule, dialect.credential(request.headers))
            slot = self.gatekeeper.hold(principal, rule)
        except PlugboardError as err:
            return error_response(err, dialect)
        try:
            return await self._admitted(request, route, rule, dialect, variables, principal, deadline)
        finally:
            slot.release()

    async def _admitted(self, request: web.Request, route: HttpRoute, rule: MethodRule, dialect: Dialect,
                        variables: dict[str, str], principal: Principal, deadline: float
                        ) -> web.StreamResponse:
        """The rest of a call once its caller is authorized and holds its slot (``deadline``: a
        ``time.monotonic()`` instant)."""
        try:
            message = await self._request(route, rule, dialect, variables, request)
            rule.admit_message(principal, message)
        except _BodyTooLarge as exc:
            return error_response(exc.error, dialect, 413)
        except PlugboardError as err:
            return error_response(err, dialect)
        metadata = forwardable_metadata(
            [(name, request.headers[name]) for name in FORWARDED_HEADERS if name in request.headers]
        ) + principal.identity
        if rule.path in PROTOCOL_METHODS:
            try:
                response = await self.delete.run(message, CallScope(metadata, deadline - time.monotonic()))
            except PlugboardError as err:
                return error_response(err, dialect)
            return _json_response(*dialect.response(route, response, request.url))
        local = self.local_calls.get(rule.path)
        if local is not None:
            try:
                answer = await local(message)
            except PlugboardError as err:
                return error_response(err, dialect)
            return _json_response(*dialect.response(route, answer, request.url))
        callable_, backend = self._calls[route.path]
        timeout = deadline - time.monotonic()
        if timeout <= 0:  # spent: never sent (a fast backend could answer within grpc's timer resolution)
            return error_response(DeadlineExceeded(
                f"the deadline expired before the call reached the {backend} service",
                metadata={"backend": backend}), dialect)
        payload = message.SerializeToString()
        if route.method.server_streaming:
            return await self._stream(request, rule, callable_(
                payload, timeout=timeout, metadata=metadata), backend)
        try:
            raw = await callable_(payload, timeout=timeout, metadata=metadata)
        except grpc.aio.AioRpcError as exc:
            return error_response(from_rpc_error(exc, backend), dialect)
        return _json_response(*dialect.response(route, rule.response_class.FromString(raw), request.url))

    async def _request(self, route: HttpRoute, rule: MethodRule, dialect: Dialect,
                       variables: dict[str, str], request: web.Request) -> Any:
        text = ""
        if route.body:
            text = await self._body_text(request)
            check_depth(text, "body")  # before any parser sees it, whatever the dialect
            if len(text) > THREAD_PARSE_BYTES:
                return await asyncio.to_thread(dialect.request, route, rule, variables, request.query, text,
                                               request.headers)
        return dialect.request(route, rule, variables, request.query, text, request.headers)

    async def _body_text(self, request: web.Request) -> str:
        """The body as text: within ``max_body_bytes`` once decoded, per its Content-Encoding, UTF-8."""
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise _BodyTooLarge(ResourceExhausted(
                f"the body is larger than {self.max_body_bytes} bytes", reason="BODY_TOO_LARGE",
                metadata={"max_bytes": self.max_body_bytes})) from None
        except web.RequestPayloadError:  # an undecodable Content-Encoding, a broken chunked body
            raise InvalidArgument.single("body", "cannot be decoded (Content-Encoding or Transfer-Encoding)",
                                         reason="MALFORMED_HTTP_REQUEST") from None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidArgument.single("body", "is not UTF-8 text") from None

    async def _stream(self, request: web.Request, rule: MethodRule, call: Any,
                      backend: str) -> web.StreamResponse:
        stream = call.__aiter__()
        try:
            try:
                first = await stream.__anext__()
            except StopAsyncIteration:
                first = None
            except grpc.aio.AioRpcError as exc:
                return error_response(from_rpc_error(exc, backend))
            response = web.StreamResponse(status=200, headers={"Content-Type": "application/x-ndjson"})
            await response.prepare(request)
            if first is None:
                await response.write_eof()
                return response
            await response.write(_line(to_json(rule.response_class.FromString(first))))
            try:
                async for raw in stream:
                    await response.write(_line(to_json(rule.response_class.FromString(raw))))
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.CANCELLED:
                    _, body = error_answer(from_rpc_error(exc, backend))
                    await response.write(_line(body))
            await response.write_eof()
            return response
        except (ConnectionResetError, ConnectionError):
            return web.Response(status=499)
        finally:
            if not call.done():
                call.cancel()


_TIMEOUT_UNITS = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}


def http_deadline(header: str | None, default: float) -> float:
    """The call's deadline in seconds from a ``Grpc-Timeout`` header (gRPC's own format, as grpc-gateway
    reads it: 1-8 digits and a unit H, M, S, m, u or n, e.g. ``2S``, ``500m``); ``default`` without one."""
    if header is None:
        return default
    value = header.strip()
    if not (2 <= len(value) <= 9 and value[:-1].isdigit() and value[-1] in _TIMEOUT_UNITS):
        raise InvalidArgument.single("Grpc-Timeout", "must be 1 to 8 digits and a unit (H, M, S, m, u, n), e.g. 2S",
                                     reason="BAD_TIMEOUT")
    seconds = int(value[:-1]) * _TIMEOUT_UNITS[value[-1]]
    if seconds <= 0:
        raise InvalidArgument.single("Grpc-Timeout", "must be above zero", reason="BAD_TIMEOUT")
    return seconds


ROUTE_KEY = web.RequestKey("plugboard_route", str)  # the matched route's template, for the metrics


def _observed(metrics: Any) -> Any:
    """Middleware counting each request by route template, verb and status (``metrics``), inside a
    SERVER span while tracing is on."""

    @web.middleware
    async def observed(request: web.Request, handler: Any) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        span = tracing.http_server_span(request.method, request.headers.get(tracing.TRACEPARENT))
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            route = request.get(ROUTE_KEY, "unmatched")
            if span is not None:
                span.end(str(status), route)
            if metrics is not None:
                metrics.observe(route, request.method, status, time.perf_counter() - started)

    return observed


@web.middleware
async def _no_tracebacks(request: web.Request, handler: Any) -> web.StreamResponse:
    """The net under every route: an unexpected exception becomes a JSON 500 with a reference, and one
    log line with its class and location (aiohttp would answer text/plain and log the traceback)."""
    try:
        return await handler(request)
    except (web.HTTPException, asyncio.CancelledError):
        raise
    except Exception as exc:
        ref = secrets.token_hex(4)
        _log.error("internal error ref=%s %s %s exception=%s", ref, request.method,
                        request.rel_url.raw_path[:200], exception_summary(exc))
        return error_response(Internal(f"internal error (ref {ref})", metadata={"ref": ref}),
                              dialect_for_path(request.rel_url.raw_path))


def index_routes(routes: list[HttpRoute]) -> dict[str | None, list[HttpRoute]]:
    """First path segment -> the routes that can match a path starting with it, in their order (a
    route whose first segment is not literal is in every list); None: only those."""
    index = {segment: [r for r in routes if _first_segment(r.template) in (segment, None)]
             for segment in {_first_segment(r.template) for r in routes}}
    index.setdefault(None, [])
    return index


def candidates(index: dict[str | None, list[HttpRoute]], path: str) -> list[HttpRoute]:
    """The routes, in order, that may match ``path`` (the others cannot)."""
    return index.get(path[1:].split("/", 1)[0]) or index[None]


def _first_segment(template: str) -> str | None:
    """The literal first segment of a path template ("connectors"), None when it holds a variable."""
    segment = template[1:].split("/", 1)[0]
    return None if "{" in segment else segment


def _method_not_allowed(request: web.Request, allowed: list[str]) -> web.Response:
    message = f"{request.method} is not allowed here; use {', '.join(allowed)}"
    dialect = dialect_for_path(request.rel_url.raw_path).name
    if dialect == "commercetools":
        return _json_response(405, {"statusCode": 405, "message": message,
                                    "errors": [{"code": "MethodNotAllowed", "message": message}]})
    if dialect == "patchworks":
        return _json_response(405, {"message": message})
    return _json_response(405, {"error": {"code": 405, "status": "METHOD_NOT_ALLOWED", "message": message,
                                          "details": []}})


def _line(body: Any) -> bytes:
    return json.dumps(body).encode() + b"\n"


class _BodyTooLarge(Exception):
    """A body over the limit: answered 413 (the HTTP status for it) with the JSON error."""

    def __init__(self, error: PlugboardError) -> None:
        super().__init__(error.message)
        self.error = error


class _MethodNotAllowed(Exception):
    def __init__(self, allowed: list[str]) -> None:
        super().__init__("method not allowed")
        self.allowed = allowed


async def start_http(app: web.Application, host: str, port: int, *, grace_seconds: float = 5.0,
                     reuse_port: bool = False) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on ``host:port`` (0: a free port); the runner and the bound port.

    A client that disconnects cancels its handler (and so its backend call: watch streams end at
    once); stopping waits up to ``grace_seconds`` for requests in flight."""
    runner = JsonErrorsRunner(app, access_log=None, handle_signals=False, handler_cancellation=True,
                           shutdown_timeout=grace_seconds)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_port=reuse_port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    bound = runner.addresses[0][1] if runner.addresses else port
    return runner, bound
