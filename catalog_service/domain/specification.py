"""Reading and validating ``connect.yaml``: commercetools' ``deployAs`` / ``inheritAs`` plus our ``connection``.

``parse_connect_yaml(text)`` returns the ``Specification`` and the problems found, each with the path of
the offending node (``deployAs[1].configuration.standardConfiguration[0].key: is required``). A
specification with problems is not published; the problems become "Connector specification file not
valid" report entries.

The format (documented with a full example in the README)::

    deployAs:                                   # one entry per application, at least one
      - name: service-app                       # 2-256 chars, ^[A-Za-z0-9_-]+$
        applicationType: service                # service, event, job, merchant-center-custom-application, assets
        configuration:
          standardConfiguration:                # settings: key, description, required, default
            - {key: SHOP_DOMAIN, description: Shop host, required: true}
          securedConfiguration:                 # secrets: key, description, required
            - {key: API_KEY, description: API key, required: true}
    inheritAs:                                  # optional, shared by every application
      configuration: {standardConfiguration: [], securedConfiguration: []}
      apiClient: {scopes: [manage_orders]}
    connection:                                 # optional; how an instance tests its connection
      baseUrl: "https://{SHOP_DOMAIN}/api"      # http(s); {NAME} is an instance variable
      authentication:
        type: api_key_header                    # none, api_key_header, api_key_query, basic, bearer,
        parameterName: X-Api-Key                #   oauth2_client_credentials
        apiKeyVariable: API_KEY
      testRequest: {method: GET, path: /ping, expectedStatus: [200]}
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .model import (
    Application,
    Authentication,
    Connection,
    SecuredKey,
    Specification,
    StandardKey,
    TestRequest,
)

APPLICATION_TYPES = ("service", "event", "job", "merchant-center-custom-application", "assets")
AUTH_TYPES = ("none", "api_key_header", "api_key_query", "basic", "bearer", "oauth2_client_credentials")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{2,256}$")
VARIABLE_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")
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


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, description: str) -> None:
        self.items.append(f"{path}: {description}" if path else description)


def parse_connect_yaml(text: str | bytes) -> tuple[Specification, list[str]]:
    """Parse and validate connect.yaml; return the specification and the problems (empty when valid)."""
    problems = _Problems()
    if len(text) > MAX_BYTES:
        problems.add("", f"the file is larger than {MAX_BYTES // 1024} KiB")
        return Specification(), problems.items
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problems.add("", f"not valid YAML ({where})")
        return Specification(), problems.items
    if not isinstance(document, dict):
        problems.add("", "must be a mapping with a deployAs list")
        return Specification(), problems.items

    applications = _applications(document.get("deployAs"), problems)
    inherit = _mapping(document.get("inheritAs"), "inheritAs", problems)
    configuration = _mapping(inherit.get("configuration"), "inheritAs.configuration", problems)
    global_standard = _standard(configuration.get("standardConfiguration"),
                                "inheritAs.configuration.standardConfiguration", problems)
    global_secured = _secured(configuration.get("securedConfiguration"),
                              "inheritAs.configuration.securedConfiguration", problems)
    api_client = _mapping(inherit.get("apiClient"), "inheritAs.apiClient", problems)
    scopes = _strings(api_client.get("scopes"), "inheritAs.apiClient.scopes", problems)

    variables = {k.key for k in global_standard} | {k.key for k in global_secured}
    for app in applications:
        variables |= {k.key for k in app.standard} | {k.key for k in app.secured}
    connection = None
    if document.get("connection") is not None:
        connection = _connection(document["connection"], variables, problems)
    spec = Specification(applications, global_standard, global_secured, connection, scopes)
    return spec, problems.items


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


def _flag(node: dict[str, Any], name: str, path: str, problems: _Problems) -> bool:
    value = node.get(name, False)
    if not isinstance(value, bool):
        problems.add(f"{path}.{name}", "must be true or false")
        return False
    return value


def _strings(node: Any, path: str, problems: _Problems) -> tuple[str, ...]:
    items = _list(node, path, problems)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            problems.add(f"{path}[{index}]", "must be a string")
    return tuple(item for item in items if isinstance(item, str))


def _applications(node: Any, problems: _Problems) -> tuple[Application, ...]:
    if node is None:
        problems.add("deployAs", "is required")
        return ()
    items = _list(node, "deployAs", problems)
    if isinstance(node, list) and not items:
        problems.add("deployAs", "must list at least one application")
    applications: list[Application] = []
    names: set[str] = set()
    for index, raw in enumerate(items):
        path = f"deployAs[{index}]"
        entry = _mapping(raw, path, problems)
        if not entry:
            if raw is not None and not isinstance(raw, dict):
                continue
            problems.add(path, "must be a mapping with name and applicationType")
            continue
        name = _text(entry, "name", path, problems, required=True)
        if name and not NAME_PATTERN.match(name):
            problems.add(f"{path}.name", "must be 2 to 256 characters matching ^[A-Za-z0-9_-]+$")
        if name in names:
            problems.add(f"{path}.name", "is used by another application")
        names.add(name)
        app_type = _text(entry, "applicationType", path, problems, required=True)
        if app_type and app_type not in APPLICATION_TYPES:
            problems.add(f"{path}.applicationType", "must be one of " + ", ".join(APPLICATION_TYPES))
        configuration = _mapping(entry.get("configuration"), f"{path}.configuration", problems)
        standard = _standard(configuration.get("standardConfiguration"),
                             f"{path}.configuration.standardConfiguration", problems)
        secured = _secured(configuration.get("securedConfiguration"),
                           f"{path}.configuration.securedConfiguration", problems)
        clash = {k.key for k in standard} & {k.key for k in secured}
        for key in sorted(clash):
            problems.add(f"{path}.configuration", f"key {key} is both standard and secured")
        applications.append(Application(name, app_type, standard, secured))
    return tuple(applications)


def _keys(node: Any, path: str, problems: _Problems) -> list[tuple[str, dict[str, Any], str]]:
    found: list[tuple[str, dict[str, Any], str]] = []
    seen: set[str] = set()
    for index, raw in enumerate(_list(node, path, problems)):
        item_path = f"{path}[{index}]"
        item = _mapping(raw, item_path, problems)
        key = _text(item, "key", item_path, problems, required=True) if item else ""
        if not item:
            continue
        if key and not VARIABLE_PATTERN.match(key):
            problems.add(f"{item_path}.key", "must match ^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")
        if key in seen:
            problems.add(f"{item_path}.key", "is repeated")
        seen.add(key)
        found.append((key, item, item_path))
    return found


def _standard(node: Any, path: str, problems: _Problems) -> tuple[StandardKey, ...]:
    return tuple(
        StandardKey(
            key=key,
            description=_text(item, "description", item_path, problems),
            default=_text(item, "default", item_path, problems),
            required=_flag(item, "required", item_path, problems),
        )
        for key, item, item_path in _keys(node, path, problems)
    )


def _secured(node: Any, path: str, problems: _Problems) -> tuple[SecuredKey, ...]:
    keys = []
    for key, item, item_path in _keys(node, path, problems):
        if "default" in item:
            problems.add(f"{item_path}.default", "secured keys cannot have a default")
        keys.append(SecuredKey(key=key, description=_text(item, "description", item_path, problems),
                               required=_flag(item, "required", item_path, problems)))
    return tuple(keys)


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
            problems.add(f"{test_path}.expectedStatus[{index}]", "must be an HTTP status from 100 to 599")
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
