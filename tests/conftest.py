"""Shared fixture: ``database_url``, the same storage tests on SQLite and on PostgreSQL.

PostgreSQL: ``PLUGBOARD_TEST_POSTGRES_URL`` (default postgresql://postgres@127.0.0.1:5432/test)
names a server where a fresh database ``plugboard_test_<random>`` is created for the session (one per
test worker) and dropped at its end. The PostgreSQL tests are skipped only when
``PLUGBOARD_TEST_POSTGRES=skip``; an unreachable server otherwise fails them.

On PostgreSQL ``database_url`` holds every service's tables at their latest migration and no rows: the
schema is built once, and each test starts from it emptied with one TRUNCATE (the services' migrations
then find nothing to do: DDL is most of a PostgreSQL test's set-up). Before reusing the schema the
fixture compares it (tables, columns, indexes, triggers, applied migrations) with the one it built, and
builds it again when a test changed it. A test of migrations or of the schema itself takes
``empty_database_url``: no tables at all, on both databases.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

_DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _admin_connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg2

    conn = psycopg2.connect(url, connect_timeout=5)
    conn.autocommit = True
    return conn


@pytest.fixture(scope="session")
def _postgres_database_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session (dropped afterwards)."""
    if os.environ.get("PLUGBOARD_TEST_POSTGRES", "").lower() == "skip":
        pytest.skip("PLUGBOARD_TEST_POSTGRES=skip")
    import psycopg2

    base = os.environ.get("PLUGBOARD_TEST_POSTGRES_URL", _DEFAULT_POSTGRES_URL)
    parts = urlsplit(base)
    where = f"{parts.hostname}:{parts.port or 5432}"
    try:
        admin = _admin_connect(base)
    except psycopg2.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at {where} is unreachable ({type(exc).__name__}); start it, point "
            "PLUGBOARD_TEST_POSTGRES_URL at it, or set PLUGBOARD_TEST_POSTGRES=skip",
            pytrace=False,
        )
    name = f"plugboard_test_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    try:
        yield _with_database(base, name)
    finally:
        admin = _admin_connect(base)
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


_SCHEMA_FINGERPRINT = """
SELECT 'c', table_name, column_name, data_type, is_nullable, coalesce(column_default, '')
  FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL SELECT 'i', tablename, indexname, indexdef, '', '' FROM pg_indexes WHERE schemaname = 'public'
UNION ALL SELECT 't', event_object_table, trigger_name, event_manipulation, action_statement, ''
  FROM information_schema.triggers WHERE trigger_schema = 'public'
UNION ALL SELECT 'm', component, version::text, name, '', '' FROM schema_migrations
ORDER BY 1, 2, 3, 4
"""
# The schema each worker's session database was built with: the fingerprint of its tables.
_built: dict[str, str] = {}


def _fingerprint(cur) -> str | None:  # type: ignore[no-untyped-def]
    cur.execute("SELECT to_regclass('public.schema_migrations')")
    if cur.fetchone()[0] is None:
        return None
    cur.execute(_SCHEMA_FINGERPRINT)
    return hashlib.sha256(repr(cur.fetchall()).encode()).hexdigest()


def _drop_schema(cur) -> None:  # type: ignore[no-untyped-def]
    cur.execute("DROP SCHEMA public CASCADE")
    cur.execute("CREATE SCHEMA public")


def _build_schema(url: str) -> None:
    """Every service's migrations on the emptied public schema of ``url``; remembers its fingerprint."""
    from catalog_service.storage.migrations import MIGRATIONS as CATALOG
    from gateway.key_store import MIGRATIONS as GATEWAY
    from instance_service.storage.migrations import MIGRATIONS as INSTANCE
    from plugboard.storage.database import open_database
    from plugboard.storage.migrations import migrate

    db = open_database(url)
    try:
        for component, migrations in (("catalog", CATALOG), ("instance", INSTANCE), ("gateway", GATEWAY)):
            migrate(db, component, migrations)
    finally:
        close_all = getattr(db, "close_all", None)
        close_all() if callable(close_all) else db.close()
    conn = _admin_connect(url)
    try:
        with conn.cursor() as cur:
            _built[url] = _fingerprint(cur) or ""
    finally:
        conn.close()


def _reset_postgres(url: str, *, empty: bool) -> None:
    conn = _admin_connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SET lock_timeout = '10s'")
            if not empty and url in _built and _fingerprint(cur) == _built[url]:
                cur.execute("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'"
                            " AND tablename <> 'schema_migrations'")
                tables = [row[0] for row in cur.fetchall()]
                cur.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
                return
            _drop_schema(cur)
    finally:
        conn.close()
    if not empty:
        _build_schema(url)


def _database_url(request: pytest.FixtureRequest, tmp_path, *, empty: bool) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'plugboard.db'}"
    url = request.getfixturevalue("_postgres_database_url")
    _reset_postgres(url, empty=empty)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """URL of a database without rows: a new SQLite file under tmp_path, or the session's PostgreSQL
    database with every service's tables at their latest migration, emptied."""
    return _database_url(request, tmp_path, empty=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """URL of a database without tables: a new SQLite file, or the session's PostgreSQL database with
    its public schema dropped (for tests of the migrations and of the schema)."""
    return _database_url(request, tmp_path, empty=True)
