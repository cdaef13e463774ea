"""Schema migrations of the instance database (component "instance").

Each migration is plain DDL written for the version it creates, so that later model changes never
alter what an old migration does. The statements work on SQLite and PostgreSQL alike except for the
binary type, chosen per database.
"""

from __future__ import annotations

import peewee

from plugboard.history.storage import create_table_v1
from plugboard.storage.database import is_postgres
from plugboard.storage.migrations import Migration

COMPONENT = "instance"


def _v1_schema(db: peewee.Database) -> None:
    blob = "BYTEA" if is_postgres(db) else "BLOB"
    statements = [
        """
        CREATE TABLE instances (
            id VARCHAR(36) NOT NULL PRIMARY KEY,
            project VARCHAR(255) NOT NULL,
            name VARCHAR(255) NOT NULL,
            connector_id VARCHAR(255) NOT NULL,
            connector_key VARCHAR(255) NOT NULL,
            connector_version BIGINT NOT NULL,
            latest_version BIGINT NOT NULL DEFAULT 0,
            version_policy VARCHAR(32) NOT NULL,
            timezone VARCHAR(64) NOT NULL,
            date_format VARCHAR(64) NOT NULL,
            rate_limit_unit VARCHAR(16) NOT NULL,
            rate_limit_duration INTEGER NOT NULL,
            connection_pool_id BIGINT NULL,
            certificate_id VARCHAR(255) NULL,
            platform_app_key VARCHAR(255) NOT NULL DEFAULT '',
            session_id VARCHAR(255) NULL,
            type VARCHAR(255) NOT NULL DEFAULT '',
            state VARCHAR(16) NOT NULL,
            version BIGINT NOT NULL,
            last_test_outcome VARCHAR(32) NOT NULL DEFAULT 'UNSPECIFIED',
            configuration TEXT NULL,
            create_time BIGINT NOT NULL,
            update_time BIGINT NOT NULL
        )
        """,
        # ListInstances: a project's instances by name (keyset paging on name, id).
        "CREATE INDEX instances_project_name ON instances (project, name, id)",
        # CountConnectorReferences: a connector's instances, oldest first.
        "CREATE INDEX instances_connector ON instances (connector_id, create_time, id)",
        # The reconciler: stale PENDING rows.
        "CREATE INDEX instances_state_created ON instances (state, create_time)",
        f"""
        CREATE TABLE instance_variables (
            id VARCHAR(36) NOT NULL PRIMARY KEY,
            instance_id VARCHAR(36) NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            key VARCHAR(128) NOT NULL,
            label VARCHAR(255) NOT NULL DEFAULT '',
            secret BOOLEAN NOT NULL,
            locked BOOLEAN NOT NULL,
            alias VARCHAR(255) NOT NULL DEFAULT '',
            configurable BOOLEAN NOT NULL,
            required BOOLEAN NOT NULL,
            advanced BOOLEAN NOT NULL,
            value TEXT NULL,
            ciphertext {blob} NULL,
            fingerprint VARCHAR(16) NOT NULL DEFAULT '',
            value_update_time BIGINT NULL,
            CONSTRAINT instance_variables_secret_never_plain CHECK (NOT (secret AND value IS NOT NULL))
        )
        """,
        "CREATE UNIQUE INDEX instance_variables_instance_key ON instance_variables (instance_id, key)",
        """
        CREATE TABLE instance_requests (
            project VARCHAR(255) NOT NULL,
            request_id VARCHAR(255) NOT NULL,
            instance_id VARCHAR(36) NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
            create_time BIGINT NOT NULL,
            PRIMARY KEY (project, request_id)
        )
        """,
        "CREATE INDEX instance_requests_instance ON instance_requests (instance_id)",
    ]
    for statement in statements:
        db.execute_sql(statement)


def _v2_tests_and_upgrades(db: peewee.Database) -> None:
    statements = [
        # JSON list of the reasons a following instance could not move to latest_version.
        "ALTER TABLE instances ADD COLUMN upgrade_blocked TEXT NULL",
        # Id of the instance's last connection test (connection_tests.id).
        "ALTER TABLE instances ADD COLUMN last_test_id VARCHAR(36) NULL",
        """
        CREATE TABLE connection_tests (
            id VARCHAR(36) NOT NULL PRIMARY KEY,
            instance_id VARCHAR(36) NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
            outcome VARCHAR(32) NOT NULL,
            http_status INTEGER NOT NULL,
            latency_ms BIGINT NOT NULL,
            message TEXT NOT NULL,
            connector_version BIGINT NOT NULL,
            test_time BIGINT NOT NULL
        )
        """,
        # ListConnectionTests: an instance's results, newest first (keyset on test_time, id).
        "CREATE INDEX connection_tests_instance_time ON connection_tests (instance_id, test_time, id)",
        # UpgradeInstance by connector: a project's instances of a connector.
        "CREATE INDEX instances_project_connector ON instances (project, connector_id)",
    ]
    for statement in statements:
        db.execute_sql(statement)


def _v3_list_by_connector_index(db: peewee.Database) -> None:
    statements = [
        # ListInstances filtered by connector: the filter (project, connector_id, READY) and the sort
        # (name, id) in one index, so a page is read in order (no sort of all the connector's instances);
        # the COUNT reads the same index. Its prefix serves UpgradeInstance by connector as well.
        "CREATE INDEX instances_project_connector_state_name ON instances (project, connector_id, state, name, id)",
        "DROP INDEX instances_project_connector",
    ]
    for statement in statements:
        db.execute_sql(statement)


