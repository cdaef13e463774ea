"""Connection tests, the pure part: the `connection` section of a specification, the request plan built
from it and an instance's variables, and the stored result.

``build_plan`` turns the section and the (decrypted, in-memory) variable values into a ``RequestPlan``:
the test request's URL, method, headers and expected statuses, and, for OAuth2 client credentials, the
token request to make first. Whatever cannot be built (no section, a variable without a value, a broken
template, a header value with a line break or a character HTTP cannot carry) raises ``Misconfigured`` with
a message that names variables, never their values. The plan itself holds secrets: it never goes to a log
or a message (its ``repr`` hides them).

Provenance, by construction. Every rendered template is a ``Rendered``: the text that is sent, the text
that may be shown (each part that came from a secret variable replaced by its placeholder, ``{API_TOKEN}``)
and the secret variables it holds. So the plan knows, without searching for values:

- which headers are credential material (the authentication section's own headers, and every header
  rendered from a secret variable): the prober drops them when a redirect leaves the origin;
- whether the URL carries credential material (a secret in the host, path or query, or the API key
  query parameter): the prober then follows no redirect that leaves the origin;
- what of a URL a message may show (``shown_url``: scheme, host and path, secret parts as placeholders,
  never the query).

Templates: ``{NAME}`` is replaced by the value of variable NAME; ``{{`` and ``}}`` are literal braces.
Values go into the base URL's scheme and authority as they are (a host may be a variable); after the
authority (path, query) and in the test request path they are percent-encoded, so a value containing
``#``, ``?`` or a space cannot change the URL's structure.
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
class Rendered:
    """A rendered template: ``text`` is sent, ``shown`` may be displayed (secret parts as ``{NAME}``)."""

    text: str
    shown: str
    # Every variable the template used, and those of them that are secret.
    names: frozenset[str] = frozenset()
    secret_names: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return f"Rendered(shown={self.shown!r})"

    @property
    def carries_secret(self) -> bool:
        return bool(self.secret_names)

    def __add__(self, other: "Rendered") -> "Rendered":
        return Rendered(self.text + other.text, self.shown + other.shown, self.names | other.names,
                        self.secret_names | other.secret_names)


def literal(text: str) -> Rendered:
    return Rendered(text, text)


@dataclass(frozen=True)
class TokenRequest:
    """An OAuth2 client-credentials token request (RFC 6749 4.4, client_secret_basic)."""

    url: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...] = ()
    # What messages may show of the URL (scheme, host, path; secret parts as placeholders).
    shown_url: str = ""

    def __repr__(self) -> str:
        return f"TokenRequest(url={self.shown_url!r})"

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
    # Header names that carry credential material (the authentication's own headers and every header
    # rendered from a secret variable): dropped when a redirect leaves the origin.
    credential_headers: tuple[str, ...] = ()
    # What messages may show of the URL (scheme, host, path; secret parts as placeholders).
    shown_url: str = ""
    # The URL carries credential material (a secret in host, path or query; the API key parameter): no
    # redirect that leaves the origin is followed.
    url_carries_secret: bool = False
    # The secret variables the URL carries (named in messages, never their values).
    url_secret_names: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"RequestPlan(method={self.method!r}, url={self.shown_url!r})"


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


def describe_shown(shown: str) -> str:
    """What may be shown of a ``Rendered.shown`` URL: everything before its query or fragment.

    Secret parts are placeholders already; values after the authority are percent-encoded, so a ``?``
    or ``#`` here comes from the template or from a setting in the authority, never from a secret."""
    scheme, sep, rest = shown.partition("://")
    if not sep:
        return re.split(r"[?#]", shown, maxsplit=1)[0]
    authority, path = re.match(r"([^/?#]*)(.*)", rest, re.DOTALL).groups()  # type: ignore[union-attr]
    authority = authority.rpartition("@")[2]  # never user info (refused anyway)
    return f"{scheme}://{authority}{re.split(r'[?#]', path, maxsplit=1)[0]}"


def shown_origin(shown: str) -> str:
    """host[:port] of a ``Rendered.shown`` URL (secret parts as placeholders)."""
    rest = shown.partition("://")[2] or shown
    authority = re.match(r"[^/?#]*", rest).group(0)  # type: ignore[union-attr]
    return authority.rpartition("@")[2]


