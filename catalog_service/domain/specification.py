"""Reading a connector's specification: ``connect.yaml`` in commercetools' format, ``plugboard.yaml`` beside it.

``read_specification(connect_yaml, plugboard_yaml, limits=...)`` returns a ``Reading``: the
``Specification`` (None when there is an error), the Error problems and the Warnings, each a message that
names its file and path the way commercetools' CLI does (``connect.yaml: [deployAs.0.endpoint]: Required``).

- ``connect.yaml`` is read exactly as commercetools' own parser reads it (``yaml12`` for the YAML 1.2
  reading, ``connect_format`` for the rules), so one repository tag publishes on both platforms.
- ``plugboard.yaml`` (optional) holds Plugboard's own ``connection`` section: how an instance tests its
  connection. Its ``{NAME}`` references name configuration keys of connect.yaml.
- A ``connection`` section at the top of connect.yaml (where Plugboard read it before plugboard.yaml) is
  still read, with a Warning saying to move it; connect.yaml is otherwise checked without that key.

Both files are read within ``SpecLimits``: a size cap, the YAML limits (depth, nodes, aliases, expansion,
deadline), and caps on applications and configuration keys, so that any published specification fits a
message.

The connection section::

    connection:
      baseUrl: "https://{SHOP_DOMAIN}/api"      # http(s); {NAME} is an instance variable
      authentication:
        type: api_key_header                    # none, api_key_header, api_key_query, basic, bearer,
        parameterName: X-Api-Key                #   oauth2_client_credentials
        apiKeyVariable: API_KEY
      testRequest: {method: GET, path: /ping, expectedStatus: [200]}
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from . import connect_format, yaml12
from .model import (
    Authentication,
    Connection,
    Specification,
    TestRequest,
)

CONNECT_YAML = "connect.yaml"
PLUGBOARD_YAML = "plugboard.yaml"
AUTH_TYPES = ("none", "api_key_header", "api_key_query", "basic", "bearer", "oauth2_client_credentials")
TEMPLATE_REFERENCE = re.compile(r"\{([^{}]*)\}")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Variables each authentication type needs, by field of ConnectionAuthentication.
AUTH_VARIABLES = {
    "none": (),
    "api_key_header": ("parameterName", "apiKeyVariable"),
    "api_key_query": ("parameterName", "apiKeyVariable"),
    "basic": ("usernameVariable", "passwordVariable"),
    "bearer": ("tokenVariable",),
    "oauth2_client_credentials": ("tokenUrl", "clientIdVariable", "clientSecretVariable"),
}
MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class SpecLimits:
    """What one specification may cost to read and to publish."""

    max_bytes: int = MAX_BYTES  # each file
    max_applications: int = 100
    max_keys: int = 1000  # configuration keys of all applications and inheritAs together
    yaml: yaml12.YamlLimits = field(default_factory=yaml12.YamlLimits)

    def with_deadline(self, deadline: float | None) -> "SpecLimits":
        return dataclasses.replace(self, yaml=dataclasses.replace(self.yaml, deadline=deadline))


@dataclass(frozen=True)
class Reading:
    """What reading the specification files found."""

    specification: Specification | None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


class _Problems:
    def __init__(self, file: str = "") -> None:
        self.file = file
        self.items: list[str] = []

    def add(self, path: str, description: str) -> None:
        where = f"[{path}]: " if path else ""
        self.items.append(f"{self.file}: {where}{description}" if self.file else f"{where}{description}")


def read_specification(connect_yaml: str, plugboard_yaml: str | None = None, *,
                       limits: SpecLimits = SpecLimits()) -> Reading:
    """Read connect.yaml (commercetools' format) and, when the tag has it, plugboard.yaml."""
    problems = _Problems(CONNECT_YAML)
    warnings: list[str] = []
    document = _load(connect_yaml, problems, limits)
    if problems.items:
        return Reading(None, tuple(problems.items))
    legacy_connection = None
    if isinstance(document, dict) and "connection" in document:
        document = dict(document)
        legacy_connection = document.pop("connection")
        warnings.append(f"{CONNECT_YAML}: [connection]: commercetools' format has no connection section; move it "
                        f"to {PLUGBOARD_YAML} beside connect.yaml (connect.yaml is then valid for commercetools "
                        f"Connect as well)")
    checked = connect_format.check(document)
    for path, message in checked.issues:
        problems.add(connect_format.format_path(path), message)
    if problems.items:
        return Reading(None, tuple(problems.items), tuple(warnings))
    _check_size(checked, problems, limits)
    if problems.items:
        return Reading(None, tuple(problems.items), tuple(warnings))

    variables = {k.key for k in checked.global_standard} | {k.key for k in checked.global_secured}
    for app in checked.applications:
        variables |= {k.key for k in app.standard} | {k.key for k in app.secured}
    connection = None
    if plugboard_yaml is not None:
        own = _Problems(PLUGBOARD_YAML)
        extra = _load(plugboard_yaml, own, limits)
        if not own.items:
            section = _plugboard_section(extra, own)
            if section is not None and legacy_connection is not None:
                own.add("connection", f"the connection section is in both {PLUGBOARD_YAML} and {CONNECT_YAML}; "
                                      f"keep it in {PLUGBOARD_YAML} only")
            elif section is not None:
                connection = _connection(section, variables, own)
        problems.items.extend(own.items)
    if legacy_connection is not None and not problems.items:
        connection = _connection(legacy_connection, variables, problems)
    if problems.items:
        return Reading(None, tuple(problems.items), tuple(warnings))
    spec = Specification(checked.applications, checked.global_standard, checked.global_secured, connection,
                         checked.api_client_scopes)
    return Reading(spec, (), tuple(warnings))


def _load(text: str, problems: _Problems, limits: SpecLimits) -> Any:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        problems.add("", f"the file is larger than {limits.max_bytes // 1024} KiB")
        return None
    try:
        return yaml12.load(text, limits.yaml)
    except yaml12.YamlRefused as refused:
        problems.add("", f"not valid YAML: {refused}")
        return None


def _check_size(checked: connect_format.Checked, problems: _Problems, limits: SpecLimits) -> None:
    if len(checked.applications) > limits.max_applications:
        problems.add("deployAs", f"Plugboard publishes at most {limits.max_applications} applications "
                                 f"(this file has {len(checked.applications)})")
    keys = len(checked.global_standard) + len(checked.global_secured) + sum(
        len(app.standard) + len(app.secured) for app in checked.applications)
    if keys > limits.max_keys:
        problems.add("", f"Plugboard publishes at most {limits.max_keys} configuration keys per connector "
                         f"(this file has {keys})")


def _plugboard_section(document: Any, problems: _Problems) -> Any:
    """The ``connection`` section of plugboard.yaml (None when the file does not have one)."""
    if document is None:
        return None
    if not isinstance(document, dict):
        problems.add("", f"must be a mapping with a connection section, not {connect_format.type_name(document)}")
        return None
    unknown = [name for name in document if name != "connection"]
    if unknown:
        problems.add("", "Unrecognized key(s) in object: " + ", ".join(f"'{name}'" for name in unknown))
    return document.get("connection")


def _mapping(node: Any, path: str, problems: _Problems) -> dict[str, Any]:
    if node is None:
        return {}
    if not isinstance(node, dict):
        problems.add(path, "must be a mapping")
        return {}
    return node


def _list(node: Any, path: str, problems: _Problems) -> list[Any]:
    if node is None:
        return []
    if not isinstance(node, list):
        problems.add(path, "must be a list")
        return []
    return node


def _text(node: dict[str, Any], name: str, path: str, problems: _Problems, *, required: bool = False) -> str:
    value = node.get(name)
    if value is None:
        if required:
            problems.add(f"{path}.{name}", "is required")
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        problems.add(f"{path}.{name}", "must be a string")
        return ""
    return str(value)


def _strings(node: Any, path: str, problems: _Problems) -> tuple[str, ...]:
    items = _list(node, path, problems)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            problems.add(f"{path}.{index}", "must be a string")
    return tuple(item for item in items if isinstance(item, str))


def _check_template(template: str, path: str, variables: set[str], problems: _Problems) -> None:
    for name in TEMPLATE_REFERENCE.findall(template):
        if name not in variables:
            problems.add(path, f"references {{{name}}}, which is not a configuration key")


def _connection(node: Any, variables: set[str], problems: _Problems) -> Connection | None:
    path = "connection"
    section = _mapping(node, path, problems)
    if not section:
        return None
    base_url = _text(section, "baseUrl", path, problems, required=True)
    if base_url and not re.match(r"^https?://[^/\s]+", base_url):
        problems.add(f"{path}.baseUrl", "must be an http or https URL")
    _check_template(base_url, f"{path}.baseUrl", variables, problems)

    auth_path = f"{path}.authentication"
    auth_node = _mapping(section.get("authentication"), auth_path, problems)
    auth_type = _text(auth_node, "type", auth_path, problems) or "none"
    if auth_type not in AUTH_TYPES:
        problems.add(f"{auth_path}.type", "must be one of " + ", ".join(AUTH_TYPES))
        auth_type = "none"
    values = {name: _text(auth_node, name, auth_path, problems) for name in (
        "parameterName", "apiKeyVariable", "usernameVariable", "passwordVariable", "tokenVariable", "tokenUrl",
        "clientIdVariable", "clientSecretVariable")}
    for name in AUTH_VARIABLES[auth_type]:
        if not values[name]:
            problems.add(f"{auth_path}.{name}", f"is required for {auth_type}")
        elif name.endswith("Variable") and values[name] not in variables:
            problems.add(f"{auth_path}.{name}", f"names {values[name]}, which is not a configuration key")
    if values["tokenUrl"]:
        if not re.match(r"^https?://[^/\s]+", values["tokenUrl"]):
            problems.add(f"{auth_path}.tokenUrl", "must be an http or https URL")
        _check_template(values["tokenUrl"], f"{auth_path}.tokenUrl", variables, problems)
    authentication = Authentication(
        type=auth_type,
        parameter_name=values["parameterName"],
        api_key_variable=values["apiKeyVariable"],
        username_variable=values["usernameVariable"],
        password_variable=values["passwordVariable"],
        token_variable=values["tokenVariable"],
        token_url_template=values["tokenUrl"],
        client_id_variable=values["clientIdVariable"],
        client_secret_variable=values["clientSecretVariable"],
        scopes=_strings(auth_node.get("scopes"), f"{auth_path}.scopes", problems),
    )

    test_path = f"{path}.testRequest"
    test_node = _mapping(section.get("testRequest"), test_path, problems)
    method = (_text(test_node, "method", test_path, problems) or "GET").upper()
    if method not in METHODS:
        problems.add(f"{test_path}.method", "must be one of " + ", ".join(METHODS))
    test_request_path = _text(test_node, "path", test_path, problems)
    _check_template(test_request_path, f"{test_path}.path", variables, problems)
    statuses = _list(test_node.get("expectedStatus", [200]), f"{test_path}.expectedStatus", problems)
    expected: list[int] = []
    for index, status in enumerate(statuses):
        if isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599:
            expected.append(status)
        else:
            problems.add(f"{test_path}.expectedStatus.{index}", "must be an HTTP status from 100 to 599")
    headers_node = _mapping(test_node.get("headers"), f"{test_path}.headers", problems)
    headers: list[tuple[str, str]] = []
    for name, value in headers_node.items():
        if not isinstance(name, str) or not isinstance(value, str):
            problems.add(f"{test_path}.headers", "must map header names to strings")
            continue
        _check_template(value, f"{test_path}.headers.{name}", variables, problems)
        headers.append((name, value))
    test_request = TestRequest(method=method, path=test_request_path, expected_status=tuple(expected or [200]),
                               headers=tuple(headers))
    return Connection(base_url, authentication, test_request)
