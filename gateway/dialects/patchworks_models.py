"""Patchworks' API (seed 004) as OpenAPI 3.0 schemas: the connector (a Plugboard instance) with the
fields of the seed's validation tables, its includes, the Laravel paginated list, and the error bodies."""

from __future__ import annotations

from typing import Any

_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": "string", "nullable": True}
_INTEGER = {"type": "integer"}
_BOOLEAN = {"type": "boolean"}
_TIME = {"type": "string", "format": "date-time", "nullable": True, "example": "2024-02-15T10:12:12.000000Z"}
UNITS = ["second", "minute", "hour", "day"]


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/pw.{name}"}


PIVOT = {"type": "object", "additionalProperties": False, "properties": {
    "alias": _NULLABLE_STRING, "configurable": _BOOLEAN, "required": _BOOLEAN, "advanced": _BOOLEAN}}
VARIABLE = {"type": "object", "additionalProperties": False,
            "required": ["id", "key", "value", "label", "secret", "locked", "pivot"],
            "properties": {"id": _STRING, "key": _STRING,
                           "value": {**_NULLABLE_STRING, "description": "null for a secret: never returned"},
                           "label": _NULLABLE_STRING, "secret": _BOOLEAN, "locked": _BOOLEAN, "pivot": ref("Pivot")}}
VARIABLE_INPUT = {"type": "object", "additionalProperties": False, "required": ["key"], "properties": {
    "id": _STRING, "key": _STRING, "value": _STRING, "label": _STRING, "secret": _BOOLEAN, "locked": _BOOLEAN,
    "pivot": {"type": "object", "additionalProperties": False, "properties": {
        "alias": _STRING, "configurable": _BOOLEAN, "required": _BOOLEAN, "advanced": _BOOLEAN}}}}
SYSTEM = {"type": "object", "properties": {"id": _STRING, "canonical_key": _STRING,
                                           "logo": {"nullable": True}, "system_type": {"nullable": True}}}
IMPLEMENTATION = {"type": "object", "properties": {
    "id": _STRING, "canonical_key": _STRING, "version": _INTEGER, "authentication_type": {"nullable": True},
    "system": ref("System"), "endpoints": {"type": "array", "items": {"type": "object"}}}}
CONNECTOR = {"type": "object", "additionalProperties": False, "required": [
    "id", "name", "authentication_implementation_id", "type", "timezone", "date_format", "rate_limit_unit",
    "rate_limit_duration", "connection_pool_id", "session_id", "platform_app_key", "certificate_id", "version",
    "created_at", "updated_at"], "properties": {
    "id": _STRING, "name": _STRING, "authentication_implementation_id": _STRING, "type": _NULLABLE_STRING,
    "timezone": _STRING, "date_format": _STRING, "rate_limit_unit": {"type": "string", "enum": UNITS, "nullable": True},
    "rate_limit_duration": _INTEGER, "connection_pool_id": {"type": "integer", "nullable": True},
    "session_id": _NULLABLE_STRING, "platform_app_key": _NULLABLE_STRING, "certificate_id": _NULLABLE_STRING,
    "version": {**_INTEGER, "description": "Plugboard's version: send it back (body or If-Match) for a conditional PUT"},
    "created_at": _TIME, "updated_at": _TIME,
    "variables": {"type": "array", "items": ref("Variable")}, "variables_count": _INTEGER,
    "variables_exists": _BOOLEAN, "authentication_implementation": ref("AuthenticationImplementation"),
    "authentication_implementation_count": _INTEGER, "authentication_implementation_exists": _BOOLEAN,
    "certificate": {"type": "object", "nullable": True, "properties": {"id": _STRING, "user": {"nullable": True}}},
    "certificate_count": _INTEGER, "certificate_exists": _BOOLEAN}}
_BODY = {"name": _STRING, "authentication_implementation_id": _STRING, "timezone": _STRING,
         "date_format": _STRING, "rate_limit_unit": {"type": "string", "enum": UNITS}, "rate_limit_duration": _INTEGER,
         "connection_pool_id": {"type": "integer", "nullable": True},
         "variables": {"type": "array", "items": ref("VariableInput")}}
