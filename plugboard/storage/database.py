"""Opening a service database from a URL: SQLite file (default) or PostgreSQL.

- ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` (``sqlite:///:memory:`` for a
  throw-away database): WAL journal, foreign keys on, 5 s busy timeout, synchronous=NORMAL; a missing
  parent directory is created 0700, the database file (and so its ``-wal``/``-shm`` files) is 0600
  (``plugboard.storage.files``).
- ``postgresql://user[:password]@host[:port]/dbname[?param=value...]``: a connection pool
  (``max_connections``, ``stale_timeout``, ``pool_timeout`` query parameters; the others, e.g.
  ``sslmode``, ``connect_timeout``, go to psycopg2) that checks a pooled connection before reuse
  and reconnects once, outside transactions, when the server dropped the connection.
"""

from __future__ import annotations

import os
import sqlite3
import time
from urllib.parse import parse_qsl, unquote, urlsplit

import peewee
from playhouse.pool import PooledPostgresqlDatabase
from playhouse.shortcuts import ReconnectMixin

from plugboard.storage.files import private_directory, private_sqlite_file

SQLITE_PRAGMAS = (
    ("journal_mode", "wal"),
    ("foreign_keys", 1),
    ("busy_timeout", 5000),
    ("synchronous", "normal"),
)
_POOL_PARAMS = {"max_connections": 20, "stale_timeout": 300, "pool_timeout": 10}


class ReconnectingPostgresqlDatabase(ReconnectMixin, PooledPostgresqlDatabase):
    """Pooled PostgreSQL database that reconnects when psycopg2 reports a dropped connection."""

    reconnect_errors = (
        (peewee.OperationalError, "server closed the connection"),
        (peewee.OperationalError, "terminating connection"),
        (peewee.OperationalError, "connection already closed"),
        (peewee.OperationalError, "ssl connection has been closed"),
        (peewee.OperationalError, "could not receive data from server"),
        (peewee.InterfaceError, "connection already closed"),
    )


class WalSqliteDatabase(peewee.SqliteDatabase):
    """SQLite with ``SQLITE_PRAGMAS`` on every connection, safe with concurrent connections.

    ``PRAGMA journal_mode = wal`` fails at once with "database is locked" (no busy wait) while
    another connection writes, even when the file is already in WAL mode; so the busy timeout is
    set first, the mode is only changed when it is not WAL yet (it persists in the file), and
    that one-time change is retried for up to the busy timeout.
    """

    def _set_pragmas(self, conn: sqlite3.Connection) -> None:
        pragmas = dict(self._pragmas)
        journal_mode = str(pragmas.pop("journal_mode", "")).lower()
        cursor = conn.cursor()
        try:
            if "busy_timeout" in pragmas:
                cursor.execute(f"PRAGMA busy_timeout = {int(pragmas.pop('busy_timeout'))}")
            if journal_mode:
                self._ensure_journal_mode(cursor, journal_mode)
            for pragma, value in pragmas.items():
                cursor.execute(f"PRAGMA {pragma} = {value}")
        finally:
            cursor.close()

    def _ensure_journal_mode(self, cursor: sqlite3.Cursor, mode: str) -> None:
        if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == mode:
            return
        deadline = time.monotonic() + float(self._timeout or 5)
        while True:
            try:
                # ":memory:" databases answer "memory" and stay so; that is fine.
                cursor.execute(f"PRAGMA journal_mode = {mode}").fetchall()
                return
            except sqlite3.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)


def _open_sqlite(url: str) -> peewee.SqliteDatabase:
    if not url.startswith("sqlite:///"):
        raise ValueError(
            "malformed SQLite URL: expected sqlite:///relative/path.db or sqlite:////abs/path.db"
        )
    path = url[len("sqlite:///"):]
    if "?" in path or "#" in path:
        raise ValueError("malformed SQLite URL: query parameters are not supported")
    if not path or path.endswith("/"):
        raise ValueError("malformed SQLite URL: the file path is missing")
    if path != ":memory:":
        private_directory(os.path.dirname(os.path.abspath(path)), tighten=False)
        private_sqlite_file(path)
    return WalSqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=5)


def _open_postgres(url: str) -> ReconnectingPostgresqlDatabase:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError("malformed PostgreSQL URL: the port is not a number") from exc
    name = unquote(parts.path.lstrip("/"))
    if not name or "/" in name:
        raise ValueError("malformed PostgreSQL URL: expected postgresql://user@host:port/dbname")
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    pool = {key: params.pop(key, default) for key, default in _POOL_PARAMS.items()}
    try:
        pool = {key: int(value) for key, value in pool.items()}
    except ValueError as exc:
        raise ValueError("malformed PostgreSQL URL: pool parameters must be integers") from exc
    params.setdefault("connect_timeout", "5")
    connect: dict[str, object] = dict(params)
    if parts.hostname:
        connect["host"] = unquote(parts.hostname)
    if port:
        connect["port"] = port
    if parts.username:
        connect["user"] = unquote(parts.username)
    if parts.password:
        connect["password"] = unquote(parts.password)
    return ReconnectingPostgresqlDatabase(
        name,
        max_connections=pool["max_connections"],
        stale_timeout=pool["stale_timeout"],
        timeout=pool["pool_timeout"],
        **connect,
    )


def open_database(url: str) -> peewee.Database:
    """The database named by ``url`` (not yet connected: peewee connects on first use).

    Raises ``ValueError`` for an unsupported or malformed URL; the message never repeats the
    URL, which may contain a password.
    """
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "sqlite":
        return _open_sqlite(url)
    if scheme in ("postgresql", "postgres"):
        return _open_postgres(url)
    raise ValueError(
        f"unsupported database URL scheme {scheme!r}: use sqlite:///path.db or postgresql://user@host:port/db"
    )


def is_postgres(db: peewee.Database) -> bool:
    """True for a PostgreSQL database (of any peewee flavour)."""
    return isinstance(db, peewee.PostgresqlDatabase)
