"""Translating database errors into domain errors at the storage boundary.

``translate_errors`` (context manager or decorator, sync or async functions) maps:

- a serialization failure or deadlock (PostgreSQL class 40) to ``Aborted`` (retry the whole
  transaction);
- ``OperationalError`` / ``InterfaceError`` (database down, connection lost, locked past the
  busy timeout) and an exhausted pool to ``Unavailable`` with a safe message.

Everything else propagates unchanged: SQL errors (bugs), and constraint violations (``IntegrityError``),
whose meaning only the store knows (it catches them where it inserts). Always ``raise ... from exc``,
so the cause stays in the chain for debugging while the message shown to callers stays safe.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import peewee
from playhouse.pool import MaxConnectionsExceeded

from plugboard import signals
from plugboard.errors import Aborted, PlugboardError, Unavailable
from plugboard.logs import innermost_location

_log = logging.getLogger("plugboard.storage")
F = TypeVar("F", bound=Callable[..., Any])
UNAVAILABLE_MESSAGE = "the database is temporarily unavailable, retry later"


def _driver_error(exc: BaseException) -> BaseException:
    """The psycopg2/sqlite3 exception a peewee exception wraps (peewee puts it first in args)."""
    if exc.args and isinstance(exc.args[0], BaseException):
        return exc.args[0]
    return exc.__context__ or exc


def _is_sql_bug(driver: BaseException) -> bool:
    """SQLite reports syntax errors and missing tables as OperationalError(SQLITE_ERROR)."""
    return getattr(driver, "sqlite_errorname", None) == "SQLITE_ERROR"


class translate_errors:
    """Map database errors to domain errors; use as ``with translate_errors():`` or as a
    decorator of a sync or async function."""

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
            signals.database_error(mapped.reason)
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
