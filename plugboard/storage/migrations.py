"""Versioned schema migrations per component, safe when several processes start at once.

Each component (``"catalog"``, ``"instance"``) lists its ``Migration``s; ``migrate`` applies the
pending ones in version order, each in its own transaction together with its row in
``schema_migrations``, under a lock (PostgreSQL: ``pg_advisory_xact_lock``; SQLite:
``BEGIN IMMEDIATE``) so that two processes never apply the same migration. A database whose
version is newer than the code knows is refused: old code must not run on a newer schema.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import peewee

from plugboard.storage.database import is_postgres

TABLE = "schema_migrations"
_log = logging.getLogger("plugboard.storage.migrations")


class MigrationError(RuntimeError):
    """The schema cannot be brought to the version this code expects."""


@dataclass(frozen=True)
class Migration:
    """Version ``version`` (1, 2, ...) of a component's schema, applied by ``apply(db)``.

    ``apply`` runs inside a transaction: it must not commit and should only use ``db``.
    """

    version: int
    name: str
    apply: Callable[[peewee.Database], None]


@contextmanager
def _locked_transaction(db: peewee.Database, component: str) -> Iterator[None]:
    """A transaction holding the component's migration lock until it ends."""
    if is_postgres(db):
        with db.atomic():
            db.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{TABLE}:{component}",))
            yield
    else:
        # BEGIN IMMEDIATE takes SQLite's write lock now (waiting up to busy_timeout).
        with db.atomic("IMMEDIATE"):
            yield


def _ensure_table(db: peewee.Database) -> None:
    applied_at = "TIMESTAMPTZ NOT NULL DEFAULT now()" if is_postgres(db) else \
        "TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP"
    db.execute_sql(
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        " component VARCHAR(64) NOT NULL,"
        " version INTEGER NOT NULL,"
        " name VARCHAR(200) NOT NULL,"
        f" applied_at {applied_at},"
        " PRIMARY KEY (component, version))"
    )


def _applied(db: peewee.Database, component: str) -> dict[int, str]:
    cursor = db.execute_sql(
        f"SELECT version, name FROM {TABLE} WHERE component = {db.param}", (component,)
    )
    return {int(version): name for version, name in cursor.fetchall()}


def current_version(db: peewee.Database, component: str) -> int:
    """The highest applied version of ``component`` (0 when none)."""
    if not db.table_exists(TABLE):
        return 0
    return max(_applied(db, component), default=0)


def _check(migrations: Sequence[Migration]) -> list[Migration]:
    ordered = sorted(migrations, key=lambda m: m.version)
    versions = [m.version for m in ordered]
    if any(v < 1 for v in versions) or len(set(versions)) != len(versions):
        raise ValueError(f"migration versions must be unique positive integers, got {versions}")
    return ordered


def migrate(db: peewee.Database, component: str, migrations: Sequence[Migration]) -> list[int]:
    """Apply the pending migrations of ``component`` in order; return the versions applied.

    Raises ``MigrationError`` when the database holds a version newer than ``migrations`` know;
    a migration that fails is rolled back entirely (schema changes and its version row) and its
    exception propagates.
    """
    ordered = _check(migrations)
    known = ordered[-1].version if ordered else 0
    if db.in_transaction():
        raise MigrationError("migrate() must run outside a transaction")
    with _locked_transaction(db, component):
        _ensure_table(db)
        done = _applied(db, component)
    newest = max(done, default=0)
    if newest > known:
        raise MigrationError(
            f"database schema of {component!r} is at version {newest}, newer than this code "
            f"knows ({known}); refusing to start: deploy the newer code"
        )
    for version, name in done.items():
        expected = next((m.name for m in ordered if m.version == version), None)
        if expected is not None and expected != name:
            _log.warning("migration %s v%d was applied as %r, code names it %r",
                         component, version, name, expected)

    applied: list[int] = []
    for migration in ordered:
        if migration.version in done:
            continue
        with _locked_transaction(db, component):
            # Re-read under the lock: another process may have applied it meanwhile.
            if migration.version in _applied(db, component):
                continue
            migration.apply(db)
            db.execute_sql(
                f"INSERT INTO {TABLE} (component, version, name) VALUES "
                f"({db.param}, {db.param}, {db.param})",
                (component, migration.version, migration.name),
            )
        applied.append(migration.version)
        _log.info("applied migration %s v%d %s", component, migration.version, migration.name)
    return applied
