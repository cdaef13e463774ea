"""Running a connection test: the HTTP exchanges of a ``RequestPlan`` and the classification of what came
back. Implements ``instance_service.domain.testing.ProberPort``.

- One total deadline for everything (name resolution, token request, test request, redirects, body):
  past it the outcome is TIMEOUT, with the HTTP status when headers had arrived (a server dripping its
  body byte by byte ends here).
- Every exchange goes through the SSRF guard (``addresses.AddressPolicy``) and a ``PinnedTransport`` to
  the address that was checked. Redirects are never followed blindly: each hop is checked again, at most
  ``max_redirects`` of them. When a hop leaves the origin (scheme, host or port), every header the plan
  marks as credential material (the authentication's own, every header rendered from a secret variable,
  the OAuth2 access token) is dropped; and when the URL itself carries credential material (a secret in
  host, path or query, the API key query parameter), the redirect is not followed at all (the outcome
  is UNEXPECTED_RESPONSE, saying so). The token request follows no redirect at all.
- At most 64 KiB of a body is read; then the connection is closed.
- Outcomes: OK (an expected status), AUTH_FAILED (401/403, or the token endpoint refused the client),
  UNREACHABLE (no name, no connection, TLS failure, connection reset), TIMEOUT, UNEXPECTED_RESPONSE
  (another status, not HTTP, a bad token answer, too many redirects, a redirect not followed), BLOCKED
  (the guard said no), MISCONFIGURED (a request that cannot be built, e.g. a value HTTP cannot carry).
- httpcore's and httpx's own DEBUG traces (request lines, answer headers) are switched off.
- Messages name the host and path at most, as the plan shows them (``RequestPlan.shown_url``: secret
  parts as their placeholders, never the query), and the exception class, never exception text or a
  body. A hop after a redirect of a URL carrying secrets is named by its origin only (the server may
  have copied the path into its Location).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import ssl
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from plugboard.observability import tracing

from ..domain.connection import (
    MAX_BODY_BYTES,
    ProbeOutcome,
    RequestPlan,
    TokenRequest,
    describe_url,
    shown_origin,
)
from ..domain.model import TestOutcome
from .addresses import AddressPolicy, Blocked, Unresolvable
from .transport import PinnedTransport

_REDIRECTS = (301, 302, 303, 307, 308)
# httpcore and httpx trace every exchange at DEBUG: request lines and the answer's headers (a Location may
# echo a secret path or query). Those lines are not ours to shape, so they stay off, whatever the level.
_LIBRARY_LOGGERS = ("httpcore", "httpx")
_ERROR_CODE = re.compile(r"^[a-z_]{1,64}$")


class _Stop(Exception):
    """Ends a test early with an outcome."""

    def __init__(self, outcome: ProbeOutcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


@dataclass
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes
    truncated: bool


class _Progress:
    """What is known so far, for the TIMEOUT message."""

    def __init__(self) -> None:
        self.status = 0
        self.stage = "connecting"


class Prober:
    """Runs request plans within a deadline (see the module docstring)."""

    def __init__(self, policy: AddressPolicy, *, max_redirects: int = 3,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self._policy = policy
        self._max_redirects = max_redirects
        self._ssl = ssl_context or httpx.create_ssl_context()
        for name in _LIBRARY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)

    async def run(self, plan: RequestPlan, timeout: float) -> ProbeOutcome:
        progress = _Progress()
        try:
            async with asyncio.timeout(max(timeout, 0.0)):
                return await self._run(plan, progress)
        except TimeoutError:
            return ProbeOutcome(
                TestOutcome.TIMEOUT, progress.status,
                f"no complete answer within {timeout:.3g}s (while {progress.stage})",
            )
        except _Stop as stop:
            return stop.outcome

    async def _run(self, plan: RequestPlan, progress: _Progress) -> ProbeOutcome:
        headers = list(plan.headers)
        credentials = {name.lower() for name in plan.credential_headers}
        if plan.token_request is not None:
            token = await self._token(plan.token_request, progress)
            headers.append(("Authorization", f"Bearer {token}"))
            credentials.add("authorization")
        return await self._test_request(plan, headers, credentials, progress)

    # ----------------------------------------------------------------------------- token request

    async def _token(self, request: TokenRequest, progress: _Progress) -> str:
        where = request.shown_url or describe_url(request.url)
        progress.stage = "requesting a token"
        answer = await self._exchange(
            "POST", request.url,
            [("Authorization", request.basic_header()), ("Accept", "application/json"),
             ("Content-Type", "application/x-www-form-urlencoded")],
            request.form(), progress, _label(request.url, where),
        )
        status = answer.status
        if status in (400, 401, 403):
            code = _oauth_error(answer.body)
            detail = f" ({code})" if code else ""
            raise _Stop(ProbeOutcome(TestOutcome.AUTH_FAILED, status,
                                     f"the token endpoint {where} refused the client credentials: "
                                     f"HTTP {status}{detail}"))
        if status != 200:
            raise _Stop(ProbeOutcome(TestOutcome.UNEXPECTED_RESPONSE, status,
                                     f"the token endpoint {where} answered HTTP {status}, expected 200"))
        if answer.truncated:
            raise _Stop(ProbeOutcome(TestOutcome.UNEXPECTED_RESPONSE, status,
                                     f"the token endpoint {where} answered more than {MAX_BODY_BYTES} bytes"))
        try:
            document = json.loads(answer.body)
        except (ValueError, UnicodeDecodeError):
            document = None
        token = document.get("access_token") if isinstance(document, dict) else None
        token_type = document.get("token_type", "bearer") if isinstance(document, dict) else None
        if not isinstance(token, str) or not token or any(ch in token for ch in "\r\n\0"):
            raise _Stop(ProbeOutcome(TestOutcome.UNEXPECTED_RESPONSE, status,
                                     f"the token endpoint {where} answered without an access_token"))
        if not all(" " < ch <= "~" for ch in token):
            raise _Stop(ProbeOutcome(TestOutcome.UNEXPECTED_RESPONSE, status,
                                     f"the token endpoint {where} issued a token that HTTP cannot carry "
                                     "(not printable ASCII)"))
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise _Stop(ProbeOutcome(TestOutcome.UNEXPECTED_RESPONSE, status,
                                     f"the token endpoint {where} issued a token that is not a bearer token"))
        return token

    # ------------------------------------------------------------------------------ test request

    async def _test_request(self, plan: RequestPlan, headers: list[tuple[str, str]], credentials: set[str],
                            progress: _Progress) -> ProbeOutcome:
        url, method = plan.url, plan.method
        first_origin = origin = _origin(url)
        first_where = plan.shown_url or describe_url(url)
        first_label = _label(url, first_where)
        for hop in range(self._max_redirects + 1):
            progress.stage = "waiting for the test request's answer" if hop == 0 else f"following redirect {hop}"
            if hop == 0:
                where, label = first_where, first_label
            elif plan.url_carries_secret:  # the server may have copied secret parts into its Location
                on_first = origin == first_origin
                where = f"{shown_origin(first_where) if on_first else _authority(url)} (after {hop} redirect" \
                        f"{'s' if hop > 1 else ''})"
                label = first_label if on_first else ""
            else:
                where, label = describe_url(url), ""
            answer = await self._exchange(method, url, headers, None, progress, label)
            status = answer.status
            if status in plan.expected_status:
                note = f"; body cut at {MAX_BODY_BYTES // 1024} KiB" if answer.truncated else ""
                return ProbeOutcome(TestOutcome.OK, status, f"{method} {where} answered HTTP {status}{note}")
            location = answer.headers.get("location")
            if status in _REDIRECTS and location:
                if hop == self._max_redirects:
                    return ProbeOutcome(TestOutcome.UNEXPECTED_RESPONSE, status,
                                        f"more than {self._max_redirects} redirects, last from {where}")
                try:
                    url = urljoin(url, location)
                    next_origin = _origin(url)
                except ValueError:
                    return ProbeOutcome(TestOutcome.UNEXPECTED_RESPONSE, status,
                                        f"{method} {where} redirected to a URL that cannot be parsed")
                if next_origin != origin:  # never carry credential material to another origin
                    if plan.url_carries_secret:
                        names = ", ".join(plan.url_secret_names)
                        return ProbeOutcome(
                            TestOutcome.UNEXPECTED_RESPONSE, status,
                            f"{method} {where} answered HTTP {status}, a redirect to another origin; not "
                            f"followed, since the request URL carries credentials ({names})")
                    headers = [(k, v) for k, v in headers if k.lower() not in credentials]
                    origin = next_origin
                if status == 303 or (status in (301, 302) and method == "POST"):
                    method = "GET"
                continue
            if status in (401, 403):
                return ProbeOutcome(TestOutcome.AUTH_FAILED, status,
                                    f"{method} {where} refused the credentials: HTTP {status}")
            expected = ", ".join(str(s) for s in plan.expected_status)
            return ProbeOutcome(TestOutcome.UNEXPECTED_RESPONSE, status,
                                f"{method} {where} answered HTTP {status}, expected {expected}")
        raise AssertionError("unreachable")  # pragma: no cover

    # ---------------------------------------------------------------------------------- exchange

    async def _exchange(self, method: str, url: str, headers: list[tuple[str, str]], content: bytes | None,
                        progress: _Progress, label: str = "") -> _Answer:
        """``_exchange_once``, in a CLIENT span while tracing is on: method, host (the label when the host
        came from a secret variable) and port, and the answer's status; never the path, query or headers."""
        if not tracing.enabled():
            return await self._exchange_once(method, url, headers, content, progress, label)
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with tracing.http_client_span(method, label or parts.hostname or "", port) as span:
            try:
                answer = await self._exchange_once(method, url, headers, content, progress, label)
            except _Stop as stop:
                span.set_attribute("plugboard.connection_test.outcome", stop.outcome.outcome.value)
                raise
            span.set_attribute("http.response.status_code", answer.status)
            return answer

    async def _exchange_once(self, method: str, url: str, headers: list[tuple[str, str]],
                             content: bytes | None, progress: _Progress, label: str = "") -> _Answer:
        """One request to a checked address; at most MAX_BODY_BYTES of the answer are read. ``label``
        names the host in messages when the host came from a secret variable."""
        try:
            target = await self._policy.check(url, label)
        except Blocked as exc:
            raise _Stop(ProbeOutcome(TestOutcome.BLOCKED, 0, f"{exc}; not contacted")) from None
        except Unresolvable as exc:
            raise _Stop(ProbeOutcome(TestOutcome.UNREACHABLE, 0, str(exc))) from None
        where = label or f"{target.host}:{target.port}"
        try:
            request = httpx.Request(method, url, headers=headers, content=content)
        except (UnicodeError, ValueError, httpx.InvalidURL) as exc:  # what HTTP cannot carry
            raise _Stop(ProbeOutcome(TestOutcome.MISCONFIGURED, 0,
                                     f"the request to {where} cannot be built ({type(exc).__name__})")) from None
        try:
            async with PinnedTransport(target, self._ssl) as transport:
                response = await transport.handle_async_request(request)
                progress.status = response.status_code
                progress.stage = "reading the answer"
                body = bytearray()
                truncated = False
                try:
                    async for chunk in response.aiter_raw():
                        room = MAX_BODY_BYTES - len(body)
                        body += chunk[:room]
                        if len(chunk) > room:
                            truncated = True
                            break
                finally:
                    await response.aclose()
                return _Answer(response.status_code, response.headers, bytes(body), truncated)
        except httpx.ConnectError as exc:
            tls = _is_tls_error(exc)
            raise _Stop(ProbeOutcome(
                TestOutcome.UNREACHABLE, 0,
                f"TLS handshake with {where} failed" if tls else f"could not connect to {where}",
            )) from None
        except (httpx.RemoteProtocolError, httpx.DecodingError, httpx.LocalProtocolError) as exc:
            raise _Stop(ProbeOutcome(TestOutcome.UNEXPECTED_RESPONSE, progress.status,
                                     f"{where} did not answer valid HTTP ({type(exc).__name__})")) from None
        except httpx.TransportError as exc:
            raise _Stop(ProbeOutcome(TestOutcome.UNREACHABLE, progress.status,
                                     f"the connection to {where} failed ({type(exc).__name__})")) from None


def _authority(url: str) -> str:
    """host[:port] of a URL (for a hop the server chose)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    shown = f"[{host}]" if ":" in host else host
    return shown + (f":{parts.port}" if parts.port else "")


def _label(url: str, shown: str) -> str:
    """The shown authority when it differs from the real one (a secret is in it), else empty."""
    authority = shown_origin(shown)
    return authority if authority != urlsplit(url).netloc.rpartition("@")[2] else ""


def _origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) with the scheme's default port made explicit; ValueError on a bad port."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def _is_tls_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _oauth_error(body: bytes) -> str:
    """The RFC 6749 ``error`` code of a token refusal, when it is a plain code (never the description)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ""
    code = document.get("error") if isinstance(document, dict) else None
    return code if isinstance(code, str) and _ERROR_CODE.match(code) else ""
