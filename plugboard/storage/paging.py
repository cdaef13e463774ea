"""Sorting and keyset paging for list queries, shared by the services' stores.

A list request names sort expressions (``name asc``, ``createdAt desc``); ``parse_sorts`` maps them to
columns. ``keyset_condition`` turns the last row of a page into a WHERE clause that continues after
it, so a deep page costs what the first one costs (an index seek instead of OFFSET). The page token is
opaque to callers: base64 of JSON holding the last row's sort values and a fingerprint of the query,
so a token replayed with different filters is refused instead of silently skipping rows.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Sequence

import peewee

from plugboard.errors import InvalidArgument


@dataclass(frozen=True)
class SortKey:
    """One sort column and its direction."""

    name: str  # the name callers use, e.g. "createdAt"
    column: peewee.Field
    descending: bool = False


def parse_sorts(
    expressions: Sequence[str],
    columns: Mapping[str, peewee.Field],
    *,
    default: Sequence[str],
    field: str = "sort",
) -> list[SortKey]:
    """Parse ``"<name> asc|desc"`` (or ``"-name"``) expressions; unknown names raise InvalidArgument."""
    keys: list[SortKey] = []
    problems: list[tuple[str, str]] = []
    for index, expression in enumerate(expressions or default):
        parts = expression.split()
        descending = False
        if len(parts) == 1 and parts[0].startswith("-"):
            parts, descending = [parts[0][1:]], True
        elif len(parts) == 2 and parts[1].lower() in ("asc", "desc"):
            descending = parts[1].lower() == "desc"
        elif len(parts) != 1:
            problems.append((f"{field}[{index}]", 'must be "<field> asc" or "<field> desc"'))
            continue
        name = parts[0] if parts else ""
        if name not in columns:
            problems.append((f"{field}[{index}]", f"unknown sort field; one of {', '.join(sorted(columns))}"))
            continue
        if any(key.name == name for key in keys):
            problems.append((f"{field}[{index}]", "sorts by the same field twice"))
            continue
        keys.append(SortKey(name, columns[name], descending))
    if problems:
        raise InvalidArgument.from_list(problems)
    return keys


def ordering(keys: Sequence[SortKey], tiebreak: peewee.Field) -> list[Any]:
    """ORDER BY terms: the sort keys, then the unique tiebreak column in the last key's direction."""
    last_desc = keys[-1].descending if keys else False
    terms = [key.column.desc() if key.descending else key.column.asc() for key in keys]
    terms.append(tiebreak.desc() if last_desc else tiebreak.asc())
    return terms


def keyset_condition(keys: Sequence[SortKey], tiebreak: peewee.Field, after: Sequence[Any]) -> peewee.Expression:
    """WHERE clause selecting rows strictly after ``after`` (the sort values then the tiebreak value)."""
    last_desc = keys[-1].descending if keys else False
    columns = [(key.column, key.descending) for key in keys] + [(tiebreak, last_desc)]
    condition: peewee.Expression | None = None
    for position, (column, descending) in enumerate(columns):
        term = column < after[position] if descending else column > after[position]
        for earlier in range(position):
            term = (columns[earlier][0] == after[earlier]) & term
        condition = term if condition is None else condition | term
    assert condition is not None
    return condition


def query_fingerprint(params: Mapping[str, Any]) -> str:
    """A short digest of the parameters a page token is valid for."""
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode_token(values: Sequence[Any], fingerprint: str, offset: int) -> str:
    """The opaque token continuing after a row whose sort (+ tiebreak) values are ``values``."""
    encoded = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    raw = json.dumps({"v": encoded, "q": fingerprint, "o": offset}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(token: str, fingerprint: str, *, field: str = "page_token") -> tuple[list[Any], int]:
    """The values and offset a token continues from; InvalidArgument if it is malformed or for other params."""
    try:
        padded = token + "=" * (-len(token) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        values = [datetime.fromisoformat(v["t"]) if isinstance(v, dict) else v for v in raw["v"]]
        if not isinstance(raw["q"], str) or not isinstance(raw["o"], int):
            raise ValueError("bad token")
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError, AttributeError):
        raise InvalidArgument.single(field, "is not a page token returned by this list") from None
    if raw["q"] != fingerprint:
        raise InvalidArgument.single(field, "was issued for different list parameters")
    return values, raw["o"]

