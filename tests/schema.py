"""Schema comparison for the migration tests: a database's tables as plain data (columns with their type,
length and nullability, primary key, indexes, foreign keys), and a check that prebuilt SQL runs on it.

Types compare as the database sees them: PostgreSQL's ``information_schema`` type and length; SQLite's
type affinity and declared length (SQLite declares what it is told: ``BIGINT`` and peewee's ``INTEGER``
are the same column, and a boolean is ``INTEGER`` or ``BOOLEAN`` by who wrote the DDL, both numeric).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import peewee

from plugboard.storage.database import is_postgres, open_database
from plugboard.storage.migrations import TABLE as MIGRATIONS_TABLE


def _sqlite_type(declared: str) -> tuple[str, int | None]:
    match = re.match(r"\s*([A-Za-z ]*)(?:\((\d+)\))?", declared or "")
    name = (match.group(1) if match else "").upper()
    length = int(match.group(2)) if match and match.group(2) else None
    if "INT" in name:
        return "NUMERIC/INTEGER", length
    if any(word in name for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT", length
    if "BLOB" in name or not name:
        return "BLOB", length
    if any(word in name for word in ("REAL", "FLOA", "DOUB")):
        return "REAL", length
    return ("DATETIME" if "DATE" in name or "TIME" in name else "NUMERIC/INTEGER"), length


def _columns(db: peewee.Database, table: str) -> dict[str, tuple[Any, ...]]:
    nullable = {column.name: column.null for column in db.get_columns(table)}
    if is_postgres(db):
        rows = db.execute_sql(
            "SELECT column_name, data_type, character_maximum_length FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s", (table,)).fetchall()
        return {name: (kind, length, nullable[name]) for name, kind, length in rows}
    return {column.name: (*_sqlite_type(column.data_type), column.null) for column in db.get_columns(table)}


def describe(db: peewee.Database) -> dict[str, dict[str, Any]]:
    """Every table but the migrations' own, as comparable data."""
    described = {}
    for table in sorted(t for t in db.get_tables() if t != MIGRATIONS_TABLE):
        indexes = {(tuple(index.columns), bool(index.unique)) for index in db.get_indexes(table)
                   if not index.name.startswith("sqlite_autoindex")}
        described[table] = {
            "columns": _columns(db, table),
            "primary_key": tuple(db.get_primary_keys(table)),
            "indexes": indexes,
            "foreign_keys": {(fk.column, fk.dest_table, fk.dest_column) for fk in db.get_foreign_keys(table)},
        }
    return described


def differences(migrated: dict[str, dict[str, Any]], modelled: dict[str, dict[str, Any]]) -> list[str]:
    """What differs between two descriptions, one line per difference (empty when they are equal)."""
    lines = []
    for table in sorted(set(migrated) | set(modelled)):
        if table not in migrated or table not in modelled:
            lines.append(f"{table}: only in {'the models' if table in modelled else 'the migrations'}")
            continue
        for part in ("columns", "primary_key", "indexes", "foreign_keys"):
            left, right = migrated[table][part], modelled[table][part]
            if left == right:
                continue
            if isinstance(left, dict):
                for name in sorted(set(left) | set(right)):
                    if left.get(name) != right.get(name):
                        lines.append(f"{table}.{name}: migrations {left.get(name)} != models {right.get(name)}")
            elif isinstance(left, set):
                for item in sorted(left - right, key=str):
                    lines.append(f"{table} {part}: {item} only in the migrations")
                for item in sorted(right - left, key=str):
                    lines.append(f"{table} {part}: {item} only in the models")
            else:
                lines.append(f"{table} {part}: migrations {left} != models {right}")
    return lines


def models_schema(db: peewee.Database, models: Sequence[type[peewee.Model]]) -> dict[str, dict[str, Any]]:
    """The schema ``create_tables`` makes of ``models`` on ``db`` (which must be empty)."""
    with db.bind_ctx(models):
        db.create_tables(models)
    return describe(db)


def explain_all(db: peewee.Database, statements: Iterable[str]) -> None:
    """Prepare (EXPLAIN) each prebuilt statement with NULL parameters: fails on a missing table or column."""
    for sql in statements:
        db.execute_sql(f"EXPLAIN {sql}", [None] * sql.count(db.param))


def close(db: peewee.Database) -> None:
    """Close ``db`` (every pooled connection of a pool)."""
    close_all = getattr(db, "close_all", None)
    close_all() if callable(close_all) else db.close()


def fresh_database(database_url: str, name: str) -> peewee.Database:
    """An empty database: SQLite file ``name``.db next to ``database_url``'s, or the PostgreSQL test
    database with its public schema dropped (for the ``empty_database_url`` fixture's tests)."""
    if database_url.startswith("sqlite"):
        return open_database(database_url.replace("plugboard.db", f"{name}.db"))
    db = open_database(database_url)
    db.execute_sql("DROP SCHEMA public CASCADE")
    db.execute_sql("CREATE SCHEMA public")
    return db
