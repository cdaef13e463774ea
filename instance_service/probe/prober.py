"""Running a connection test: the HTTP exchanges of a ``RequestPlan`` and the classification of what came
back. Implements ``instance_service.domain.testing.ProberPort``.

- One total deadline for everything (name resolution, token request, test request, redirects, body):
  past it the outcome is TIMEOUT, with the HTTP status when headers had arrived (a server dripping its
  body byte by byte ends here).
- Every exchange goes through the SSRF guard (``addresses.AddressPolicy``) and a ``PinnedTransport`` to
  the address that was checked. Redirects are never followed blindly: each hop is checked again, at most
  ``max_redirects`` of them, and credentials (Authorization and API key headers) are dropped when a hop
  leaves the origin. The token request follows no redirect at all.
- At most 64 KiB of a body is read; then the connection is closed.
- Outcomes: OK (an expected status), AUTH_FAILED (401/403, or the token endpoint refused the client),
  UNREACHABLE (no name, no connection, TLS failure, connection reset), TIMEOUT, UNEXPECTED_RESPONSE
  (another status, not HTTP, a bad token answer, too many redirects), BLOCKED (the guard said no).
- Messages name the host and path at most (``describe_url``: never the query, where an API key may be)
  and the exception class, never exception text or a body; the service redacts secrets once more.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from ..domain.connection import MAX_BODY_BYTES, ProbeOutcome, RequestPlan, TokenRequest, describe_url
from ..domain.model import TestOutcome
from .addresses import AddressPolicy, Blocked, Unresolvable
from .transport import PinnedTransport

_REDIRECTS = (301, 302, 303, 307, 308)
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
        if plan.token_request is not None:
            token = await self._token(plan.token_request, progress)
            headers.append(("Authorization", f"Bearer {token}"))
        return await self._test_request(plan, headers, progress)

    # ----------------------------------------------------------------------------- token request

    async def _token(self, request: TokenRequest, progress: _Progress) -> str:
        where = describe_url(request.url)
        progress.stage = "requesting a token"
        answer = await self._exchange(
            "POST", request.url,
            [("Authorization", request.basic_header()), ("Accept", "application/json"),
             ("Content-Type", "application/x-www-form-urlencoded")],
            request.form(), progress,
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
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise _Stop(ProbeOutcome(TestOutcome.UNEXPECTED_RESPONSE, status,
                                     f"the token endpoint {where} issued a token that is not a bearer token"))
        return token

    # ------------------------------------------------------------------------------ test request

    async def _test_request(self, plan: RequestPlan, headers: list[tuple[str, str]],
                            progress: _Progress) -> ProbeOutcome:
        url, method = plan.url, plan.method
        origin = _origin(url)
        for hop in range(self._max_redirects + 1):
            progress.stage = "waiting for the test request's answer" if hop == 0 else f"following redirect {hop}"
            answer = await self._exchange(method, url, headers, None, progress)
            status = answer.status
            where = describe_url(url)
            if status in plan.expected_status:
                note = f"; body cut at {MAX_BODY_BYTES // 1024} KiB" if answer.truncated else ""
                return ProbeOutcome(TestOutcome.OK, status, f"{method} {where} answered HTTP {status}{note}")
            location = answer.headers.get("location")
            if status in _REDIRECTS and location:
                if hop == self._max_redirects:
                    return ProbeOutcome(TestOutcome.UNEXPECTED_RESPONSE, status,
                                        f"more than {self._max_redirects} redirects, last from {where}")
                url = urljoin(url, location)
                if _origin(url) != origin:  # never carry credentials to another origin
                    dropped = {name.lower() for name in plan.credential_headers}
                    headers = [(k, v) for k, v in headers if k.lower() not in dropped]
                    origin = _origin(url)
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
                        progress: _Progress) -> _Answer:
        """One request to a checked address; at most MAX_BODY_BYTES of the answer are read."""
        try:
            target = await self._policy.check(url)
        except Blocked as exc:
            raise _Stop(ProbeOutcome(TestOutcome.BLOCKED, 0, f"{exc}; not contacted")) from None
        except Unresolvable as exc:
            raise _Stop(ProbeOutcome(TestOutcome.UNREACHABLE, 0, str(exc))) from None
        where = f"{target.host}:{target.port}"
        request = httpx.Request(method, url, headers=headers, content=content)
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


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


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
