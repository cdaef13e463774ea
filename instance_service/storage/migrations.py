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


MIGRATIONS: list[Migration] = [
    Migration(1, "instances, variables, request ids", _v1_schema),
    Migration(2, "connection test results, upgrade status", _v2_tests_and_upgrades),
    Migration(3, "ListInstances by connector: index in sort order", _v3_list_by_connector_index),
    Migration(5, "change history records", lambda db: create_table_v1(db, "instance_change")),
]
