"""Schema migrations of the catalog database, applied in order at start-up."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from plugboard.storage.migrations import Migration

from .models import JOB_TABLES, TABLES, DraftRow


def _create_schema(db: peewee.Database) -> None:
    with db.bind_ctx(TABLES):
        db.create_tables(TABLES)


def _publishing_jobs(db: peewee.Database) -> None:
    """Publishing/preview jobs, and when a draft was submitted to certification (the queue's order)."""
    with db.bind_ctx(JOB_TABLES):
        db.create_tables(JOB_TABLES)
    table = DraftRow._meta.table_name
    if any(column.name == "submitted_at" for column in db.get_columns(table)):
        return  # a database created by this code's migration 1 already has it
    submitted_at = peewee.DateTimeField(null=True)
    migrate(SchemaMigrator.from_database(db).add_column(table, "submitted_at", submitted_at))


MIGRATIONS = [
    Migration(1, "create catalog tables", _create_schema),
    Migration(2, "publishing jobs and certification submission time", _publishing_jobs),
]