def placeholders(template: str) -> list[str]:
    """The variable names a template uses, in order (malformed placeholders are left out)."""
    return [m.group(1) for m in _PLACEHOLDER.finditer(template) if m.group(1) and _NAME.match(m.group(1))]


class Position(enum.Enum):
    """How a value is written into a template."""

    RAW = "RAW"  # as it is
    PATH = "PATH"  # percent-encoded, every reserved character
    URL = "URL"  # raw in scheme and authority, percent-encoded after it


_PAST_AUTHORITY = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*[/?#]")
_PATH_SAFE = "/:@!$&'()*+,;=~"


def _encoded(value: str, so_far: str, position: Position) -> str:
    if position is Position.PATH:
        return quote(value, safe="")
    if position is Position.URL and _PAST_AUTHORITY.match(so_far):
        query = "?" in so_far[_PAST_AUTHORITY.match(so_far).end() - 1:]  # type: ignore[union-attr]
        return quote(value, safe="" if query else _PATH_SAFE)
    return value


def render(template: str, values: dict[str, str], where: str, secret_keys: set[str] | frozenset[str] = frozenset(),
           *, position: Position = Position.RAW) -> Rendered:
    """``template`` with each ``{NAME}`` replaced, knowing which parts came from secret variables;
    Misconfigured naming a missing variable or bad brace."""
    text: list[str] = []
    shown: list[str] = []
    names: set[str] = set()
    secret_names: set[str] = set()
    position_in = 0
    for match in _PLACEHOLDER.finditer(template):
        chunk = template[position_in:match.start()]
        text.append(chunk)
        shown.append(chunk)
        position_in = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            text.append(token[0])
            shown.append(token[0])
            continue
        name = match.group(1)
        if name is None or not _NAME.match(name):
            raise Misconfigured(f"the {where} template has a malformed placeholder at character {match.start()}")
        value = values.get(name, "")
        if not value:
            raise Misconfigured(f"the {where} template uses variable {name!r}, which has no value")
        names.add(name)
        written = _encoded(value, "".join(text), position)
        text.append(written)
        if name in secret_keys:
            secret_names.add(name)
            shown.append("{" + name + "}")
        else:
            shown.append(written)
    tail = template[position_in:]
    text.append(tail)
    shown.append(tail)
    return Rendered("".join(text), "".join(shown), frozenset(names), frozenset(secret_names))


def _value(values: dict[str, str], name: str, what: str) -> str:
    if not name:
        raise Misconfigured(f"the authentication section does not name the variable holding the {what}")
    value = values.get(name, "")
    if not value:
        raise Misconfigured(f"variable {name!r} (the {what}) has no value")
    return value


def _sendable(text: str) -> bool:
    """True when a header value is visible ASCII, spaces or tabs (what HTTP/1.1 carries as is)."""
    return all(ch == "\t" or " " <= ch <= "~" for ch in text)


def _check_header(name: str, value: str, where: str, names: frozenset[str] | set[str] = frozenset(),
                  values: dict[str, str] | None = None) -> None:
    """The header can be sent; else Misconfigured naming the header and the variables at fault."""
    if not _HEADER_NAME.match(name):
        raise Misconfigured(f"{where} header name {name!r} is not a valid header name")
    if any(ch in value for ch in "\r\n\0"):
        raise Misconfigured(f"{where} header {name!r} would contain a line break")
    if not _sendable(value):
        culprits = sorted(n for n in names if values is not None and not _sendable(values.get(n, "")))
        source = (f"variable{'s' if len(culprits) > 1 else ''} {', '.join(repr(c) for c in culprits)} "
                  "contain" + ("" if len(culprits) > 1 else "s") if culprits else "its template contains")
        raise Misconfigured(f"{where} header {name!r} cannot be sent: {source} characters that are not "
                            "printable ASCII (HTTP headers carry ASCII only)")


def _join(base: Rendered, path: Rendered) -> Rendered:
    if not path.text:
        return base
    if base.text.endswith("/") and path.text.startswith("/"):
        return base + Rendered(path.text[1:], path.shown[1:], path.names, path.secret_names)
    if not base.text.endswith("/") and not path.text.startswith("/"):
        return base + literal("/") + path
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
    base = render(spec.base_url_template, values, "base URL", secret_keys, position=Position.URL)
    path = render(spec.path, values, "test request path", secret_keys, position=Position.PATH)
    target = _join(base, path)
    _check_url(target.text, "test request URL")
    url = target.text
    url_secrets = set(target.secret_names)
    url_credential = target.carries_secret
    method = (spec.method or "GET").upper()
    if method not in _METHODS:
        raise Misconfigured(f"the test request method {method!r} is not one of {', '.join(_METHODS)}")
    expected = tuple(spec.expected_status) or DEFAULT_EXPECTED_STATUS
    if any(not 100 <= status <= 599 for status in expected):
        raise Misconfigured("the expected statuses must be HTTP status codes (100-599)")

    headers: list[tuple[str, str]] = [("Accept", "*/*"), ("User-Agent", "plugboard-connection-test/1")]
    credential_headers: list[str] = []
    for name, template in spec.headers:
        value = render(template, values, f"header {name!r}", secret_keys)
        _check_header(name, value.text, "test request", value.names, values)
        headers.append((name, value.text))
        if value.carries_secret:  # credential material by construction, whatever the header is called
            credential_headers.append(name)
    token_request = None
    auth = spec.authentication
    kind = auth.type
    if kind in (AuthType.NONE, AuthType.UNSPECIFIED):
        pass
    elif kind is AuthType.API_KEY_HEADER:
        name = auth.parameter_name or "X-Api-Key"
        value_text = _value(values, auth.api_key_variable, "API key")
        _check_header(name, value_text, "API key", {auth.api_key_variable}, values)
        headers.append((name, value_text))
        credential_headers.append(name)
    elif kind is AuthType.API_KEY_QUERY:
        if not auth.parameter_name:
            raise Misconfigured("the authentication section does not name the API key query parameter")
        value_text = _value(values, auth.api_key_variable, "API key")
        separator = "&" if urlsplit(url).query else "?"
        url = url + separator + urlencode([(auth.parameter_name, value_text)])
        url_credential = True
        url_secrets.add(auth.api_key_variable)
    elif kind is AuthType.BASIC:
        user = _value(values, auth.username_variable, "user name")
        password = _value(values, auth.password_variable, "password")
        # RFC 7617: user and password are sent as UTF-8, so any character can be sent.
        headers.append(("Authorization", basic_credentials(user, password)))
        credential_headers.append("Authorization")
    elif kind is AuthType.BEARER:
        token = _value(values, auth.token_variable, "bearer token")
        _check_header("Authorization", token, "bearer token", {auth.token_variable}, values)
        headers.append(("Authorization", f"Bearer {token}"))
        credential_headers.append("Authorization")
    elif kind is AuthType.OAUTH2_CLIENT_CREDENTIALS:
        if not auth.token_url_template:
            raise Misconfigured("the authentication section has no token URL template")
        token_url = render(auth.token_url_template, values, "token URL", secret_keys, position=Position.URL)
        _check_url(token_url.text, "token URL")
        token_request = TokenRequest(
            url=token_url.text,
            client_id=_value(values, auth.client_id_variable, "client id"),
            client_secret=_value(values, auth.client_secret_variable, "client secret"),
            scopes=tuple(auth.scopes),
            shown_url=describe_shown(token_url.shown),
        )
        credential_headers.append("Authorization")
    else:  # pragma: no cover - every enum member is handled above
        raise Misconfigured(f"authentication type {kind.value} is not supported")
    raw = {values[k] for k in secret_keys if values.get(k)}
    encoded = {quote(s, safe="") for s in raw} | {quote_plus(s, safe="") for s in raw}
    secrets = tuple(sorted(raw | encoded, key=len, reverse=True))
    return RequestPlan(
        method=method, url=url, headers=tuple(headers), expected_status=expected,
        token_request=token_request, credential_headers=tuple(credential_headers),
        shown_url=describe_shown(target.shown), url_carries_secret=url_credential,
        url_secret_names=tuple(sorted(url_secrets)), secrets=secrets,
    )


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every whole secret value replaced: a last layer only. Messages are built from
    ``shown`` texts, so they hold no secret-derived part in the first place."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text
