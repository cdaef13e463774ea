"""Schema migrations of the catalog database, applied in order at start-up.

Each migration is frozen DDL: what it creates never changes with the models, so a database built today
has the schema of one built when the migration was written. Migrations 1 and 2 are the DDL peewee's
``create_tables`` produced for the models of their time, per dialect (SQLite declares booleans and
big integers INTEGER and timestamps DATETIME; PostgreSQL BOOLEAN, BIGINT and TIMESTAMP).
``tests/catalog/test_catalog_schema.py`` checks that the migrated schema is the one the models and the prebuilt
statements expect.
"""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import urlsplit

import peewee

from catalog_service.domain.model import content_hash
from plugboard.history.storage import create_table_v1
from plugboard.storage.database import is_postgres
from plugboard.storage.migrations import Migration

from . import codec

_SQLITE_TYPES = {"bool": "INTEGER", "bigint": "INTEGER", "timestamp": "DATETIME"}
_POSTGRES_TYPES = {"bool": "BOOLEAN", "bigint": "BIGINT", "timestamp": "TIMESTAMP"}


def _run(db: peewee.Database, statements: list[str]) -> None:
    types = _POSTGRES_TYPES if is_postgres(db) else _SQLITE_TYPES
    for statement in statements:
        db.execute_sql(statement.format(**types))


