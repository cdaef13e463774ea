"""Connection tests, the pure part: the `connection` section of a specification, the request plan built
from it and an instance's variables, and the stored result.

``build_plan`` turns the section and the (decrypted, in-memory) variable values into a ``RequestPlan``:
the test request's URL, method, headers and expected statuses, and, for OAuth2 client credentials, the
token request to make first. Whatever cannot be built (no section, a variable without a value, a broken
template, a header value with a line break) raises ``Misconfigured`` with a message that names variables,
never their values. The plan itself holds secrets: it never goes to a log or a message (its ``repr`` hides
them); ``describe_url`` gives the part of a URL that may be shown (no query, no user info).

Templates: ``{NAME}`` is replaced by the value of variable NAME; ``{{`` and ``}}`` are literal braces.
Values go into the base URL as they are (a host may be a variable), into the path percent-encoded.
"""

from __future__ import annotations

import base64
import enum
import re
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus, urlencode, urlsplit, urlunsplit

from .outcomes import TestOutcome

MAX_BODY_BYTES = 64 * 1024
DEFAULT_EXPECTED_STATUS = (200,)
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$")


class AuthType(enum.Enum):
    """How connection requests authenticate (specification.proto AuthenticationType)."""

    UNSPECIFIED = "UNSPECIFIED"
    NONE = "NONE"
    API_KEY_HEADER = "API_KEY_HEADER"
    API_KEY_QUERY = "API_KEY_QUERY"
    BASIC = "BASIC"
    BEARER = "BEARER"
    OAUTH2_CLIENT_CREDENTIALS = "OAUTH2_CLIENT_CREDENTIALS"


@dataclass(frozen=True)
class Authentication:
    """The section's authentication; the *_variable fields name the variables holding credentials."""

    type: AuthType = AuthType.NONE
    parameter_name: str = ""
    api_key_variable: str = ""
    username_variable: str = ""
    password_variable: str = ""
    token_variable: str = ""
    token_url_template: str = ""
    client_id_variable: str = ""
    client_secret_variable: str = ""
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConnectionSpec:
    """The `connection` section of a connector version's specification."""

    base_url_template: str = ""
    authentication: Authentication = field(default_factory=Authentication)
    method: str = "GET"
    path: str = ""
    expected_status: tuple[int, ...] = DEFAULT_EXPECTED_STATUS
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.base_url_template


class Misconfigured(Exception):
    """The plan cannot be built; the message names variables, never values."""


@dataclass(frozen=True)
class TokenRequest:
    """An OAuth2 client-credentials token request (RFC 6749 4.4, client_secret_basic)."""

    url: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"TokenRequest(url={describe_url(self.url)!r})"

    def basic_header(self) -> str:
        return basic_credentials(quote(self.client_id, safe=""), quote(self.client_secret, safe=""))

    def form(self) -> bytes:
        fields = [("grant_type", "client_credentials")]
        if self.scopes:
            fields.append(("scope", " ".join(self.scopes)))
        return urlencode(fields).encode("ascii")


@dataclass(frozen=True)
class RequestPlan:
    """Everything the prober needs; holds secrets (headers, query, token request)."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    expected_status: tuple[int, ...]
    token_request: TokenRequest | None = None
    # Header names that carry credentials: dropped when a redirect leaves the origin.
    credential_headers: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"RequestPlan(method={self.method!r}, url={describe_url(self.url)!r})"


@dataclass(frozen=True)
class ProbeOutcome:
    """What the prober found: the outcome, the HTTP status (0 when none), what happened in words."""

    outcome: TestOutcome
    http_status: int = 0
    message: str = ""


def basic_credentials(user: str, password: str) -> str:
    raw = f"{user}:{password}".encode("utf-8")
    return "Basic " + base64.b64encode(raw).decode("ascii")


def describe_url(url: str) -> str:
    """scheme://host[:port]/path of a URL: what may be shown (no user info, query or fragment)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<unparseable URL>"
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def render(template: str, values: dict[str, str], where: str, *, encode: bool = False) -> str:
    """``template`` with each ``{NAME}`` replaced; Misconfigured naming a missing variable or bad brace."""
    out: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        out.append(template[position:match.start()])
        position = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            out.append(token[0])
            continue
        name = match.group(1)
        if name is None or not _NAME.match(name):
            raise Misconfigured(f"the {where} template has a malformed placeholder at character {match.start()}")
        value = values.get(name, "")
        if not value:
            raise Misconfigured(f"the {where} template uses variable {name!r}, which has no value")
        out.append(quote(value, safe="") if encode else value)
    out.append(template[position:])
    return "".join(out)


