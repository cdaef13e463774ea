"""Plugboard's native JSON: protobuf's JSON mapping (``gateway.json_mapping``) and ``google.rpc.Status``
errors ``{"error": {"code", "status", "message", "details"}}``, for the routes neither seed has.

Requests: the body (the whole request for ``body: "*"``, else the named field), then query parameters
(JSON or proto field names, dotted for nested fields), then path variables. POST on CatalogService
answers 201 (as seed 002 answers its creates and updates), everything else 200.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf.message import Message
from google.rpc import status_pb2
from multidict import MultiDictProxy
from yarl import URL

from gateway.auth import credential_from
from gateway.http_rules import HttpRoute
from gateway.json_mapping import error_json, parse_body, set_from_strings, to_json
from gateway.policy import IDENTITY_FIELDS, MethodRule
from plugboard.errors import InvalidArgument

CREATED_SERVICES = frozenset({"plugboard.catalog.v1.CatalogService"})
ERROR_SCHEMA = {
    "type": "object",
    "description": "A google.rpc.Status: the gRPC code name, its HTTP status, the message and the "
                   "details (ErrorInfo with the reason, BadRequest, PreconditionFailure, ResourceInfo).",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "status", "message", "details"],
                             "properties": {
                                 "code": {"type": "integer"},
                                 "status": {"type": "string", "example": "NOT_FOUND"},
                                 "message": {"type": "string"},
                                 "details": {"type": "array",
                                             "items": {"type": "object", "additionalProperties": True}},
                             }}},
}


def ok_status(route: HttpRoute) -> int:
    service = route.method.containing_service.full_name
    return 201 if route.verb == "POST" and service in CREATED_SERVICES else 200


class NativeDialect:
    """Protobuf's JSON mapping."""

    name = "native"

    def credential(self, headers: Mapping[str, str]) -> str | None:
        return credential_from(headers.items())

    def request(self, route: HttpRoute, rule: MethodRule, variables: Mapping[str, str],
                query: MultiDictProxy[str], body: str, headers: Mapping[str, str]) -> Message:
        message = rule.request_class()
        if route.body == "*":
            parse_body(body, message, "body")
        elif route.body:
            parse_body(body, getattr(message, route.body), route.body)
        if route.body != "*":
            for name in set(query.keys()):
                if name in variables:
                    raise InvalidArgument.single(name, "is set by the path")
                set_from_strings(message, name, query.getall(name))
        for field, value in variables.items():
            set_from_strings(message, field, [value])
        _check_seed_minimums(message, query)
        return message

    def response(self, route: HttpRoute, message: Message, url: URL) -> tuple[int, Any]:
        return ok_status(route), to_json(message)

    def error(self, status: status_pb2.Status) -> tuple[int, Any]:
        return error_json(status)

    def operation(self, route: HttpRoute, rule: MethodRule, schemas: Any) -> dict[str, Any]:
        method = route.method
        output = schemas.ref(method.output_type)
        content = {"application/x-ndjson": {"schema": output}} if method.server_streaming \
            else {"application/json": {"schema": output}}
        schemas.components["Error"] = ERROR_SCHEMA
        operation: dict[str, Any] = {
            "parameters": self._query_parameters(rule, route, schemas),
            "responses": {
                str(ok_status(route)): {"description": "a stream of JSON lines" if method.server_streaming
                                        else "the response", "content": content},
                "default": {"description": "an error",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        }
        if route.body:
            body_type = method.input_type if route.body == "*" else \
                method.input_type.fields_by_name[route.body].message_type
            operation["requestBody"] = {"required": True,
                                        "content": {"application/json": {"schema": schemas.ref(body_type)}}}
        return operation

    @staticmethod
    def _query_parameters(rule: MethodRule, route: HttpRoute, schemas: Any) -> list[dict[str, Any]]:
        if route.body == "*":
            return []
        taken = {v.split(".")[0] for v in route.variables} | {route.body} | set(IDENTITY_FIELDS)
        params = []
        for field in rule.request_class.DESCRIPTOR.fields:
            if field.name in taken:
                continue
            if field.message_type is not None and not schemas.is_well_known(field.message_type):
                continue
            param: dict[str, Any] = {"name": field.json_name, "in": "query", "required": False,
                                     "schema": schemas.field(field)}
            if field.is_repeated:
                param.update(style="form", explode=True)
            params.append(param)
        return params


# Paging parameters whose 0 would mean "the default" in the request message, where the seed's minimum is 1
# (seed 004: page and per_page): given explicitly as 0 (or less) they are refused, not defaulted.
SEED_MINIMUMS = {"page": 1, "per_page": 1, "perPage": 1}


def _check_seed_minimums(message: Message, query: MultiDictProxy[str]) -> None:
    fields = message.DESCRIPTOR.fields_by_name
    for name, low in SEED_MINIMUMS.items():
        field = fields.get(name) or next((f for f in message.DESCRIPTOR.fields if f.json_name == name), None)
        if name in query and field is not None and getattr(message, field.name) < low:
            raise InvalidArgument.single(name, f"must be at least {low} (the seed's minimum)")


DIALECT = NativeDialect()
