"""HTTP/JSON <-> protobuf for the facade: requests from path, query and body; responses and errors.

- Bodies use protobuf's JSON mapping (``json_format``), field names in lowerCamelCase or as in the proto.
- Update actions are also accepted as seed 002 writes them: ``{"action": "setName", "name": "New
  name"}`` is ``{"setName": {"name": "New name"}}``. This holds for any message that is a single oneof
  (each alternative named by its JSON name), so a new action needs no change here.
- A body meant for a draft (``ConnectorStagedDraft``) may be a whole ``ConnectorStaged`` representation,
  as seed 002's create example sends: its output-only fields (``id``, ``version``, ``status``...) are
  ignored. Any other unknown field is INVALID_ARGUMENT.
- Path variables and query parameters set request fields (dotted paths for nested fields; a repeated
  field from a repeated parameter), converted by the field's type.
- A body nested deeper than ``MAX_JSON_DEPTH`` arrays/objects is INVALID_ARGUMENT before it is parsed
  (``check_depth``: a scan that skips strings and counts brackets), so no parser below ever recurses
  past it; the deepest request the API defines is far shallower.
- Errors are the ``google.rpc.Status`` as JSON, in the shape of Google's HTTP APIs:
  ``{"error": {"code": 404, "status": "NOT_FOUND", "message": ..., "details": [...]}}``, with the HTTP
  status that matches the gRPC code.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from itertools import accumulate
from typing import Any

import grpc
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.rpc import status_pb2

from gateway.json_print import to_dict
from plugboard.errors import InvalidArgument

# gRPC code -> HTTP status (google.rpc.Code's documented mapping).
HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}
_CODE_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}

# Body message -> the resource whose representation may be sent in its place (output-only fields ignored).
REPRESENTATION_OF: dict[str, str] = {
    "plugboard.catalog.v1.ConnectorStagedDraft": "plugboard.catalog.v1.ConnectorStaged",
}
ACTION_KEY = "action"
# Arrays/objects nested in a request body at most (the API's own requests nest under 10).
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}

_INTEGER_TYPES = {
    FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_FIXED32, FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SFIXED32,
    FieldDescriptor.TYPE_SFIXED64,
}


# --- responses and errors --------------------------------------------------------------------------


def to_json(message: Message) -> dict[str, Any]:
    """A response as JSON (every field, defaults included, so clients see complete resources):
    ``json_format.MessageToDict`` with ``always_print_fields_with_no_presence``, by ``gateway.json_print``
    (the same output, a few times faster)."""
    return to_dict(message)  # type: ignore[no-any-return]


def error_json(status: status_pb2.Status) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of an error."""
    code = _CODE_BY_NUMBER.get(status.code, grpc.StatusCode.UNKNOWN)
    http = HTTP_STATUS.get(code, 500)
    details = []
    for detail in status.details:
        try:
            details.append(json_format.MessageToDict(detail))
        except (json_format.Error, TypeError, KeyError):
            details.append({"@type": detail.type_url})
    return http, {"error": {"code": http, "status": code.name, "message": status.message,
                            "details": details}}


# --- requests ----------------------------------------------------------------------------------------


def _field(descriptor: Descriptor, name: str) -> FieldDescriptor | None:
    found = descriptor.fields_by_name.get(name)
    if found is not None:
        return found
    return next((f for f in descriptor.fields if f.json_name == name), None)


def is_action_message(descriptor: Descriptor) -> bool:
    """True for a message that is one oneof and nothing else (an action)."""
    oneofs = [o for o in descriptor.oneofs if not getattr(o, "is_synthetic", False)
              and not (len(o.fields) == 1 and o.fields[0].has_presence and o.name.startswith("_"))]
    return (len(oneofs) == 1 and len(oneofs[0].fields) == len(descriptor.fields)
            and ACTION_KEY not in descriptor.fields_by_name)


def _action(value: dict[str, Any], descriptor: Descriptor, where: str) -> dict[str, Any]:
    """Seed 002's ``{"action": "setName", ...}`` as protobuf JSON ``{"setName": {...}}``."""
    name = value.get(ACTION_KEY)
    choice = _field(descriptor, name) if isinstance(name, str) else None
    if choice is None:
        known = ", ".join(f.json_name for f in descriptor.fields)
        raise InvalidArgument.single(f"{where}.action", f"unknown action {name!r}; known: {known}")
    rest = {k: v for k, v in value.items() if k != ACTION_KEY}
    return {choice.json_name: rest}