def _value(values: dict[str, str], name: str, what: str) -> str:
    if not name:
        raise Misconfigured(f"the authentication section does not name the variable holding the {what}")
    value = values.get(name, "")
    if not value:
        raise Misconfigured(f"variable {name!r} (the {what}) has no value")
    return value


def _check_header(name: str, value: str, where: str) -> None:
    if not _HEADER_NAME.match(name):
        raise Misconfigured(f"{where} header name {name!r} is not a valid header name")
    if any(ch in value for ch in "\r\n\0"):
        raise Misconfigured(f"{where} header {name!r} would contain a line break")


def _join(base: str, path: str) -> str:
    if not path:
        return base
    if base.endswith("/") and path.startswith("/"):
        return base + path[1:]
    if not base.endswith("/") and not path.startswith("/"):
        return base + "/" + path
    return base + path


def _check_url(url: str, where: str) -> None:
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise Misconfigured(f"the {where} contains spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        raise Misconfigured(f"the {where} is not a valid URL") from None
    if not parts.hostname:
        raise Misconfigured(f"the {where} has no host")
    if parts.username is not None or parts.password is not None:
        raise Misconfigured(f"the {where} must not carry user info (credentials belong in variables)")


def build_plan(spec: ConnectionSpec | None, values: dict[str, str], secret_keys: set[str]) -> RequestPlan:
    """The request plan of a connection test; Misconfigured when the section or variables fall short."""
    if spec is None or spec.is_empty:
        raise Misconfigured("the connector version has no connection section (base URL template)")
    base = render(spec.base_url_template, values, "base URL")
    path = render(spec.path, values, "test request path", encode=True)
    url = _join(base, path)
    _check_url(url, "test request URL")
    method = (spec.method or "GET").upper()
    if method not in _METHODS:
        raise Misconfigured(f"the test request method {method!r} is not one of {', '.join(_METHODS)}")
    expected = tuple(spec.expected_status) or DEFAULT_EXPECTED_STATUS
    if any(not 100 <= status <= 599 for status in expected):
        raise Misconfigured("the expected statuses must be HTTP status codes (100-599)")

    headers: list[tuple[str, str]] = [("Accept", "*/*"), ("User-Agent", "plugboard-connection-test/1")]
    for name, template in spec.headers:
        value = render(template, values, f"header {name!r}")
        _check_header(name, value, "test request")
        headers.append((name, value))
    credential_headers: list[str] = []
    token_request = None
    auth = spec.authentication
    kind = auth.type
    if kind in (AuthType.NONE, AuthType.UNSPECIFIED):
        pass
    elif kind is AuthType.API_KEY_HEADER:
        name = auth.parameter_name or "X-Api-Key"
        value = _value(values, auth.api_key_variable, "API key")
        _check_header(name, value, "API key")
        headers.append((name, value))
        credential_headers.append(name)
    elif kind is AuthType.API_KEY_QUERY:
        if not auth.parameter_name:
            raise Misconfigured("the authentication section does not name the API key query parameter")
        value = _value(values, auth.api_key_variable, "API key")
        separator = "&" if urlsplit(url).query else "?"
        url = url + separator + urlencode([(auth.parameter_name, value)])
    elif kind is AuthType.BASIC:
        user = _value(values, auth.username_variable, "user name")
        password = _value(values, auth.password_variable, "password")
        headers.append(("Authorization", basic_credentials(user, password)))
        credential_headers.append("Authorization")
    elif kind is AuthType.BEARER:
        token = _value(values, auth.token_variable, "bearer token")
        _check_header("Authorization", token, "bearer token")
        headers.append(("Authorization", f"Bearer {token}"))
        credential_headers.append("Authorization")
    elif kind is AuthType.OAUTH2_CLIENT_CREDENTIALS:
        if not auth.token_url_template:
            raise Misconfigured("the authentication section has no token URL template")
        token_url = render(auth.token_url_template, values, "token URL")
        _check_url(token_url, "token URL")
        token_request = TokenRequest(
            url=token_url,
            client_id=_value(values, auth.client_id_variable, "client id"),
            client_secret=_value(values, auth.client_secret_variable, "client secret"),
            scopes=tuple(auth.scopes),
        )
        credential_headers.append("Authorization")
    else:  # pragma: no cover - every enum member is handled above
        raise Misconfigured(f"authentication type {kind.value} is not supported")
    raw = {values[k] for k in secret_keys if values.get(k)}
    encoded = {quote(s, safe="") for s in raw} | {quote_plus(s, safe="") for s in raw}
    secrets = tuple(sorted(raw | encoded, key=len, reverse=True))
    return RequestPlan(
        method=method, url=url, headers=tuple(headers), expected_status=expected,
        token_request=token_request, credential_headers=tuple(credential_headers), secrets=secrets,
    )


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret value replaced (belt and braces: messages are built without them)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text
