"""Fresh databases for one benchmark run: SQLite files in a new directory, or throw-away PostgreSQL
databases (``bench_<run>_<service>``) created on the server named by ``--postgres-url`` and dropped at
the end of the run."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SERVICES = ("catalog", "instance", "gateway")


def sqlite_urls(data_dir: Path) -> dict[str, str]:
    return {name: f"sqlite:///{data_dir / (name + '.db')}" for name in SERVICES}


def _with_database(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin(admin_url: str):  # type: ignore[no-untyped-def]
    conn = psycopg2.connect(_with_database(admin_url, urlsplit(admin_url).path.lstrip("/") or "postgres"))
    conn.autocommit = True
    return conn


@contextlib.contextmanager
def postgres_urls(admin_url: str) -> Iterator[dict[str, str]]:
    """Create one database per service, yield their URLs, drop them afterwards."""
    run = uuid.uuid4().hex[:8]
    names = {service: f"bench_{run}_{service}" for service in SERVICES}
    conn = _admin(admin_url)
    try:
        with conn.cursor() as cur:
            for name in names.values():
                cur.execute(f'CREATE DATABASE "{name}"')
        yield {service: _with_database(admin_url, name) for service, name in names.items()}
    finally:
        with conn.cursor() as cur:
            for name in names.values():
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def postgres_available(admin_url: str) -> str | None:
    """None when the server answers; else why not."""
    try:
        _admin(admin_url).close()
    except psycopg2.Error as exc:
        return f"PostgreSQL not reachable ({type(exc).__name__})"
    return None
