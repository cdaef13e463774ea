"""The HTTP facade's shortcuts: ``gateway.json_print.to_dict`` prints exactly what
``json_format.MessageToDict`` prints (key order included) for every response type the facade serves
(empty, and filled in every field: maps, repeated fields, enums, 64-bit integers, bytes, timestamps,
once per alternative of each oneof); the route index finds what a scan of every route finds."""

from __future__ import annotations

import json
import re

import pytest
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor as F
from google.protobuf.message import Message

from gateway.json_print import to_dict
from gateway.routes import RULES

_SCALARS = {F.TYPE_STRING: "text \u00e9", F.TYPE_BOOL: True, F.TYPE_BYTES: b"\x00\xffab", F.TYPE_DOUBLE: 0.1,
            F.TYPE_FLOAT: 0.9, F.TYPE_INT64: -(2 ** 40), F.TYPE_UINT64: 2 ** 63, F.TYPE_SINT64: -5,
            F.TYPE_FIXED64: 7, F.TYPE_SFIXED64: -7}


def _value(field, pick: int):  # type: ignore[no-untyped-def]
    if field.type == F.TYPE_ENUM:
        values = field.enum_type.values
        return values[pick % len(values)].number
    return _SCALARS.get(field.type, 3 + pick)


def fill(message: Message, pick: int, depth: int = 0) -> Message:
    """Every field set (one alternative per oneof: the ``pick``-th), down to a few levels."""
    for field in message.DESCRIPTOR.fields:
        oneof = field.containing_oneof
        if oneof is not None and oneof.fields[pick % len(oneof.fields)] is not field:
            continue
        target = getattr(message, field.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            key_field, value_field = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
            key = _value(key_field, pick)
            if value_field.message_type is not None:
                if depth < 4 and not value_field.message_type.full_name.startswith("google.protobuf."):
                    fill(target[key], pick, depth + 1)
            else:
                target[key] = _value(value_field, pick)
        elif field.message_type is not None:
            if field.message_type.full_name == "google.protobuf.Timestamp":
                (target.add() if field.is_repeated else target).FromSeconds(1_700_000_000 + pick)
            elif depth < 4 and not field.message_type.full_name.startswith("google.protobuf."):
                for _ in range(2 if field.is_repeated else 1):
                    fill(target.add() if field.is_repeated else target, pick, depth + 1)
        elif field.is_repeated:
            target.extend([_value(field, pick), _value(field, pick + 1)])
        else:
            setattr(message, field.name, _value(field, pick))
    return message


RESPONSE_CLASSES = sorted({rule.response_class for rule in RULES.values()}, key=lambda c: c.DESCRIPTOR.full_name)


@pytest.mark.parametrize("cls", RESPONSE_CLASSES, ids=lambda c: c.DESCRIPTOR.name)
def test_to_dict_prints_what_json_format_prints(cls):
    for message in (cls(), fill(cls(), 0), fill(cls(), 1), fill(cls(), 2)):
        expected = json_format.MessageToDict(message, always_print_fields_with_no_presence=True)
        assert json.dumps(to_dict(message)) == json.dumps(expected)


def test_the_route_index_finds_what_a_scan_of_every_route_finds():
    from gateway.http_api import candidates, index_routes
    from gateway.http_rules import routes
    from gateway.routes import SERVICES

    table = routes([m for service, _ in SERVICES for m in service.methods])
    index = index_routes(table)
    paths = ["/", "", "/nowhere", "/connectors", "/connectors/", "/connectors:x", "/connectorsx/1"]
    for route in table:
        path = route.template
        for variable in route.variables:
            path = re.sub(r"\{" + re.escape(variable) + r"(=[^}]*)?\}", "v%2F1", path)
        paths += [path, path + "/extra", path.replace("/", "//", 1)]
    for path in paths:
        found = [(r.template, r.match(path)) for r in candidates(index, path) if r.match(path) is not None]
        scanned = [(r.template, r.match(path)) for r in table if r.match(path) is not None]
        assert found == scanned, path