def normalize(value: Any, descriptor: Descriptor, where: str = "") -> Any:
    """``value`` (parsed JSON for ``descriptor``) with seed actions and representations translated."""
    if not isinstance(value, dict):
        return value
    if ACTION_KEY in value and is_action_message(descriptor):
        value = _action(value, descriptor, where or "action")
    twin_name = REPRESENTATION_OF.get(descriptor.full_name)
    twin = descriptor.file.pool.FindMessageTypeByName(twin_name) if twin_name else None
    result: dict[str, Any] = {}
    for key, item in value.items():
        field = _field(descriptor, key)
        if field is None and twin is not None and _field(twin, key) is not None:
            continue  # an output-only field of the representation
        if field is not None and field.message_type is not None and not _is_map(field):
            path = f"{where}.{key}" if where else key
            if field.is_repeated and isinstance(item, list):
                item = [normalize(element, field.message_type, f"{path}[{i}]")
                        for i, element in enumerate(item)]
            else:
                item = normalize(item, field.message_type, path)
        elif field is not None and field.type == FieldDescriptor.TYPE_ENUM:
            item = _seed_enums(field, item)
        result[key] = item
    return result


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def nests_deeper_than(text: str, limit: int) -> bool:
    """True when arrays and objects in the JSON ``text`` nest more than ``limit`` deep. Strings are
    skipped (their brackets do not count; an unterminated one runs to the end, so the scan stays
    linear), the remaining brackets are counted: no recursion, whatever the input."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    if brackets.count("[") + brackets.count("{") <= limit:  # cannot nest deeper than it opens
        return False
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets))) > limit


def check_depth(text: str, where: str) -> None:
    """InvalidArgument when ``text`` nests deeper than ``MAX_JSON_DEPTH``."""
    if nests_deeper_than(text, MAX_JSON_DEPTH):
        raise InvalidArgument.single(
            where or "body", f"is nested deeper than {MAX_JSON_DEPTH} levels of arrays and objects",
            reason="JSON_TOO_DEEP")


def parse_body(text: str, message: Message, where: str) -> None:
    """Merge the JSON ``text`` into ``message`` (InvalidArgument when it is not valid for it). The facade
    has checked its depth (``check_depth``) before any dialect parses it."""
    if not text.strip():
        return
    try:
        data = json.loads(text)
    except ValueError:
        raise InvalidArgument.single(where or "body", "is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidArgument.single(where or "body", "must be a JSON object")
    data = normalize(data, message.DESCRIPTOR, "" if where in ("", "body") else where)
    try:
        json_format.ParseDict(data, message)
    except json_format.ParseError as exc:
        raise InvalidArgument.single(where or "body", _parse_error(exc)) from None
    except (TypeError, AttributeError, ValueError):  # shapes ParseDict does not report as ParseError
        raise InvalidArgument.single(where or "body", f"does not match {message.DESCRIPTOR.name}") from None


def _parse_error(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 300 else text[:297] + "..."


def _convert(field: FieldDescriptor, raw: str, where: str) -> Any:
    try:
        if field.type == FieldDescriptor.TYPE_BOOL:
            lowered = raw.strip().lower()
            if lowered in ("true", "1", "yes"):
                return True
            if lowered in ("false", "0", "no"):
                return False
            raise ValueError
        if field.type in _INTEGER_TYPES:
            return int(raw)
        if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
            return float(raw)
        if field.type == FieldDescriptor.TYPE_ENUM:
            value = enum_value(field.enum_type, raw)
            if value is None and raw.lstrip("-").isdigit():
                value = field.enum_type.values_by_number.get(int(raw))
            if value is None:
                raise ValueError
            return value.number
        if field.type == FieldDescriptor.TYPE_BYTES:
            return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        return raw
    except (ValueError, TypeError):
        kinds = {FieldDescriptor.TYPE_ENUM: "an enum value name", FieldDescriptor.TYPE_BOOL: "true or false"}
        kind = kinds.get(field.type, "an integer" if field.type in _INTEGER_TYPES else "a number")
        raise InvalidArgument.single(where, f"{raw!r} is not {kind}") from None


_CAMEL_HUMP = re.compile(r"([a-z])([A-Z])")


def enum_value(enum_type: Any, raw: str) -> Any:
    """The value of ``enum_type`` named ``raw``: its full name (``RATE_LIMIT_UNIT_MINUTE``), or the seeds'
    spelling of it, the name without the enum's prefix in any case or in camelCase (``minute``, ``MINUTE``,
    ``demoVideo``); None when neither names one (``UNSPECIFIED`` is never named this way)."""
    found = enum_type.values_by_name.get(raw)
    if found is not None or not raw or not raw.replace("_", "").isalpha():
        return found
    unspecified = enum_type.values_by_number.get(0)
    prefix = unspecified.name[: -len("UNSPECIFIED")] if unspecified and unspecified.name.endswith("UNSPECIFIED") else ""
    word = _CAMEL_HUMP.sub(r"\1_\2", raw).upper()
    if not prefix or word == "UNSPECIFIED":
        return None
    return enum_type.values_by_name.get(prefix + word)


def _seed_enums(field: FieldDescriptor, item: Any) -> Any:
    """A body's enum value in a seed's spelling, as its full name (``enum_value``)."""
    def one(raw: Any) -> Any:
        if isinstance(raw, str):
            found = enum_value(field.enum_type, raw)
            return found.name if found is not None else raw
        return raw
    return [one(x) for x in item] if isinstance(item, list) else one(item)


def set_from_strings(message: Message, path: str, values: Iterable[str]) -> None:
    """Set the field at dotted ``path`` (JSON or proto names) from path/query strings."""
    target = message
    parts = path.split(".")
    for part in parts[:-1]:
        field = _field(target.DESCRIPTOR, part)
        if field is None or field.message_type is None or field.is_repeated:
            raise InvalidArgument.single(path, "is not a field of this request")
        target = getattr(target, field.name)
    field = _field(target.DESCRIPTOR, parts[-1])
    if field is None:
        raise InvalidArgument.single(path, "is not a field of this request")
    values = list(values)
    if field.message_type is not None:
        if field.is_repeated or _is_map(field) or len(values) != 1:
            raise InvalidArgument.single(path, "cannot be set from a query parameter")
        try:  # well-known types with a string JSON form (Timestamp, FieldMask, wrappers)
            json_format.ParseDict({field.json_name: values[0]}, target)
        except json_format.ParseError as exc:
            raise InvalidArgument.single(path, _parse_error(exc)) from None
        return
    converted = [_convert(field, raw, path) for raw in values]
    try:
        if field.is_repeated:
            getattr(target, field.name).extend(converted)
        elif len(converted) != 1:
            raise InvalidArgument.single(path, "must be given once")
        else:
            setattr(target, field.name, converted[0])
    except (ValueError, TypeError):  # e.g. an integer outside the field's range (int32: 2147483648)
        raise InvalidArgument.single(path, "is out of range") from None