_V1 = [
    'CREATE TABLE IF NOT EXISTS "connector" ("id" VARCHAR(36) NOT NULL PRIMARY KEY, "key" VARCHAR(256) NOT NULL,'
    ' "lifecycle" VARCHAR(16) NOT NULL, "lifecycle_changed_at" {timestamp} NOT NULL, "listed" {bool} NOT NULL,'
    ' "certified" {bool} NOT NULL, "private" {bool} NOT NULL, "creator_project" VARCHAR(128) NOT NULL,'
    ' "latest_version" {bigint} NOT NULL, "name" VARCHAR(256) NOT NULL, "description" TEXT NOT NULL,'
    ' "created_at" {timestamp} NOT NULL, "updated_at" {timestamp} NOT NULL)',
    'CREATE UNIQUE INDEX IF NOT EXISTS "connector_key" ON "connector" ("key")',
    'CREATE INDEX IF NOT EXISTS "connector_name_id" ON "connector" ("name", "id")',
    'CREATE INDEX IF NOT EXISTS "connector_lifecycle_lifecycle_changed_at" ON "connector"'
    ' ("lifecycle", "lifecycle_changed_at")',
    'CREATE TABLE IF NOT EXISTS "connector_access" ("connector_id" VARCHAR(36) NOT NULL,'
    ' "project" VARCHAR(128) NOT NULL, PRIMARY KEY ("connector_id", "project"),'
    ' FOREIGN KEY ("connector_id") REFERENCES "connector" ("id") ON DELETE CASCADE)',
    'CREATE INDEX IF NOT EXISTS "connector_access_connector_id" ON "connector_access" ("connector_id")',
    'CREATE INDEX IF NOT EXISTS "connector_access_project_connector_id" ON "connector_access"'
    ' ("project", "connector_id")',
    'CREATE TABLE IF NOT EXISTS "connector_integration_type" ("connector_id" VARCHAR(36) NOT NULL,'
    ' "integration_type" VARCHAR(64) NOT NULL, PRIMARY KEY ("connector_id", "integration_type"),'
    ' FOREIGN KEY ("connector_id") REFERENCES "connector" ("id") ON DELETE CASCADE)',
    'CREATE INDEX IF NOT EXISTS "connector_integration_type_connector_id" ON "connector_integration_type"'
    ' ("connector_id")',
    'CREATE INDEX IF NOT EXISTS "connector_integration_type_integration_type_connector_id"'
    ' ON "connector_integration_type" ("integration_type", "connector_id")',
    'CREATE TABLE IF NOT EXISTS "connector_staged_create_request" ("project" VARCHAR(128) NOT NULL,'
    ' "request_id" VARCHAR(128) NOT NULL, "draft_id" VARCHAR(36) NOT NULL, PRIMARY KEY ("project", "request_id"))',
    'CREATE TABLE IF NOT EXISTS "connector_staged" ("id" VARCHAR(36) NOT NULL PRIMARY KEY,'
    ' "key" VARCHAR(256) NOT NULL, "version" {bigint} NOT NULL, "name" VARCHAR(256) NOT NULL,'
    ' "status" VARCHAR(32) NOT NULL, "private" {bool} NOT NULL, "is_previewable" VARCHAR(16) NOT NULL,'
    ' "creator_project" VARCHAR(128) NOT NULL, "published_version" {bigint} NOT NULL,'
    ' "created_at" {timestamp} NOT NULL, "updated_at" {timestamp} NOT NULL, "submitted_at" {timestamp},'
    ' "body" TEXT NOT NULL)',
    'CREATE UNIQUE INDEX IF NOT EXISTS "connector_staged_key" ON "connector_staged" ("key")',
    'CREATE INDEX IF NOT EXISTS "connector_staged_status" ON "connector_staged" ("status")',
    'CREATE INDEX IF NOT EXISTS "connector_staged_creator_project" ON "connector_staged" ("creator_project")',
    'CREATE INDEX IF NOT EXISTS "connector_staged_created_at_id" ON "connector_staged" ("created_at", "id")',
    'CREATE INDEX IF NOT EXISTS "connector_staged_name_id" ON "connector_staged" ("name", "id")',
    'CREATE TABLE IF NOT EXISTS "connector_staged_integration_type" ("draft_id" VARCHAR(36) NOT NULL,'
    ' "integration_type" VARCHAR(64) NOT NULL, PRIMARY KEY ("draft_id", "integration_type"),'
    ' FOREIGN KEY ("draft_id") REFERENCES "connector_staged" ("id") ON DELETE CASCADE)',
    'CREATE INDEX IF NOT EXISTS "connector_staged_integration_type_draft_id" ON "connector_staged_integration_type"'
    ' ("draft_id")',
    'CREATE INDEX IF NOT EXISTS "connector_staged_integration_type_integration_type_draft_id"'
    ' ON "connector_staged_integration_type" ("integration_type", "draft_id")',
    'CREATE TABLE IF NOT EXISTS "connector_version" ("connector_id" VARCHAR(36) NOT NULL,'
    ' "number" {bigint} NOT NULL, "published_at" {timestamp} NOT NULL, "body" TEXT NOT NULL,'
    ' PRIMARY KEY ("connector_id", "number"),'
    ' FOREIGN KEY ("connector_id") REFERENCES "connector" ("id") ON DELETE CASCADE)',
    'CREATE INDEX IF NOT EXISTS "connector_version_connector_id" ON "connector_version" ("connector_id")',
]


def _v1_schema(db: peewee.Database) -> None:
    _run(db, _V1)


_V2 = [
    'CREATE TABLE IF NOT EXISTS "connector_staged_job" ("id" VARCHAR(36) NOT NULL PRIMARY KEY,'
    ' "draft_id" VARCHAR(36) NOT NULL, "kind" VARCHAR(16) NOT NULL, "certification" {bool} NOT NULL,'
    ' "state" VARCHAR(16) NOT NULL, "attempts" INTEGER NOT NULL, "lease_owner" VARCHAR(64) NOT NULL,'
    ' "lease_expires_at" {timestamp}, "created_at" {timestamp} NOT NULL, "finished_at" {timestamp},'
    ' "outcome" VARCHAR(32) NOT NULL)',
    'CREATE INDEX IF NOT EXISTS "connector_staged_job_draft_id" ON "connector_staged_job" ("draft_id")',
    'CREATE INDEX IF NOT EXISTS "connector_staged_job_state_lease_expires_at" ON "connector_staged_job"'
    ' ("state", "lease_expires_at")',
    'CREATE INDEX IF NOT EXISTS "connector_staged_job_state_created_at" ON "connector_staged_job"'
    ' ("state", "created_at")',
]


