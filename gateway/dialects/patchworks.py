"""Patchworks' API (seed 004) on ``/api/v1/connectors``: a Patchworks "connector" is a Plugboard
instance, in the project of the API key.

Routes (each a second HTTP binding of an InstanceService method; the native ones stay under
``/projects/{project}/instances``): ``GET|POST /api/v1/connectors``, ``GET|PUT|DELETE
/api/v1/connectors/{connector}``, ``POST /api/v1/connectors/{connector}/test``.

- Fields in snake_case, exactly as the seed's validation tables; a single connector answers
  ``{"data": {...}}``, a list the paginated shape of Laravel's query-builder APIs (``data``, ``links``,
  ``meta.current_page/from/last_page/path/per_page/to/total``); delete answers ``{"message": ...}``;
  a test answers 200 without content when the connection works, else 422 naming the outcome.
- ``filter[...]``, ``include=`` (comma-separated), ``sort=name|-name``, ``page`` (from 1) and
  ``per_page`` (1 to 100): an unknown filter, include or sort is a 400, a bad value a 422.
- ``PUT`` changes the fields present in the body; without ``version`` (body) or ``If-Match`` it applies
  atomically to the current state, with one it is conditional (409 when stale).
- Errors ``{"message": ...}``; validation errors 422 ``{"message", "errors": {field: [messages]}}``.
- The API key in ``Authorization: <api-key>`` as the seed says; ``Bearer <api-key>`` also works.

Names (Patchworks -> Plugboard): authentication implementation / system / system template -> the
published connector the instance uses (``authentication_implementation_id``, ``filter[system]`` and
``filter[system_template_id]``/``filter[forSystemTemplate]`` are its id, ``filter[canonical_key]`` its
key); session -> ``session_id`` (``filter[forSession]``); platform session -> ``platform_app_key``
(``filter[platformSession]``); certificate -> ``certificate_id``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import grpc
from google.protobuf.message import Message
from google.rpc import status_pb2
from multidict import MultiDictProxy
from yarl import URL

from gateway.auth import credential_from
from gateway.dialects import patchworks_models as models
from gateway.http_rules import HttpRoute, compile_template
from gateway.json_mapping import HTTP_STATUS
from gateway.policy import MethodRule
from plugboard.errors import FieldViolation, InvalidArgument
from plugboard.rpc.status import parts_of
from plugboard.instance.v1 import instance_pb2 as ipb

PREFIX = "/api/v1/connectors"
_SERVICE = "plugboard.instance.v1.InstanceService"
MAX_VERSION = 2 ** 63 - 1  # an int64
INT32_MAX = 2 ** 31 - 1
BAD_QUERY = "INVALID_QUERY"  # an unknown filter, include or sort: Spatie's query builder answers 400
# (verb, template, method, body) of each route.
BINDINGS = (
    ("GET", PREFIX, "ListInstances", ""),
    ("POST", PREFIX, "CreateInstance", "instance"),
    ("GET", PREFIX + "/{id}", "GetInstance", ""),
    ("PUT", PREFIX + "/{instance.id}", "UpdateInstance", "instance"),
    ("DELETE", PREFIX + "/{id}", "DeleteInstance", ""),
    ("POST", PREFIX + "/{id}/test", "TestInstanceConnection", ""),
)
UNITS = {ipb.RATE_LIMIT_UNIT_SECOND: "second", ipb.RATE_LIMIT_UNIT_MINUTE: "minute",
         ipb.RATE_LIMIT_UNIT_HOUR: "hour", ipb.RATE_LIMIT_UNIT_DAY: "day"}
UNIT_OF = {name: number for number, name in UNITS.items()}
FILTERS = {"canonical_key": "connector_key", "system": "connector_id", "system_template_id": "connector_id",
           "forSystemTemplate": "connector_id", "forSession": "session_id", "platformSession": "platform_app_key"}
# Seed 004's includes, and what each adds (Laravel's serialization: relations snake_case, counts and
# existence as <relation>_count / <relation>_exists).
INCLUDES = (
    "authenticationImplementation", "authenticationImplementation_count", "authenticationImplementationExists",
    "authenticationImplementation.authenticationType", "authenticationImplementation.system",
    "authenticationImplementation.system.logo", "authenticationImplementation.endpoints",
    "authenticationImplementation.endpoints.filters", "authenticationImplementation.endpoints.endpointSchema",
    "authenticationImplementation.endpoints.system", "authenticationImplementation.endpoints.system.logo",
    "authenticationImplementation.endpoints.entityType", "authenticationImplementation.endpoints.fieldTags",
    "authenticationImplementation.system.systemType", "variables", "variables_count", "variablesExists",
    "authenticationImplementation.endpoints.variables", "certificate", "certificate_count", "certificateExists",
    "certificate.user",
)
LIST_QUERY = frozenset({"include", "sort", "page", "per_page"})
# Body field (seed 004) -> Instance field.
BODY_FIELDS = {"name": "name", "authentication_implementation_id": "connector_id", "type": "type",
               "timezone": "timezone", "date_format": "date_format", "rate_limit_unit": "rate_limit_unit",
               "rate_limit_duration": "rate_limit_duration", "connection_pool_id": "connection_pool_id",
               "session_id": "session_id", "platform_app_key": "platform_app_key",
               "certificate_id": "certificate_id", "variables": "variables"}
CREATE_FIELDS = frozenset(BODY_FIELDS) - {"type"}
UPDATE_FIELDS = frozenset(BODY_FIELDS) - {"session_id", "platform_app_key", "certificate_id"} | {"version"}
REQUIRED_ON_CREATE = ("name", "authentication_implementation_id", "timezone", "date_format", "rate_limit_unit",
                      "rate_limit_duration")
VARIABLE_FIELDS = frozenset({"id", "key", "value", "label", "secret", "locked", "pivot"})
PIVOT_FIELDS = frozenset({"alias", "configurable", "required", "advanced"})
# Instance field (in a violation) -> the seed's name.
FIELD_NAMES = {v: k for k, v in BODY_FIELDS.items()} | {"connector_key": "authentication_implementation_id"}


def routes(methods: Iterable[Any]) -> list[HttpRoute]:
    """The Patchworks bindings of the InstanceService methods among ``methods``."""
    by_name = {m.name: m for m in methods if m.containing_service.full_name == _SERVICE}
    found = []
    for verb, template, name, body in BINDINGS:
        if name in by_name:
            pattern, variables, literal = compile_template(template)
            found.append(HttpRoute(method=by_name[name], verb=verb, template=template, body=body,
                                   variables=variables, pattern=pattern, literal_length=literal))
    return found


def speaks(route: HttpRoute) -> bool:
    return route.template == PREFIX or route.template.startswith(PREFIX + "/")


def credential(headers: Mapping[str, str]) -> str | None:
    """``Authorization: <api-key>`` (the seed's form), or what the other dialects accept."""
    found = credential_from(headers.items())
    if found is None:
        raw = headers.get("Authorization", "").strip()
        if raw and " " not in raw:
            return raw
    return found


# --- responses --------------------------------------------------------------------------------------


def timestamp(value: Any) -> str | None:
    """Laravel's ``2024-02-15T10:12:12.000000Z``; None when unset."""
    if not value.seconds and not value.nanos:
        return None
    return value.ToDatetime().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _optional(m: Message, name: str) -> Any:
    return getattr(m, name) if m.HasField(name) else None


def variable(v: ipb.Variable) -> dict[str, Any]:
    return {"id": v.id, "key": v.key, "value": None if v.secret else v.value, "label": v.label or None,
            "secret": v.secret, "locked": v.locked,
            "pivot": {"alias": v.alias or None, "configurable": v.configurable, "required": v.required,
                      "advanced": v.advanced}}


def connector(m: ipb.Instance, includes: frozenset[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": m.id, "name": m.name, "authentication_implementation_id": m.connector_id, "type": m.type or None,
        "timezone": m.timezone, "date_format": m.date_format, "rate_limit_unit": UNITS.get(m.rate_limit_unit),
        "rate_limit_duration": m.rate_limit_duration, "connection_pool_id": _optional(m, "connection_pool_id"),
        "session_id": _optional(m, "session_id"), "platform_app_key": m.platform_app_key or None,
        "certificate_id": _optional(m, "certificate_id"), "version": m.version,
        "created_at": timestamp(m.create_time), "updated_at": timestamp(m.update_time),
    }
    if "variables" in includes:
        out["variables"] = [variable(v) for v in m.variables]
    if "variables_count" in includes:
        out["variables_count"] = len(m.variables)
    if "variablesExists" in includes:
        out["variables_exists"] = bool(m.variables)
    implementation = {i.split(".", 1)[1] for i in includes if i.startswith("authenticationImplementation.")}
    if "authenticationImplementation" in includes or implementation:
        found: dict[str, Any] = {"id": m.connector_id, "canonical_key": m.connector_key,
                                 "version": m.connector_version}
        if "authenticationType" in implementation:
            found["authentication_type"] = None  # the catalog's connection section; not on the instance
        if implementation & {"system", "system.logo", "system.systemType"}:
            system: dict[str, Any] = {"id": m.connector_id, "canonical_key": m.connector_key}
            if "system.logo" in implementation:
                system["logo"] = None
            if "system.systemType" in implementation:
                system["system_type"] = None
            found["system"] = system
        if any(i.startswith("endpoints") for i in implementation):
            found["endpoints"] = []  # Plugboard connectors have no endpoint catalogue
        out["authentication_implementation"] = found
    if "authenticationImplementation_count" in includes:
        out["authentication_implementation_count"] = 1 if m.connector_id else 0
    if "authenticationImplementationExists" in includes:
        out["authentication_implementation_exists"] = bool(m.connector_id)
    has_certificate = m.HasField("certificate_id")
    if "certificate" in includes or "certificate.user" in includes:
        out["certificate"] = None if not has_certificate else (
            {"id": m.certificate_id, **({"user": None} if "certificate.user" in includes else {})})
    if "certificate_count" in includes:
        out["certificate_count"] = 1 if has_certificate else 0
    if "certificateExists" in includes:
        out["certificate_exists"] = has_certificate
    return out


def page_body(m: Any, includes: frozenset[str], url: URL) -> dict[str, Any]:
    total, per_page, current = int(m.total), m.per_page, m.page
    last = max(1, math.ceil(total / per_page)) if per_page else 1
    path = str(url.with_query(None))
    base = {k: v for k, v in url.query.items() if k != "page"}

    def link(number: int) -> str:
        return str(url.with_query({**base, "page": str(number)}))

    first_index = (current - 1) * per_page + 1
    count = len(m.instances)
    return {
        "data": [connector(i, includes) for i in m.instances],
        "links": {"first": link(1), "last": link(last), "prev": link(current - 1) if current > 1 else None,
                  "next": link(current + 1) if current < last else None},
        "meta": {"current_page": current, "from": first_index if count else None, "last_page": last,
                 "path": path, "per_page": per_page, "to": first_index + count - 1 if count else None,
                 "total": total},
    }


# --- requests ---------------------------------------------------------------------------------------


class _Problems:
    """Laravel's validation bag: field -> messages."""

    def __init__(self) -> None:
        self.violations: list[FieldViolation] = []

    def add(self, field: str, message: str) -> None:
        self.violations.append(FieldViolation(field, message))

    def raise_if_any(self) -> None:
        if self.violations:
            raise InvalidArgument(self.violations)


def _label(field: str) -> str:
    return field.replace("_", " ")


_KINDS = {"string": "a string", "integer": "an integer", "boolean": "true or false", "array": "an array"}


def _check_type(p: _Problems, field: str, value: Any, kind: str, nullable: bool = False) -> bool:
    """True when ``value`` is of ``kind``; else a Laravel-style message for ``field``."""
    if value is None and nullable:
        return False
    ok = value is not None and {
        "string": isinstance(value, str), "integer": isinstance(value, int) and not isinstance(value, bool),
        "boolean": isinstance(value, bool), "array": isinstance(value, list)}[kind]
    if not ok:
        p.add(field, f"The {_label(field)} field must be {_KINDS[kind]}.")
    return ok


def _variables(p: _Problems, items: Any, target: Any) -> None:
    if not _check_type(p, "variables", items, "array"):
        return
    for index, item in enumerate(items):
        where = f"variables.{index}"
        if not isinstance(item, dict):
            p.add(where, f"The {where} field must be an object.")
            continue
        for name in sorted(set(item) - VARIABLE_FIELDS):
            p.add(f"{where}.{name}", f"The {where}.{name} field is not allowed.")
        v = target.add()
        for name in ("id", "key", "value", "label"):
            if name in item and item[name] is not None and _check_type(p, f"{where}.{name}", item[name], "string"):
                setattr(v, name, item[name])
        for name in ("secret", "locked"):
            if name in item and item[name] is not None and _check_type(p, f"{where}.{name}", item[name], "boolean"):
                setattr(v, name, item[name])
        pivot = item.get("pivot")
        if pivot is None:
            continue
        if not isinstance(pivot, dict):
            p.add(f"{where}.pivot", f"The {where}.pivot field must be an object.")
            continue
        for name in sorted(set(pivot) - PIVOT_FIELDS):
            p.add(f"{where}.pivot.{name}", f"The {where}.pivot.{name} field is not allowed.")
        if pivot.get("alias") is not None and _check_type(p, f"{where}.pivot.alias", pivot["alias"], "string"):
            v.alias = pivot["alias"]
        for name in ("configurable", "required", "advanced"):
            if pivot.get(name) is not None and _check_type(p, f"{where}.pivot.{name}", pivot[name], "boolean"):
                setattr(v, name, pivot[name])


def _object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError:
        raise InvalidArgument.single("body", "The request body must be valid JSON.") from None
    if not isinstance(data, dict):
        raise InvalidArgument.single("body", "The request body must be a JSON object.")
    return data


def instance_body(text: str, instance: ipb.Instance, allowed: frozenset[str], *, create: bool) -> list[str]:
    """Fill ``instance`` from a create/update body; the Instance fields it set (the update mask)."""
    data = _object(text)
    p = _Problems()
    for name in sorted(set(data) - allowed):
        p.add(name, f"The {_label(name)} field is not allowed.")
    if create:
        for name in REQUIRED_ON_CREATE:
            if data.get(name) in (None, ""):
                p.add(name, f"The {_label(name)} field is required.")
    mask: list[str] = []
    for name, value in data.items():
        field = BODY_FIELDS.get(name)
        if field is None:
            continue
        if name == "authentication_implementation_id" and not create:
            p.add(name, "The authentication implementation id cannot change: create a new connector for "
                        "another system.")
            continue
        if name == "variables":
            _variables(p, value, instance.variables)
        elif name == "rate_limit_unit":
            if value is not None and value not in UNIT_OF:
                p.add(name, f"The selected {_label(name)} is invalid (one of {', '.join(UNIT_OF)}).")
            elif value is not None:
                instance.rate_limit_unit = UNIT_OF[value]
        elif name in ("rate_limit_duration", "connection_pool_id"):
            nullable = name == "connection_pool_id"
            if value is None and nullable:
                pass
            elif _check_type(p, name, value, "integer", nullable):
                try:
                    setattr(instance, field, value)
                except ValueError:
                    p.add(name, f"The {_label(name)} field is out of range.")
        elif value is None and name in ("session_id", "certificate_id"):
            pass  # null: unset
        elif _check_type(p, name, value, "string"):
            setattr(instance, field, value)
        mask.append(field)
    p.raise_if_any()
    return mask


def _includes(query: MultiDictProxy[str]) -> frozenset[str]:
    raw = ",".join(query.getall("include", []))
    asked = frozenset(i.strip() for i in raw.split(",") if i.strip())
    unknown = sorted(asked - set(INCLUDES))
    if unknown:
        raise InvalidArgument.single("include", f"Requested include(s) `{', '.join(unknown)}` are not allowed. "
                                                f"Allowed include(s) are `{', '.join(INCLUDES)}`.", reason=BAD_QUERY)
    return asked


def _integer(p: _Problems, query: MultiDictProxy[str], name: str, low: int, high: int | None) -> int:
    values = query.getall(name, [])
    if not values:
        return 0
    raw = values[-1].strip()
    if not raw.lstrip("-").isdigit() or len(raw) > 12:
        p.add(name, f"The {name} field must be an integer.")
        return 0
    value = int(raw)
    high = min(high if high is not None else INT32_MAX, INT32_MAX)
    if value < low:
        p.add(name, f"The {name} field must be at least {low}.")
    elif value > high:
        p.add(name, f"The {name} field must not be greater than {high}.")
    return value if low <= value <= high else 0


def list_request(message: Any, query: MultiDictProxy[str]) -> None:
    filters: dict[str, str] = {}
    for name in set(query.keys()):
        if name.startswith("filter[") and name.endswith("]"):
            key = name[7:-1]
            if key not in FILTERS:
                raise InvalidArgument.single(name, f"Requested filter(s) `{key}` are not allowed. Allowed "
                                                   f"filter(s) are `{', '.join(FILTERS)}`.", reason=BAD_QUERY)
            field = FILTERS[key]
            value = query.getall(name)[-1]
            if filters.get(field, value) != value:
                raise InvalidArgument.single(name, f"conflicts with another filter on the same {field}",
                                             reason=BAD_QUERY)
            filters[field] = value
        elif name not in LIST_QUERY:
            raise InvalidArgument.single(name, f"`{name}` is not a query parameter of this endpoint",
                                         reason=BAD_QUERY)
    sort = query.getall("sort", [""])[-1]
    if sort not in ("", "name", "-name"):
        raise InvalidArgument.single("sort", f"Requested sort(s) `{sort}` is not allowed. Allowed sort(s) are "
                                             "`name, -name`.", reason=BAD_QUERY)
    p = _Problems()
    message.page = _integer(p, query, "page", 1, None) if "page" in query else 0
    message.per_page = _integer(p, query, "per_page", 1, 100) if "per_page" in query else 0
    p.raise_if_any()
    message.sort = sort
    for field, value in filters.items():
        setattr(message, field, value)


def _query_names(query: MultiDictProxy[str], allowed: frozenset[str]) -> None:
    for name in set(query.keys()):
        if name not in allowed and not (name.startswith("filter[") and name[7:-1] in FILTERS):
            raise InvalidArgument.single(name, f"`{name}` is not a query parameter of this endpoint",
                                         reason=BAD_QUERY)


# --- errors -----------------------------------------------------------------------------------------


def _seed_field(path: str) -> str:
    """A violation's field as the seed names it: ``instance.variables[0].key`` -> ``variables.0.key``."""
    for prefix in ("instance.", "body."):
        if path.startswith(prefix):
            path = path[len(prefix):]
    path = path.replace("[", ".").replace("]", "")
    head, _, rest = path.partition(".")
    head = FIELD_NAMES.get(head, head)
    for name in ("alias", "configurable", "required", "advanced"):
        if rest.endswith("." + name) and rest.count(".") == 1:
            rest = rest.replace("." + name, ".pivot." + name)
    return f"{head}.{rest}" if rest else head


def error_body(status: status_pb2.Status) -> tuple[int, dict[str, Any]]:
    code, info, bad = parts_of(status)
    message = status.message
    if info.reason == BAD_QUERY or (code == grpc.StatusCode.INVALID_ARGUMENT and info.reason == "BAD_TIMEOUT"):
        text = "; ".join(v.description for v in bad.field_violations) or message
        return 400, {"message": text}
    if code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.OUT_OF_RANGE) or (
            code == grpc.StatusCode.NOT_FOUND and info.reason == "CONNECTOR_NOT_FOUND"):
        errors: dict[str, list[str]] = {}
        if code == grpc.StatusCode.NOT_FOUND:
            errors["authentication_implementation_id"] = ["The selected authentication implementation id is invalid."]
        for v in bad.field_violations:
            field = _seed_field(v.field)
            text = v.description if v.description.startswith("The ") else f"The {field} field {v.description}."
            errors.setdefault(field, []).append(text.replace("..", "."))
        if not errors:
            errors["body"] = [message]
        first = next(iter(errors.values()))[0]
        more = sum(len(m) for m in errors.values()) - 1
        summary = first if not more else f"{first} (and {more} more error{'s' if more > 1 else ''})"
        return 422, {"message": summary, "errors": errors}
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return 401, {"message": "Unauthenticated."}
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return 403, {"message": message or "This action is unauthorized."}
    if code == grpc.StatusCode.NOT_FOUND:
        return 404, {"message": "Connector not found." if info.reason == "INSTANCE_NOT_FOUND" else message}
    if code == grpc.StatusCode.ABORTED and "current_version" in info.metadata:
        return 409, {"message": message, "current_version": int(info.metadata["current_version"])}
    if code == grpc.StatusCode.FAILED_PRECONDITION:
        return 409, {"message": message}
    return HTTP_STATUS.get(code, 500), {"message": message}


# --- the dialect ------------------------------------------------------------------------------------


class PatchworksDialect:
    """Patchworks' API JSON."""

    name = "patchworks"

    def credential(self, headers: Mapping[str, str]) -> str | None:
        return credential(headers)

    def request(self, route: HttpRoute, rule: MethodRule, variables: Mapping[str, str],
                query: MultiDictProxy[str], body: str, headers: Mapping[str, str] | None = None) -> Message:
        message: Any = rule.request_class()
        name = route.method.name
        if name == "ListInstances":
            list_request(message, query)
        elif name == "CreateInstance":
            _query_names(query, frozenset({"include"}))
            instance_body(body, message.instance, CREATE_FIELDS, create=True)
            message.request_id = (headers or {}).get("Idempotency-Key", "")[:128]
        elif name == "UpdateInstance":
            _query_names(query, frozenset({"include"}))
            data_version = _object(body).get("version")
            mask = instance_body(body, message.instance, UPDATE_FIELDS, create=False)
            message.update_mask.paths.extend(mask)
            version = _version(data_version, (headers or {}).get("If-Match"))
            message.instance.version = version
        elif name == "GetInstance":
            _query_names(query, LIST_QUERY)
        else:
            _query_names(query, frozenset())
        if name in ("GetInstance", "ListInstances", "CreateInstance", "UpdateInstance"):
            _includes(query)
        for field, value in variables.items():
            target = message
            parts = field.split(".")
            for part in parts[:-1]:
                target = getattr(target, part)
            setattr(target, parts[-1], value)
        return message  # type: ignore[no-any-return]

    def response(self, route: HttpRoute, message: Message, url: URL | None = None) -> tuple[int, Any]:
        name = route.method.name
        query = url.query if url is not None else {}
        includes = frozenset(i.strip() for i in ",".join(query.getall("include", []) if url else []).split(",")
                             if i.strip())
        if name == "ListInstances":
            return 200, page_body(message, includes, url or URL(PREFIX))
        if name == "DeleteInstance":
            return 200, {"message": "Connector deleted."}
        if name == "TestInstanceConnection":
            result: Any = message
            if result.outcome == ipb.CONNECTION_TEST_OUTCOME_OK:
                return 200, None
            outcome = ipb.ConnectionTestOutcome.Name(result.outcome).removeprefix("CONNECTION_TEST_OUTCOME_").lower()
            text = f"The connection test failed ({outcome}): {result.message}".strip().rstrip(":")
            return 422, {"message": text, "errors": {"connection": [text]}, "outcome": outcome,
                         "http_status": result.http_status or None}
        return 200, {"data": connector(message, includes)}  # type: ignore[arg-type]

    def error(self, status: status_pb2.Status) -> tuple[int, Any]:
        return error_body(status)

    def operation(self, route: HttpRoute, rule: MethodRule, schemas: Any) -> dict[str, Any]:
        return models.operation(route.method.name, schemas)


def _version(body_version: Any, if_match: str | None) -> int:
    """The expected version from the body's ``version`` or an ``If-Match`` header; 0 when neither."""
    p = _Problems()
    version = 0
    if body_version is not None:
        if _check_type(p, "version", body_version, "integer") and not 1 <= body_version <= MAX_VERSION:
            p.add("version", f"The version field must be between 1 and {MAX_VERSION}.")
        version = body_version if not p.violations else 0
    elif if_match:
        tag = if_match.strip().removeprefix("W/").strip('"')
        if not tag.isdigit() or not 1 <= int(tag) <= MAX_VERSION:
            p.add("If-Match", "The If-Match header must be the connector's version, e.g. \"3\".")
        else:
            version = int(tag)
    p.raise_if_any()
    return version


DIALECT = PatchworksDialect()
