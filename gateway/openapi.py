"""The OpenAPI 3 document of the HTTP facade, built from the same routes (``google.api.http``) and
the same dialects (``gateway.dialects``) the facade uses, so the two cannot disagree.

Each operation is described by its route's dialect (``x-dialect``): commercetools Connect's models for
the seed 002 routes, protobuf's JSON mapping for the native ones (lowerCamelCase names, 64-bit integers
as strings, enums as names, Timestamp as RFC 3339 text; an action message, a single oneof, also admits
seed 002's form ``{"action": "<name>", ...}``). Every operation needs an API key (HTTP bearer); its
description names the scope. Templates that differ only in variable names (``{id}`` / ``{instance.id}``) share one path item,
named after the first; the parameter says which field it sets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from gateway.dialects import dialect_of, route_key
from gateway.http_rules import HttpRoute
from gateway.json_mapping import is_action_message
from gateway.policy import MethodRule

_VAR = re.compile(r"\{([^}=]+)(?:=[^}]*)?\}")
_INT32 = {FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SFIXED32,
          FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32}
_INT64 = {FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_SINT64, FieldDescriptor.TYPE_SFIXED64,
          FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64}
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "example": "1.5s"},
    "google.protobuf.FieldMask": {"type": "string", "example": "name,timezone"},
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {},
    "google.protobuf.Any": {"type": "object", "additionalProperties": True},
    "google.protobuf.StringValue": {"type": "string"},
    "google.protobuf.BoolValue": {"type": "boolean"},
    "google.protobuf.Int32Value": {"type": "integer", "format": "int32"},
    "google.protobuf.Int64Value": {"type": "string", "format": "int64"},
}
class _Schemas:
    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    @staticmethod
    def is_well_known(descriptor: Descriptor) -> bool:
        return descriptor.full_name in _WELL_KNOWN

    def ref(self, descriptor: Descriptor) -> dict[str, Any]:
        if descriptor.full_name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[descriptor.full_name])
        name = descriptor.full_name
        if name not in self.components:
            self.components[name] = {}  # placeholder: recursion stops here
            self.components[name] = self._message(descriptor)
        return {"$ref": f"#/components/schemas/{name}"}

    def _message(self, descriptor: Descriptor) -> dict[str, Any]:
        properties = {field.json_name: self.field(field) for field in descriptor.fields}
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if is_action_message(descriptor):
            names = [field.json_name for field in descriptor.fields]
            seed = {"type": "object", "required": ["action"],
                    "properties": {"action": {"type": "string", "enum": names}},
                    "additionalProperties": True,
                    "description": "seed 002's form: the action's name and its fields side by side"}
            return {"anyOf": [schema, seed], "description": f"exactly one of: {', '.join(names)}"}
        return schema

    def scalar(self, field: FieldDescriptor) -> dict[str, Any]:
        kind = field.type
        if kind == FieldDescriptor.TYPE_BOOL:
            return {"type": "boolean"}
        if kind in _INT32:
            return {"type": "integer", "format": "int32"}
        if kind in _INT64:
            return {"type": "string", "format": "int64"}
        if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
            return {"type": "number"}
        if kind == FieldDescriptor.TYPE_BYTES:
            return {"type": "string", "format": "byte"}
        if kind == FieldDescriptor.TYPE_ENUM:
            return {"type": "string", "enum": [v.name for v in field.enum_type.values]}
        return {"type": "string"}

    def field(self, field: FieldDescriptor) -> dict[str, Any]:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value = field.message_type.fields_by_name["value"]
            return {"type": "object", "additionalProperties": self.single(value)}
        single = self.single(field)
        if field.is_repeated:
            return {"type": "array", "items": single}
        return single

    def single(self, field: FieldDescriptor) -> dict[str, Any]:
        if field.message_type is not None:
            return self.ref(field.message_type)
        return self.scalar(field)


def _field_at(descriptor: Descriptor, path: str) -> FieldDescriptor:
    field = None
    for part in path.split("."):
        field = descriptor.fields_by_name[part]
        descriptor = field.message_type
    assert field is not None
    return field


def build_document(routes: list[HttpRoute], rules: Mapping[str, MethodRule]) -> dict[str, Any]:
    """The OpenAPI 3.0 document of ``routes``."""
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    names_of_shape: dict[str, list[str]] = {}
    for route in sorted(routes, key=lambda r: r.path):
        rule = rules[route.path]
        method = route.method
        shape = _VAR.sub("{}", route.template)
        variables = list(route.variables)
        names = names_of_shape.setdefault(shape, variables)
        iterator = iter(names)
        key = _VAR.sub(lambda _: "{" + next(iterator) + "}", route.template)
        parameters = []
        for name, field_path in zip(names, variables):
            field = _field_at(rule.request_class.DESCRIPTOR, field_path)
            parameters.append({"name": name, "in": "path", "required": True,
                               "description": f"sets the request field `{field_path}`",
                               "schema": schemas.scalar(field)})
        dialect = dialect_of(route)
        pieces = dialect.operation(route, rule, schemas)
        primary = rule.route is not None and route_key(rule.route) == route_key(route)
        operation: dict[str, Any] = {
            "operationId": f"{method.containing_service.name}_{method.name}" + ("" if primary else f"_{dialect.name}"),
            "tags": [method.containing_service.name],
            "summary": f"{method.containing_service.name}.{method.name}",
            "description": f"gRPC `{route.path}`, in the {dialect.name} JSON dialect. " + (
                f"Requires the API key scope `{rule.scope}`." if len(rule.accepted) <= 1 else
                "Requires one of the API key scopes " + ", ".join(f"`{s}`" for s in rule.accepted) + "."),
            "parameters": parameters + pieces["parameters"],
            "responses": pieces["responses"],
            "x-required-scope": rule.scope,
            "x-accepted-scopes": list(rule.accepted),
            "x-dialect": dialect.name,
        }
        if "requestBody" in pieces:
            operation["requestBody"] = pieces["requestBody"]
        paths.setdefault(key, {})[route.verb.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "Plugboard", "version": "v1",
                 "description": "Connector catalog and connector instances: the gateway's HTTP/JSON "
                                "API, generated from the google.api.http annotations of the protos."},
        "servers": [{"url": "/"}],
        "security": [{"apiKey": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer",
                                           "description": "a Plugboard API key (plugboard keys create)"}},
            "schemas": dict(sorted(schemas.components.items())),
        },
    }
