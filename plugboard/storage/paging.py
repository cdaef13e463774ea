"""Sorting and keyset paging for list queries: the one pager of every store.

- ``parse_sorts`` maps a list request's sort expressions (``name asc``, ``createdAt desc``) to columns.
- ``Pager`` is one list's paging: its columns in order (the sort keys, then a unique tiebreak), the
  fingerprint of its parameters and the token signer. ``open`` checks a page token, ``after`` (peewee)
  or ``after_sql`` (prebuilt SQL) continue after its position, and ``finish`` cuts the ``limit + 1``
  rows a page fetched to the page and issues the next token when there was one more row: whether
  there is a next page never depends on a (possibly cached or racing) total.
- The keyset condition is a row-value comparison ``(name, id) > (?, ?)`` when every column sorts in
  one direction: SQLite and PostgreSQL both use it as an index range (the expanded ``name > ? OR
  (name = ? AND id > ?)`` form made PostgreSQL filter every row before the position). Mixed
  directions use the expanded form.
- ``PageTokens`` signs tokens: base64 of JSON (the last row's column values, the fingerprint and the
  offset of the next page) plus an HMAC-SHA256 tag under the server's key (``PageTokens.from_settings``:
  ``PLUGBOARD_PAGE_TOKEN_KEY``, else ``<data dir>/page-token.key``, created 0600 on first use; every
  process serving one database must share it). A token that was altered, forged, issued for other
  parameters, or carries values that do not fit its columns (wrong type, out of range, NUL, too long)
  is INVALID_ARGUMENT with a BadRequest violation on ``page_token``, before any SQL runs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import peewee

from plugboard.errors import InvalidArgument
from plugboard.page import Page

__all__ = ["Cursor", "Page", "PageTokens", "Pager", "SortKey", "parse_sorts", "query_fingerprint"]

NOT_A_TOKEN = "is not a page token returned by this list"
OTHER_PARAMETERS = "was issued for different list parameters"
MAX_OFFSET = 2**31 - 1  # offsets are int32 on the wire
MAX_TOKEN_CHARS = 4096
KEY_FILE = "page-token.key"
_TAG_BYTES = 16
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


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


def query_fingerprint(params: Mapping[str, Any]) -> str:
    """A short digest of the parameters a page token is valid for."""
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------------------- tokens


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))


def _bad_token() -> InvalidArgument:
    return InvalidArgument.single("page_token", NOT_A_TOKEN)


@dataclass(frozen=True)
class Cursor:
    """Where a page token continues: after the row whose column values are ``values``, at ``offset``."""

    values: tuple[Any, ...]
    offset: int


class PageTokens:
    """Issues and opens page tokens signed with one server key (HMAC-SHA256)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a page token key has at least 16 bytes")
        self._key = key

    @classmethod
    def ephemeral(cls) -> "PageTokens":
        """A random key of this process only: for tests and tools whose tokens never leave the process."""
        return cls(secrets.token_bytes(32))

    @classmethod
    def from_settings(cls, settings: Any) -> "PageTokens":
        """The key of ``settings.page_token_key`` (PLUGBOARD_PAGE_TOKEN_KEY) when set, else the one in
        ``<data dir>/page-token.key``, created (0600, random) when missing."""
        text = getattr(settings, "page_token_key", "") or ""
        if text:
            return cls(hashlib.sha256(b"plugboard page tokens\0" + text.encode()).digest())
        return cls(_key_file(Path(settings.data_dir) / KEY_FILE))

    def issue(self, values: Sequence[Any], fingerprint: str, offset: int) -> str:
        """The token continuing after a row whose column values are ``values``."""
        encoded = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values]
        return self.sign({"v": encoded, "q": fingerprint, "o": min(offset, MAX_OFFSET)})

    def sign(self, content: Mapping[str, Any]) -> str:
        """A token of ``content`` as given (``issue`` builds it): base64 JSON, ".", base64 tag."""
        payload = json.dumps(content, separators=(",", ":")).encode()
        return _b64(payload) + "." + _b64(self._tag(payload))

    def open(self, token: str, fingerprint: str, columns: Sequence[peewee.Field]) -> Cursor:
        """The position ``token`` continues from, its values checked against ``columns``; InvalidArgument
        (field ``page_token``) for anything this server did not issue for these parameters."""
        if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
            raise _bad_token()
        body, _, tag = token.partition(".")
        try:
            payload, signature = _unb64(body), _unb64(tag)
        except (ValueError, binascii.Error):
            raise _bad_token() from None
        if not hmac.compare_digest(signature, self._tag(payload)):
            raise _bad_token()
        try:
            raw = json.loads(payload)
            values, issued_for, offset = raw["v"], raw["q"], raw["o"]
        except (ValueError, KeyError, TypeError, RecursionError):
            raise _bad_token() from None
        if issued_for != fingerprint:
            raise InvalidArgument.single("page_token", OTHER_PARAMETERS)
        if (type(offset) is not int or not 0 <= offset <= MAX_OFFSET or not isinstance(values, list)
                or len(values) != len(columns)):
            raise _bad_token()
        return Cursor(tuple(_checked(value, column) for value, column in zip(values, columns)), offset)

    def _tag(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_TAG_BYTES]