CREATE = {"type": "object", "additionalProperties": False,
          "required": ["name", "authentication_implementation_id", "timezone", "date_format", "rate_limit_unit",
                       "rate_limit_duration"],
          "properties": {**_BODY, "session_id": _NULLABLE_STRING, "platform_app_key": _STRING,
                         "certificate_id": _NULLABLE_STRING}}
UPDATE = {"type": "object", "additionalProperties": False,
          "properties": {**_BODY, "type": _STRING, "version": {"type": "integer", "minimum": 1}}}
SINGLE = {"type": "object", "required": ["data"], "properties": {"data": ref("Connector")}}
PAGE = {"type": "object", "required": ["data", "links", "meta"], "properties": {
    "data": {"type": "array", "items": ref("Connector")},
    "links": {"type": "object", "required": ["first", "last", "prev", "next"], "properties": {
        "first": _STRING, "last": _STRING, "prev": _NULLABLE_STRING, "next": _NULLABLE_STRING}},
    "meta": {"type": "object", "required": ["current_page", "from", "last_page", "path", "per_page", "to", "total"],
             "properties": {"current_page": _INTEGER, "from": {"type": "integer", "nullable": True},
                            "last_page": _INTEGER, "path": _STRING, "per_page": _INTEGER,
                            "to": {"type": "integer", "nullable": True}, "total": _INTEGER}}}}
MESSAGE = {"type": "object", "required": ["message"], "properties": {"message": _STRING}}
ERROR = {"type": "object", "required": ["message"], "properties": {
    "message": _STRING, "errors": {"type": "object", "additionalProperties": {"type": "array", "items": _STRING}},
    "current_version": _INTEGER, "outcome": _STRING, "http_status": {"type": "integer", "nullable": True}}}

COMPONENTS = {f"pw.{name}": schema for name, schema in {
    "Pivot": PIVOT, "Variable": VARIABLE, "VariableInput": VARIABLE_INPUT, "System": SYSTEM,
    "AuthenticationImplementation": IMPLEMENTATION, "Connector": CONNECTOR, "ConnectorCreate": CREATE,
    "ConnectorUpdate": UPDATE, "ConnectorResponse": SINGLE, "ConnectorPage": PAGE, "Message": MESSAGE,
    "Error": ERROR}.items()}


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    out = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        out["description"] = description
    return out


def _list_parameters() -> list[dict[str, Any]]:
    from gateway.dialects.patchworks import FILTERS, INCLUDES

    params = [_query(f"filter[{key}]", _STRING, f"sets {field}") for key, field in FILTERS.items()]
    params.append(_query("include", _STRING, "comma-separated: " + ", ".join(INCLUDES)))
    params.append(_query("sort", {"type": "string", "enum": ["name", "-name"]}))
    params.append(_query("page", {"type": "integer", "minimum": 1, "default": 1}))
    params.append(_query("per_page", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}))
    return params


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": ref(schema)}}


def operation(method: str, schemas: Any) -> dict[str, Any]:
    """The OpenAPI pieces of the Patchworks binding of ``method``."""
    from gateway.dialects.patchworks import INCLUDES

    schemas.components.update(COMPONENTS)
    include = [_query("include", _STRING, "comma-separated: " + ", ".join(INCLUDES))]
    ok, parameters, body = {
        "ListInstances": ("ConnectorPage", _list_parameters(), None),
        "CreateInstance": ("ConnectorResponse", include, "ConnectorCreate"),
        "GetInstance": ("ConnectorResponse", _list_parameters(), None),
        "UpdateInstance": ("ConnectorResponse", include, "ConnectorUpdate"),
        "DeleteInstance": ("Message", [], None),
        "TestInstanceConnection": ("", [], None),
    }[method]
    success: dict[str, Any] = {"description": "no content: the connection works"} if not ok else \
        {"description": "the response", "content": _json(ok)}
    pieces: dict[str, Any] = {
        "parameters": parameters,
        "responses": {"200": success, "default": {"description": "an error ({message}, 422 with errors)",
                                                  "content": _json("Error")}},
    }
    if method == "UpdateInstance":
        pieces["parameters"] = include + [{"name": "If-Match", "in": "header", "required": False,
                                           "schema": _STRING, "description": "the expected version, e.g. \"3\""}]
    if body:
        pieces["requestBody"] = {"required": True, "content": _json(body)}
    return pieces
