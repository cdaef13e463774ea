"""The catalog's three descriptions of one schema agree, on SQLite and PostgreSQL: the frozen migrations,
the peewee models and the prebuilt statements (columns, types, nullability, primary keys, indexes,
foreign keys). A database whose migration 1 was the former ``create_tables`` of the models migrates to
the same schema."""

from __future__ import annotations

import peewee

from catalog_service.storage import models
from catalog_service.storage.migrations import MIGRATIONS
from catalog_service.storage.reads import Statements
from plugboard.storage.migrations import Migration, migrate
from tests.schema import close, describe, differences, explain_all, fresh_database, models_schema


def _migrated(empty_database_url: str, name: str, migrations=MIGRATIONS) -> dict:
    db = fresh_database(empty_database_url, name)
    try:
        migrate(db, "catalog", migrations)
        with db.bind_ctx(models.MODELS):
            explain_all(db, vars(Statements(db)).values())
        return describe(db)
    finally:
        close(db)


def test_the_migrations_make_the_schema_the_models_and_statements_expect(empty_database_url):
    migrated = _migrated(empty_database_url, "migrated")
    db = fresh_database(empty_database_url, "modelled")
    try:
        modelled = models_schema(db, models.MODELS)
    finally:
        close(db)
    assert set(migrated) == {model._meta.table_name for model in models.MODELS}
    assert differences(migrated, modelled) == []


def test_a_database_from_the_former_migration_1_reaches_the_same_schema(empty_database_url):
    def former_create_tables(db: peewee.Database) -> None:  # migration 1 as it was: the models of today
        tables = [model for model in models.MODELS if model not in (models.JobRow, models.ChangeRow)]
        with db.bind_ctx(tables):
            db.create_tables(tables)

    def oldest_create_tables(db: peewee.Database) -> None:  # ... and before drafts had submitted_at
        former_create_tables(db)
        db.execute_sql('DROP INDEX IF EXISTS "connector_staged_status"')
        db.execute_sql('ALTER TABLE "connector_staged" DROP COLUMN "submitted_at"')
        db.execute_sql('CREATE INDEX "connector_staged_status" ON "connector_staged" ("status")')

    expected = _migrated(empty_database_url, "frozen")
    for name, first in (("former", former_create_tables), ("oldest", oldest_create_tables)):
        migrated = _migrated(empty_database_url, name, [Migration(1, "create catalog tables", first), *MIGRATIONS[1:]])
        assert differences(migrated, expected) == [], name