def _key_file(path: Path) -> bytes:
    """The key in ``path``; a new random one written there (0600, atomically) when it does not exist."""
    try:
        return _unb64(path.read_text().strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(_b64(secrets.token_bytes(32)) + "\n")
    try:
        os.link(temporary, path)  # fails when another process created it first: use theirs
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return _unb64(path.read_text().strip())


def _is_timestamp(column: peewee.Field) -> bool:
    return isinstance(column, peewee.DateTimeField) or getattr(column, "holds_timestamps", False)


def _checked(value: Any, column: peewee.Field) -> Any:
    """``value`` decoded for ``column`` when it fits it, else InvalidArgument (never a database error)."""
    if value is None and column.null:  # a nullable sort column (the queue's submitted_at)
        return None
    if isinstance(column, peewee.ForeignKeyField):
        column = column.rel_field
    if _is_timestamp(column):
        if not (isinstance(value, dict) and list(value) == ["t"] and isinstance(value["t"], str)):
            raise _bad_token()
        try:
            moment = datetime.fromisoformat(value["t"])
        except ValueError:
            raise _bad_token() from None
        if isinstance(column, peewee.DateTimeField):  # naive UTC columns
            return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    if isinstance(column, peewee.BooleanField):
        if type(value) is not bool:
            raise _bad_token()
        return value
    if isinstance(column, peewee.IntegerField):  # BigIntegerField and AutoField included
        low, high = _INT64 if isinstance(column, (peewee.BigIntegerField, peewee.BigAutoField)) else _INT32
        if type(value) is not int or not low <= value <= high:
            raise _bad_token()
        return value
    max_length = getattr(column, "max_length", None)
    if (type(value) is not str or "\x00" in value
            or (max_length is not None and len(value) > max_length)):
        raise _bad_token()
    return value


# ------------------------------------------------------------------------------------------ pager


def keyset_condition(keys: Sequence[SortKey], tiebreak: peewee.Field | None, after: Sequence[Any]) -> peewee.Expression:
    """WHERE clause selecting rows strictly after ``after`` (the keys' values, then the tiebreak's)."""
    columns = [(key.column, key.descending) for key in keys]
    if tiebreak is not None:
        columns.append((tiebreak, keys[-1].descending if keys else False))
    if all(descending == columns[0][1] for _, descending in columns):
        left = peewee.Tuple(*[column for column, _ in columns])
        right = peewee.Tuple(*[column.db_value(value) for (column, _), value in zip(columns, after)])
        return left < right if columns[0][1] else left > right
    condition: peewee.Expression | None = None
    for position, (column, descending) in enumerate(columns):
        term = column < after[position] if descending else column > after[position]
        for earlier in range(position):
            term = (columns[earlier][0] == after[earlier]) & term
        condition = term if condition is None else condition | term
    assert condition is not None
    return condition


def after_sql(names: Sequence[str], descending: bool, param: str) -> str:
    """The keyset condition of prebuilt SQL sorting every column ``names`` one way: a row value."""
    quoted = ", ".join(f'"{name}"' for name in names)
    params = ", ".join(param for _ in names)
    return f"({quoted}) {'<' if descending else '>'} ({params})"


@dataclass(frozen=True)
class Pager:
    """One list's paging: ``keys`` then the unique ``tiebreak`` (None when the keys are unique),
    the list parameters' ``fingerprint`` and the signer."""

    tokens: PageTokens
    keys: Sequence[SortKey]
    tiebreak: peewee.Field | None
    fingerprint: str
    columns: tuple[peewee.Field, ...] = field(init=False)

    def __post_init__(self) -> None:
        columns = tuple(key.column for key in self.keys)
        object.__setattr__(self, "columns", columns + ((self.tiebreak,) if self.tiebreak is not None else ()))

    def order(self) -> list[Any]:
        """ORDER BY terms: the sort keys, then the tiebreak in the last key's direction."""
        last_desc = self.keys[-1].descending if self.keys else False
        terms = [key.column.desc() if key.descending else key.column.asc() for key in self.keys]
        if self.tiebreak is not None:
            terms.append(self.tiebreak.desc() if last_desc else self.tiebreak.asc())
        return terms

    def open(self, page_token: str) -> Cursor | None:
        """The checked position of ``page_token``; None when there is none (the first page)."""
        return self.tokens.open(page_token, self.fingerprint, self.columns) if page_token else None

    def after(self, values: Sequence[Any]) -> peewee.Expression:
        """Rows after the one whose column values are ``values``, in this list's order."""
        return keyset_condition(self.keys, self.tiebreak, values)

    def fetch(self, query: peewee.Select, *, limit: int, offset: int, page_token: str) -> tuple[list[Any], int, str]:
        """Rows of one page of ``query`` (``limit + 1`` read), the page's offset and the next token."""
        cursor = self.open(page_token)
        if cursor is not None:
            query, offset, skip = query.where(self.after(cursor.values)), cursor.offset, 0
        else:
            skip = offset
        page = query.order_by(*self.order()).limit(limit + 1)
        rows = list(page.offset(skip) if skip else page)
        return self.finish(rows, limit, offset, lambda row: [getattr(row, c.name) for c in self.columns])

    def finish(self, rows: list[Any], limit: int, offset: int,
               values: Callable[[Any], Sequence[Any]]) -> tuple[list[Any], int, str]:
        """``rows`` (up to ``limit + 1`` fetched) cut to the page, with the token after its last row
        when there was one more (``values`` gives a row's column values, in ``columns`` order)."""
        if len(rows) <= limit:
            return rows, offset, ""
        rows = rows[:limit]
        return rows, offset, self.tokens.issue(values(rows[-1]), self.fingerprint, offset + limit)
