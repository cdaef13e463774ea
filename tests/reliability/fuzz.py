"""Hypothesis strategies built from protobuf message descriptors, and a checker for fuzzed calls.

``messages(descriptor)`` generates instances of any message type, recursively: every scalar type
(integer boundaries, NaN/inf floats, bytes), enums including values the schema does not know,
strings with unicode, control characters, NUL, bidi overrides and huge lengths, repeated and map
fields, at most one member per oneof, proto3 ``optional`` presence, nested messages down to a depth
bound. ``known`` strings (real ids, keys, project names) are mixed into string fields so generated
calls reach past "not found" into the code behind it.

``check_outcome`` is the oracle of every fuzzed call: never UNKNOWN or INTERNAL, never a traceback
in the status message or in any string of the rich details (``grpc-status-details-bin``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2, descriptor, message, message_factory
from google.rpc import error_details_pb2, status_pb2
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FD = descriptor.FieldDescriptor

# PLUGBOARD_FULL=1: the full run (10 000 inputs per RPC); PLUGBOARD_FUZZ_EXAMPLES overrides.
FULL = os.environ.get("PLUGBOARD_FULL", "").strip().lower() in ("1", "true", "yes", "on")
DEFAULT_EXAMPLES = 50
FULL_EXAMPLES = 10_000


def examples_per_rpc() -> int:
    raw = os.environ.get("PLUGBOARD_FUZZ_EXAMPLES", "").strip()
    if raw:
        return int(raw)
    return FULL_EXAMPLES if FULL else DEFAULT_EXAMPLES


def fuzz_settings(max_examples: int | None = None) -> settings:
    """Hypothesis settings for calls against live servers: no deadline, no example database in the
    tree; the default (bounded) run is derandomized so it is repeatable and a strict xfail is stable."""
    return settings(
        max_examples=max_examples or examples_per_rpc(),
        deadline=None,
        database=None,
        derandomize=not FULL,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                               HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much,
                               HealthCheck.large_base_example],
        print_blob=True,
    )


# --- strategies ----------------------------------------------------------------------------------

NASTY_STRINGS = (
    "", " ", "\x00", "a\x00b", "\n", "\r\n", "\t", "\x1b[31m", "\u202egnp.exe", "\ufeff",
    "../../etc/passwd", "' OR 1=1 --", "\"; DROP TABLE instances; --", "%s%s%n", "{0}{1}", "${jndi:x}",
    "🙂" * 3, "Ω≈ç√∫", "\u0301\u0301", "ǅ", "İ", "ﬃ", "null", "None", "NaN", "-1", "0", "9" * 40,
    "id-of-x", "projects/acme/instances/1", "*", "%", "_", "a" * 255, "a" * 256, "b" * 1025,
)
_INT_BOUNDS = {
    FD.TYPE_INT32: (-(2**31), 2**31 - 1), FD.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FD.TYPE_SFIXED32: (-(2**31), 2**31 - 1), FD.TYPE_INT64: (-(2**63), 2**63 - 1),
    FD.TYPE_SINT64: (-(2**63), 2**63 - 1), FD.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FD.TYPE_UINT32: (0, 2**32 - 1), FD.TYPE_FIXED32: (0, 2**32 - 1),
    FD.TYPE_UINT64: (0, 2**64 - 1), FD.TYPE_FIXED64: (0, 2**64 - 1),
}


def strings(known: Sequence[str] = (), *, nul: bool = True) -> st.SearchStrategy[str]:
    """Text of every kind: short and huge, unicode, control characters, nasty literals, known values.

    ``nul=False`` removes NUL characters (on PostgreSQL they hit known bug R3, which has its own
    test; without them the fuzzer keeps looking for other bugs)."""
    if not nul:
        return strings(known).map(lambda text: text.replace("\x00", ""))
    control = st.characters(min_codepoint=0, max_codepoint=0x1F)
    options = [
        st.text(max_size=24),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=64),
        st.text(alphabet=control, max_size=8),
        st.sampled_from(NASTY_STRINGS),
        st.builds(lambda ch, n: ch * n, st.sampled_from(["a", "é", "🙂", "\x00", "/"]),
                  st.sampled_from([1_000, 70_000, 300_000])),
    ]
    if known:
        known_values = st.sampled_from(list(known))
        options.append(known_values)
        options.append(st.tuples(known_values, st.sampled_from(["", " ", "\x00", "x", "/.."]))
                       .map(lambda pair: pair[0] + pair[1]))
    # Weight towards plausible values: known ones and short text come first and shrink best.
    return st.one_of(*(options[-2:] if known else []), *options)


def _integers(field_type: int) -> st.SearchStrategy[int]:
    low, high = _INT_BOUNDS[field_type]
    edges = [v for v in (low, high, -1, 0, 1, 2, 20, 100, 101, 1000, 2**31 - 1, -(2**31)) if low <= v <= high]
    return st.one_of(st.sampled_from(edges), st.integers(min_value=max(low, -1000), max_value=min(high, 1000)),
                     st.integers(min_value=low, max_value=high))


def _floats(field_type: int) -> st.SearchStrategy[float]:
    width = 32 if field_type == FD.TYPE_FLOAT else 64
    return st.one_of(st.sampled_from([0.0, -0.0, math.inf, -math.inf, math.nan, 1e308 if width == 64 else 3e38]),
                     st.floats(width=width))


def _enums(field: FD) -> st.SearchStrategy[int]:
    known = [v.number for v in field.enum_type.values]
    return st.one_of(st.sampled_from(known), st.sampled_from([-1, max(known) + 1, 2**31 - 1, -(2**31)]))


def _scalar(field: FD, known: Sequence[str], nul: bool = True) -> st.SearchStrategy[object]:
    kind = field.type
    if kind in _INT_BOUNDS:
        return _integers(kind)
    if kind in (FD.TYPE_FLOAT, FD.TYPE_DOUBLE):
        return _floats(kind)
    if kind == FD.TYPE_BOOL:
        return st.booleans()
    if kind == FD.TYPE_STRING:
        return strings(known, nul=nul)
    if kind == FD.TYPE_BYTES:
        return st.one_of(st.binary(max_size=64), st.sampled_from([b"", b"\x00" * 10_000]))
    if kind == FD.TYPE_ENUM:
        return _enums(field)
    raise TypeError(f"unsupported field type {kind} of {field.full_name}")


def _is_map(field: FD) -> bool:
    return (field.type == FD.TYPE_MESSAGE and field.message_type.GetOptions().map_entry
            and field.is_repeated)


def _value(field: FD, depth: int, known: Sequence[str], max_items: int, nul: bool) -> st.SearchStrategy[object]:
    if field.type == FD.TYPE_MESSAGE:
        return messages(field.message_type, depth - 1, known=known, max_items=max_items, nul=nul)
    return _scalar(field, known, nul)


def _field(field: FD, depth: int, known: Sequence[str], max_items: int, nul: bool) -> st.SearchStrategy[object]:
    if _is_map(field):
        entry = field.message_type
        return st.dictionaries(_scalar(entry.fields_by_name["key"], known, nul),
                               _value(entry.fields_by_name["value"], depth, known, max_items, nul),
                               max_size=max_items)
    if field.is_repeated:
        return st.lists(_value(field, depth, known, max_items, nul), max_size=max_items)
    return _value(field, depth, known, max_items, nul)


def _build(cls: type[message.Message], values: dict[str, object]) -> message.Message:
    msg = cls()
    for name, value in values.items():
        field = cls.DESCRIPTOR.fields_by_name[name]
        if _is_map(field):
            target = getattr(msg, name)
            for key, item in value.items():  # type: ignore[union-attr]
                if isinstance(item, message.Message):
                    target[key].CopyFrom(item)
                else:
                    target[key] = item
        elif field.is_repeated:
            target = getattr(msg, name)
            for item in value:  # type: ignore[union-attr]
                if isinstance(item, message.Message):
                    target.add().CopyFrom(item)
                else:
                    target.append(item)
        elif isinstance(value, message.Message):
            getattr(msg, name).CopyFrom(value)
        else:
            setattr(msg, name, value)
    return msg


def messages(desc: descriptor.Descriptor, depth: int = 4, *, known: Sequence[str] = (),
             max_items: int = 3, nul: bool = True) -> st.SearchStrategy[message.Message]:
    """Instances of the message type ``desc``: each field set or not, at most one member per oneof
    (``optional`` fields are their own synthetic oneof: set or absent), nested down to ``depth``."""
    cls = message_factory.GetMessageClass(desc)
    if depth <= 0:
        return st.just(cls())
    if desc.full_name == any_pb2.Any.DESCRIPTOR.full_name:
        return st.builds(lambda url, value: any_pb2.Any(type_url=url, value=value),
                         strings(known, nul=nul), st.binary(max_size=32))
    in_oneof = {f.name for o in desc.oneofs for f in o.fields}
    free = {f.name: _field(f, depth, known, max_items, nul) for f in desc.fields if f.name not in in_oneof}
    free_part = st.fixed_dictionaries({}, optional=free)
    oneof_parts = [
        st.one_of(st.just({}), *(_field(f, depth, known, max_items, nul).map(lambda v, n=f.name: {n: v})
                                 for f in oneof.fields))
        for oneof in desc.oneofs
    ]

    def merge(parts: tuple[dict[str, object], ...]) -> message.Message:
        values: dict[str, object] = {}
        for part in parts:
            values.update(part)
        return _build(cls, values)

    return st.tuples(free_part, *oneof_parts).map(merge)


# --- the oracle ----------------------------------------------------------------------------------

FORBIDDEN_CODES = frozenset({grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL})
TRACEBACK_MARKS = ("Traceback", 'File "', "most recent call last")


@dataclass(frozen=True)
class Outcome:
    """What a call answered: its code, message and every string in its rich details."""

    code: grpc.StatusCode
    details: str
    detail_strings: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.code.name}: {self.details!r} {list(self.detail_strings)[:6]}"


def _strings_of(msg: message.Message) -> Iterable[str]:
    for field, value in msg.ListFields():
        values = value if field.is_repeated else [value]
        if _is_map(field):
            values = [f"{k}={v}" for k, v in value.items()]
        for item in values:
            if isinstance(item, str):
                yield item
            elif isinstance(item, message.Message):
                yield from _strings_of(item)


_DETAIL_TYPES = (error_details_pb2.ErrorInfo, error_details_pb2.BadRequest, error_details_pb2.PreconditionFailure,
                 error_details_pb2.ResourceInfo, error_details_pb2.DebugInfo, error_details_pb2.Help,
                 error_details_pb2.LocalizedMessage, error_details_pb2.QuotaFailure, error_details_pb2.RetryInfo)


def rich_detail_strings(trailing_metadata: Iterable[tuple[str, object]] | None) -> tuple[str, ...]:
    """Every string in the ``google.rpc.Status`` of a call's trailers (message, each detail)."""
    found: list[str] = []
    for key, value in trailing_metadata or ():
        if key != "grpc-status-details-bin":
            if isinstance(value, str):
                found.append(value)
            continue
        status = status_pb2.Status.FromString(value)  # type: ignore[arg-type]
        found.append(status.message)
        for detail in status.details:
            for cls in _DETAIL_TYPES:
                if detail.Is(cls.DESCRIPTOR):
                    unpacked = cls()
                    detail.Unpack(unpacked)
                    found.extend(_strings_of(unpacked))
                    break
            else:
                found.append(f"<unknown detail {detail.type_url}>")
    return tuple(found)


def outcome_of(exc: grpc.RpcError | None) -> Outcome:
    if exc is None:
        return Outcome(grpc.StatusCode.OK, "", ())
    return Outcome(exc.code(), exc.details() or "", rich_detail_strings(exc.trailing_metadata()))


def problems(outcome: Outcome) -> list[str]:
    """What is wrong with an answer to hostile input (empty: nothing)."""
    found = []
    if outcome.code in FORBIDDEN_CODES:
        found.append(f"answered {outcome.code.name}")
    for text in (outcome.details, *outcome.detail_strings):
        if any(mark in text for mark in TRACEBACK_MARKS):
            found.append(f"traceback text in {text[:200]!r}")
    return found


def check_outcome(outcome: Outcome, context: str = "") -> None:
    bad = problems(outcome)
    assert not bad, f"{context}: {'; '.join(bad)} ({outcome.describe()})"