def _v2_publishing_jobs(db: peewee.Database) -> None:
    """Publishing/preview jobs, and when a draft was submitted to certification (the queue's order)."""
    _run(db, _V2)
    # Databases whose migration 1 ran before drafts had submitted_at lack it; the others have it.
    if not any(column.name == "submitted_at" for column in db.get_columns("connector_staged")):
        _run(db, ['ALTER TABLE "connector_staged" ADD COLUMN "submitted_at" {timestamp}'])


# Indexes of migration 3: every marketplace sort of ListConnectors after the lifecycle filter, so a page is
# an index range walk (no sort of every visible row) and a keyset page starts at its position.
_V3 = [
    'CREATE INDEX IF NOT EXISTS "connector_lifecycle_name_id" ON "connector" ("lifecycle", "name", "id")',
    'CREATE INDEX IF NOT EXISTS "connector_lifecycle_key_id" ON "connector" ("lifecycle", "key", "id")',
    'CREATE INDEX IF NOT EXISTS "connector_lifecycle_created_at_id" ON "connector" ("lifecycle", "created_at", "id")',
    'CREATE INDEX IF NOT EXISTS "connector_lifecycle_updated_at_id" ON "connector" ("lifecycle", "updated_at", "id")',
]


def _v3_list_indexes(db: peewee.Database) -> None:
    """Indexes matching ListConnectors' filter and sorts (issue 6: the first page sorted every row)."""
    _run(db, _V3)


def _v4_creator_company(db: peewee.Database) -> None:
    """The connector's creator company as a column (the search filter ``creator.company``, lower case),
    filled in from each connector's latest version."""
    if not any(column.name == "creator_company" for column in db.get_columns("connector")):
        # A plain ADD COLUMN on both dialects (rebuilding a SQLite table to add a NOT NULL column would drop
        # the old table, and with it, by cascade, every published version).
        _run(db, ['ALTER TABLE "connector" ADD COLUMN "creator_company" VARCHAR(256) NOT NULL DEFAULT \'\''])
    latest = db.execute_sql(
        'SELECT c."id", v."number", v."published_at", v."body" FROM "connector" c JOIN "connector_version" v'
        ' ON v."connector_id" = c."id" AND v."number" = c."latest_version"').fetchall()
    update = f'UPDATE "connector" SET "creator_company" = {db.param} WHERE "id" = {db.param}'
    for connector_id, number, published_at, body in latest:
        company = codec.version_from_row(connector_id, number, published_at, body).creator.company
        if company:
            db.execute_sql(update, (company.lower(), connector_id))


def _url_without_credentials(url: str) -> str:
    """Migration 5's rule, frozen: no user information in an https or file URL, at most the login user in
    an ssh URL (``git@host:repo`` has no password and stays)."""
    if "://" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    netloc = f"{user}@{host}" if parts.scheme.lower() == "ssh" and user else host
    return parts._replace(netloc=netloc).geturl()


def _strip_version_urls(db: peewee.Database) -> None:
    update = f'UPDATE "connector_version" SET "body" = {db.param} WHERE "connector_id" = {db.param} AND "number" = {db.param}'
    for connector_id, number, body in db.execute_sql(
            'SELECT "connector_id", "number", "body" FROM "connector_version"').fetchall():
        raw = json.loads(body)
        url = (raw.get("repository") or {}).get("url", "")
        if _url_without_credentials(url) != url:
            raw["repository"]["url"] = _url_without_credentials(url)
            db.execute_sql(update, (json.dumps(raw, sort_keys=True), connector_id, number))


