"""Translating database errors into domain errors at the storage boundary.

``translate_errors`` (context manager or decorator, sync or async functions) maps:

- a unique violation (``IntegrityError``) to the caller-supplied ``AlreadyExists``;
- a foreign-key violation to the caller-supplied error, when given;
- a serialization failure or deadlock (PostgreSQL class 40) to ``Aborted`` (retry the whole
  transaction);
- ``OperationalError`` / ``InterfaceError`` (database down, connection lost, locked past the
  busy timeout) and an exhausted pool to ``Unavailable`` with a safe message.

Everything else (SQL errors, which are bugs) propagates unchanged. Always ``raise ... from exc``,
so the cause stays in the chain for debugging while the message shown to callers stays safe.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar, Union

import peewee
from playhouse.pool import MaxConnectionsExceeded

from plugboard.errors import AlreadyExists, Aborted, PlugboardError, Unavailable
from plugboard.logs import innermost_location

_log = logging.getLogger("plugboard.storage")
F = TypeVar("F", bound=Callable[..., Any])
# An error to raise, or a factory given the constraint: the PostgreSQL constraint name, or the
# SQLite "table.column[, table.column]" list.
ErrorOrFactory = Union[PlugboardError, Callable[[str], PlugboardError]]

UNAVAILABLE_MESSAGE = "the database is temporarily unavailable, retry later"
_SQLITE_UNIQUE = {"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"}


def _driver_error(exc: BaseException) -> BaseException:
    """The psycopg2/sqlite3 exception a peewee exception wraps (peewee puts it first in args)."""
    if exc.args and isinstance(exc.args[0], BaseException):
        return exc.args[0]
    return exc.__context__ or exc


def _constraint_kind(driver: BaseException) -> tuple[str, str]:
    """("unique" | "foreign_key" | "other", constraint) for an integrity error."""
    pgcode = getattr(driver, "pgcode", None)
    if pgcode is not None:
        diag = getattr(driver, "diag", None)
        constraint = getattr(diag, "constraint_name", None) or ""
        kind = {"23505": "unique", "23503": "foreign_key"}.get(pgcode, "other")
        return kind, constraint
    name = getattr(driver, "sqlite_errorname", "")
    text = str(driver)
    constraint = text.split(":", 1)[1].strip() if ":" in text else ""
    if name in _SQLITE_UNIQUE or text.startswith("UNIQUE constraint failed"):
        return "unique", constraint
    if name == "SQLITE_CONSTRAINT_FOREIGNKEY" or text.startswith("FOREIGN KEY constraint failed"):
        return "foreign_key", constraint
    return "other", constraint


def _is_sql_bug(driver: BaseException) -> bool:
    """SQLite reports syntax errors and missing tables as OperationalError(SQLITE_ERROR)."""
    return getattr(driver, "sqlite_errorname", None) == "SQLITE_ERROR"


def _build(error: ErrorOrFactory, constraint: str) -> PlugboardError:
    return error if isinstance(error, PlugboardError) else error(constraint)


class translate_errors:
    """Map database errors to domain errors; use as ``with translate_errors(...):`` or as a
    decorator of a sync or async function."""

    def __init__(
        self,
        already_exists: AlreadyExists | Callable[[str], AlreadyExists] | None = None,
        *,
        foreign_key: ErrorOrFactory | None = None,
    ) -> None:
        self._already_exists = already_exists
        self._foreign_key = foreign_key

    def __enter__(self) -> translate_errors:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if exc is None:
            return False
        mapped = self.translate(exc)
        if mapped is None:
            return False
        raise mapped from exc

    def translate(self, exc: BaseException) -> PlugboardError | None:
        """The domain error for ``exc``, or None to let it propagate unchanged."""
        if isinstance(exc, peewee.IntegrityError):
            kind, constraint = _constraint_kind(_driver_error(exc))
            if kind == "unique" and self._already_exists is not None:
                return _build(self._already_exists, constraint)
            if kind == "foreign_key" and self._foreign_key is not None:
                return _build(self._foreign_key, constraint)
            return None
        if isinstance(exc, (peewee.OperationalError, peewee.InterfaceError, MaxConnectionsExceeded)):
            driver = _driver_error(exc)
            if _is_sql_bug(driver):
                return None
            code = getattr(driver, "pgcode", None) or getattr(driver, "sqlite_errorname", None) or "-"
            if str(code).startswith("40"):
                mapped: PlugboardError = Aborted(
                    "the transaction conflicted with a concurrent one, retry", reason="TRANSACTION_CONFLICT"
                )
            else:
                mapped = Unavailable(UNAVAILABLE_MESSAGE, reason="DATABASE_UNAVAILABLE")
            # Class, driver code and location only: driver messages may name hosts and users.
            _log.warning("database error %s code=%s at %s -> %s", type(driver).__name__, code,
                         innermost_location(exc.__traceback__), mapped.reason)
            return mapped
        return None

    def __call__(self, func: F) -> F:
        if inspect.iscoroutinefunction(func):
            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
