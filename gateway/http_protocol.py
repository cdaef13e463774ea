"""aiohttp's own refusals in the facade's JSON error format.

Some requests never reach a route or a middleware: aiohttp's HTTP parser refuses them first (a request
line or a header over ``max_line_size`` / ``max_field_size``, too many headers, a malformed method,
``Content-Length`` or chunked ``Transfer-Encoding``, bytes that are not HTTP at all) and answers from
``RequestHandler.handle_error`` with ``text/plain`` (and its own traceback in the log). Here that one
method is replaced: the answer is the ``{"error": {...}}`` body every route gives
(``gateway.json_mapping.error_json``), 400 INVALID_ARGUMENT with reason ``MALFORMED_HTTP_REQUEST``
and a field violation naming the part that was wrong; the description is ours, never the parser's
message (it quotes the request, which may hold a credential); the log gets one line without traceback.

aiohttp offers no public hook for this (aio-libs/aiohttp#3287): ``JsonErrorsRunner`` is an
``AppRunner`` whose server makes ``JsonErrorsHandler`` protocols. The tests send each kind of malformed
request over a socket, so an aiohttp upgrade that bypasses this fails them.
"""

from __future__ import annotations

import json
import logging
import secrets
from http import HTTPStatus
from typing import Any

from aiohttp import http_exceptions, web

from gateway.json_mapping import error_json
from plugboard.errors import DeadlineExceeded, Internal, InvalidArgument, PlugboardError, ResourceExhausted
from plugboard.logs import exception_summary
from plugboard.rpc.status import to_rich_status

_log = logging.getLogger("plugboard.gateway.http")
MALFORMED = "MALFORMED_HTTP_REQUEST"


def _describe(exc: BaseException | None, handler: web.RequestHandler) -> tuple[str, str]:
    """(part of the request, what was wrong with it) for a parser refusal."""
    if isinstance(exc, http_exceptions.LineTooLong):
        return "request", (f"has a request line or header longer than the server accepts "
                           f"({max(handler.max_line_size, handler.max_field_size)} bytes)")
    if isinstance(exc, http_exceptions.BadHttpMethod):
        return "method", "is not an HTTP method (is this HTTP/1.1 on an HTTP port?)"
    if isinstance(exc, http_exceptions.BadStatusLine):
        return "request line", "is not a valid HTTP request line"
    if isinstance(exc, http_exceptions.ContentEncodingError):
        return "body", "cannot be decoded with its Content-Encoding"
    if isinstance(exc, http_exceptions.TransferEncodingError):
        return "body", "is not valid for its Transfer-Encoding"
    if isinstance(exc, http_exceptions.ContentLengthError):
        return "body", "does not match its Content-Length"
    if isinstance(exc, http_exceptions.InvalidHeader):
        return "headers", "hold an invalid header"
    if exc is not None and "too many headers" in str(exc).lower():
        return "headers", f"are more than the server accepts ({handler.max_headers})"
    return "request", "is not a well-formed HTTP/1.1 request"


def refusal(status: int, exc: BaseException | None, handler: web.RequestHandler) -> tuple[int, PlugboardError]:
    """The HTTP status and the error to answer a request aiohttp refused with ``status``."""
    if status == HTTPStatus.INTERNAL_SERVER_ERROR:
        ref = secrets.token_hex(4)
        _log.error("internal error ref=%s in the HTTP protocol exception=%s", ref,
                   exception_summary(exc) if exc is not None else "-")
        return status, Internal(f"internal error (ref {ref})", metadata={"ref": ref})
    if status == HTTPStatus.GATEWAY_TIMEOUT:
        return status, DeadlineExceeded("the request took too long")
    part, description = _describe(exc, handler)
    _log.info("refused a malformed HTTP request: %s %s (%s)", part, description,
              type(exc).__name__ if exc is not None else "-")
    if status in (HTTPStatus.REQUEST_ENTITY_TOO_LARGE, HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE):
        return status, ResourceExhausted(f"the {part} {description}", reason=MALFORMED)
    return status, InvalidArgument.single(part, description, reason=MALFORMED)


class JsonErrorsHandler(web.RequestHandler):
    """aiohttp's protocol handler, answering its own refusals as JSON errors."""

    def handle_error(self, request: Any, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if request.writer.output_size > 0:  # as aiohttp: too late for another answer
            raise ConnectionError("Response is sent already, cannot send another response")
        http_status, err = refusal(status, exc, self)
        _, body = error_json(to_rich_status(err))
        body["error"]["code"] = http_status
        response = web.Response(status=http_status, text=json.dumps(body), content_type="application/json")
        response.force_close()
        return response


class _JsonErrorsServer(web.Server):
    def __call__(self) -> web.RequestHandler:
        return JsonErrorsHandler(self, loop=self._loop, **self._kwargs)


class JsonErrorsRunner(web.AppRunner):
    """An ``AppRunner`` whose connections are served by ``JsonErrorsHandler``."""

    async def _make_server(self) -> web.Server:
        made = await super()._make_server()
        return _JsonErrorsServer(made.request_handler, request_factory=made.request_factory,
                                 handler_cancellation=made.handler_cancellation, loop=made._loop,
                                 **made._kwargs)
