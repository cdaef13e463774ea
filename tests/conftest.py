"""Shared fixture: ``database_url``, the same storage tests on SQLite and on PostgreSQL.

PostgreSQL: ``PLUGBOARD_TEST_POSTGRES_URL`` (default postgresql://postgres@127.0.0.1:5432/test)
names a server where a fresh database ``plugboard_test_<random>`` is created for the session and
dropped at its end; each test starts with an empty ``public`` schema. The PostgreSQL tests are
skipped only when ``PLUGBOARD_TEST_POSTGRES=skip``; an unreachable server otherwise fails them.
"""

from __future__ import annotations

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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """URL of an empty database: a SQLite file under tmp_path, or the session's PostgreSQL
    database with its public schema emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'plugboard.db'}"
    url = request.getfixturevalue("_postgres_database_url")
    conn = _admin_connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SET lock_timeout = '10s'")
            cur.execute("DROP SCHEMA public CASCADE")
            cur.execute("CREATE SCHEMA public")
    finally:
        conn.close()
    return url
