"""Schema migrations of the catalog database, applied in order at start-up."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from plugboard.storage.migrations import Migration

from . import codec
from .models import JOB_TABLES, TABLES, ConnectorRow, DraftRow, VersionRow


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


# Indexes of migration 3: every marketplace sort of ListConnectors after the lifecycle filter, so a page is
# an index range walk (no sort of every visible row) and a keyset page starts at its position.
CONNECTOR_LIST_INDEXES = {
    "connector_lifecycle_name_id": ("lifecycle", "name", "id"),
    "connector_lifecycle_key_id": ("lifecycle", "key", "id"),
    "connector_lifecycle_created_at_id": ("lifecycle", "created_at", "id"),
    "connector_lifecycle_updated_at_id": ("lifecycle", "updated_at", "id"),
}


def _list_indexes(db: peewee.Database) -> None:
    """Indexes matching ListConnectors' filter and sorts (issue 6: the first page sorted every row)."""
    table = ConnectorRow._meta.table_name
    for name, columns in CONNECTOR_LIST_INDEXES.items():
        quoted = ", ".join(f'"{column}"' for column in columns)
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({quoted})')


def _creator_company(db: peewee.Database) -> None:
    """The connector's creator company as a column (the search filter ``creator.company``), filled in
    from each connector's latest version."""
    table = ConnectorRow._meta.table_name
    if not any(column.name == "creator_company" for column in db.get_columns(table)):
        # Plain ADD COLUMN (SQLite and PostgreSQL alike): peewee's migrator rebuilds a SQLite table to add
        # a NOT NULL column, and dropping the old table would cascade to its versions.
        db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "creator_company" VARCHAR(256) NOT NULL DEFAULT \'\'')
    with db.bind_ctx([ConnectorRow, VersionRow]):
        latest = (ConnectorRow.select(ConnectorRow.id, VersionRow.number, VersionRow.published_at, VersionRow.body)
                  .join(VersionRow, on=(VersionRow.connector == ConnectorRow.id)
                        & (VersionRow.number == ConnectorRow.latest_version)).tuples())
        for connector_id, number, published_at, body in list(latest):
            company = codec.version_from_row(connector_id, number, published_at, body).creator.company
            if company:
                ConnectorRow.update(creator_company=company.lower()).where(ConnectorRow.id == connector_id).execute()


MIGRATIONS = [
    Migration(1, "create catalog tables", _create_schema),
    Migration(2, "publishing jobs and certification submission time", _publishing_jobs),
    Migration(3, "connector list indexes", _list_indexes),
    Migration(4, "connector creator company", _creator_company),
]