def _strip_draft_urls(db: peewee.Database) -> None:
    """The drafts' URLs; a draft that matched its published version still does (its ``published_hash``
    follows the URL, as the version's URL changed the same way), so ``hasChanges`` stays what it was."""
    names = ("id", "key", "version", "name", "status", "private", "is_previewable", "creator_project",
             "published_version", "created_at", "updated_at", "submitted_at")
    columns = ", ".join(f'"{name}"' for name in names)
    update = f'UPDATE "connector_staged" SET "body" = {db.param} WHERE "id" = {db.param}'
    for row in db.execute_sql(f'SELECT {columns}, "body" FROM "connector_staged"').fetchall():
        body = row[-1]
        raw = json.loads(body)
        url = (raw.get("repository") or {}).get("url", "")
        clean = _url_without_credentials(url)
        preview = (raw.get("preview") or {}).get("repository") or {}  # a granted preview's snapshot
        preview_url = preview.get("url", "")
        if clean == url and _url_without_credentials(preview_url) == preview_url:
            continue
        if preview_url:
            preview["url"] = _url_without_credentials(preview_url)
        if clean == url:
            db.execute_sql(update, (json.dumps(raw, sort_keys=True), row[0]))
            continue
        raw["repository"]["url"] = clean
        if raw.get("published_hash"):
            before = codec.draft_from_row(dict(zip(names, row)), body)
            if raw["published_hash"] == content_hash(before):
                raw["published_hash"] = content_hash(replace(before, repository=replace(before.repository, url=clean)))
        db.execute_sql(update, (json.dumps(raw, sort_keys=True), row[0]))


def _v5_repository_credentials(db: peewee.Database) -> None:
    """Repository credentials out of repository URLs: a column for the sealed credentials
    (``setRepositoryCredentials``), and user information removed from every stored URL (drafts and
    published versions), so that no credential written into a URL before is served or kept."""
    if not any(column.name == "repository_credentials" for column in db.get_columns("connector_staged")):
        _run(db, ['ALTER TABLE "connector_staged" ADD COLUMN "repository_credentials" TEXT'])
    _strip_draft_urls(db)
    _strip_version_urls(db)
# Migration 8, PostgreSQL only: every committed change of a draft is announced on this channel (payload: the
# draft's id), so that catalog processes sharing the database wake their watch streams at once
# (``catalog_service.storage.listener``). NOTIFY is delivered when the writing transaction commits.
DRAFT_CHANNEL = "plugboard_draft_changed"
_V8_POSTGRES = [
    'CREATE OR REPLACE FUNCTION "plugboard_notify_draft_changed"() RETURNS trigger AS $$'
    " BEGIN PERFORM pg_notify('" + DRAFT_CHANNEL + "', COALESCE(NEW.\"id\", OLD.\"id\")); RETURN NULL; END;"
    " $$ LANGUAGE plpgsql",
    'DROP TRIGGER IF EXISTS "connector_staged_notify" ON "connector_staged"',
    'CREATE TRIGGER "connector_staged_notify" AFTER INSERT OR UPDATE OR DELETE ON "connector_staged"'
    ' FOR EACH ROW EXECUTE FUNCTION "plugboard_notify_draft_changed"()',
]


def _v8_draft_notifications(db: peewee.Database) -> None:
    """PostgreSQL: a trigger announcing each draft change (SQLite: nothing, its notifier is in-process)."""
    if is_postgres(db):
        for statement in _V8_POSTGRES:
            db.execute_sql(statement)


def _v9_draft_deletion(db: peewee.Database) -> None:
    """When a draft's delete began (the deletion protocol's mark on a never-published draft). A database
    whose migration 1 was the models' ``create_tables`` of a later day has the column already."""
    if not any(column.name == "deleting_since" for column in db.get_columns("connector_staged")):
        _run(db, ['ALTER TABLE "connector_staged" ADD COLUMN "deleting_since" {timestamp}'])


MIGRATIONS = [
    Migration(1, "create catalog tables", _v1_schema),
    Migration(2, "publishing jobs and certification submission time", _v2_publishing_jobs),
    Migration(3, "connector list indexes", _v3_list_indexes),
    Migration(4, "connector creator company", _v4_creator_company),
    Migration(5, "repository credentials out of repository URLs", _v5_repository_credentials),
    Migration(7, "change history records", lambda db: create_table_v1(db, "catalog_change")),
    Migration(8, "draft change notifications", _v8_draft_notifications),
    Migration(9, "draft deletion mark", _v9_draft_deletion),
]