def _v4_installations(db: peewee.Database) -> None:
    statements = [
        """
        CREATE TABLE installations (
            id VARCHAR(36) NOT NULL PRIMARY KEY,
            project VARCHAR(255) NOT NULL,
            connector_id VARCHAR(255) NOT NULL,
            connector_key VARCHAR(255) NOT NULL,
            connector_name VARCHAR(255) NOT NULL DEFAULT '',
            connector_version BIGINT NOT NULL,
            latest_version BIGINT NOT NULL DEFAULT 0,
            origin VARCHAR(16) NOT NULL,
            slot VARCHAR(36) NOT NULL DEFAULT '',
            state VARCHAR(16) NOT NULL,
            version BIGINT NOT NULL,
            revision BIGINT NOT NULL DEFAULT 0,
            customisation TEXT NULL,
            configuration TEXT NULL,
            created_by TEXT NULL,
            modified_by TEXT NULL,
            modify_time BIGINT NULL,
            create_time BIGINT NOT NULL,
            update_time BIGINT NOT NULL
        )
        """,
        # One installation per (project, connector, version), except explicit alongside ones (slot = id).
        "CREATE UNIQUE INDEX installations_unique_version ON installations "
        "(project, connector_id, connector_version, slot)",
        # ListInstallations: a project's installations by connector key (keyset on key, id).
        "CREATE INDEX installations_project_key ON installations (project, connector_key, id)",
        # CountConnectorReferences: a connector's installations in every project, oldest first.
        "CREATE INDEX installations_connector ON installations (connector_id, create_time, id)",
        # The reconciler: stale PENDING and REMOVING rows.
        "CREATE INDEX installations_state_created ON installations (state, create_time)",
        """
        CREATE TABLE installation_requests (
            project VARCHAR(255) NOT NULL,
            request_id VARCHAR(255) NOT NULL,
            installation_id VARCHAR(36) NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
            create_time BIGINT NOT NULL,
            PRIMARY KEY (project, request_id)
        )
        """,
        "CREATE INDEX installation_requests_installation ON installation_requests (installation_id)",
        """
        CREATE TABLE installation_revisions (
            installation_id VARCHAR(36) NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
            number BIGINT NOT NULL,
            author TEXT NOT NULL,
            based_on_version BIGINT NOT NULL,
            customisation TEXT NOT NULL,
            changes TEXT NOT NULL,
            create_time BIGINT NOT NULL,
            PRIMARY KEY (installation_id, number)
        )
        """,
        # The installation an instance belongs to (its version is the installation's).
        "ALTER TABLE instances ADD COLUMN installation_id VARCHAR(36) NULL REFERENCES installations (id)",
        # UninstallConnector and the moves: an installation's instances, PENDING ones included.
        "CREATE INDEX instances_installation ON instances (installation_id, state, name, id)",
    ]
    for statement in statements:
        db.execute_sql(statement)
    _backfill_installations(db)


def _backfill_installations(db: peewee.Database) -> None:
    """Give every existing instance an installation at the version it uses: one per (project, connector,
    version), origin MIGRATED, unmodified; the first of a connector's versions in a project takes slot ''
    (so a later InstallConnector of that version answers ALREADY_EXISTS as for any installed version)."""
    import json
    import time
    import uuid

    p = db.param
    now = int(time.time() * 1_000_000)
    groups = db.execute_sql(
        "SELECT project, connector_id, connector_version, MIN(connector_key), MAX(latest_version), "
        "MIN(create_time) FROM instances WHERE state = 'READY' GROUP BY project, connector_id, connector_version "
        "ORDER BY project, connector_id, connector_version"
    ).fetchall()
    system = json.dumps({"system": "migration"})
    for project, connector_id, connector_version, connector_key, latest, created in groups:
        installation_id = str(uuid.uuid4())
        configuration = db.execute_sql(
            f"SELECT configuration FROM instances WHERE project = {p} AND connector_id = {p} "
            f"AND connector_version = {p} AND state = 'READY' AND configuration IS NOT NULL LIMIT 1",
            (project, connector_id, connector_version),
        ).fetchone()
        db.execute_sql(
            "INSERT INTO installations (id, project, connector_id, connector_key, connector_name, "
            "connector_version, latest_version, origin, slot, state, version, revision, customisation, "
            "configuration, created_by, modified_by, modify_time, create_time, update_time) VALUES "
            f"({', '.join([p] * 19)})",
            (installation_id, project, connector_id, connector_key or "", "", connector_version,
             max(latest or 0, connector_version), "MIGRATED", "", "READY", 1, 0, None,
             configuration[0] if configuration else None, system, None, None, created or now, now),
        )
        db.execute_sql(
            f"UPDATE instances SET installation_id = {p} WHERE project = {p} AND connector_id = {p} "
            f"AND connector_version = {p} AND state = 'READY'",
            (installation_id, project, connector_id, connector_version),
        )


MIGRATIONS: list[Migration] = [
    Migration(1, "instances, variables, request ids", _v1_schema),
    Migration(2, "connection test results, upgrade status", _v2_tests_and_upgrades),
    Migration(3, "ListInstances by connector: index in sort order", _v3_list_by_connector_index),
    Migration(4, "installations, their revisions; every instance in an installation", _v4_installations),
    Migration(5, "change history records", lambda db: create_table_v1(db, "instance_change")),
]
