"""Migration 4 from the schema before installations, with existing instances, on SQLite and PostgreSQL:
every READY instance gets an installation at the version it uses (one per project, connector and version),
so no instance changes version; the instance service then serves them as before."""

from __future__ import annotations

from instance_service.storage.installations import InstallationRepository
from instance_service.storage.migrations import COMPONENT, MIGRATIONS
from instance_service.storage.models import database_proxy
from instance_service.storage.repository import InstanceRepository
from instance_service.domain.installation_model import InstallationOrigin, InstallationState
from plugboard.storage.migrations import migrate
from tests.schema import close, fresh_database

COLUMNS = ("id", "project", "name", "connector_id", "connector_key", "connector_version", "latest_version",
           "version_policy", "timezone", "date_format", "rate_limit_unit", "rate_limit_duration", "state",
           "version", "last_test_outcome", "configuration", "create_time", "update_time")
CONFIG = '[{"key":"REGION","secret":false,"required":false,"default":"eu","description":"Region"}]'


def _row(db, instance_id, project, connector, version, state="READY", policy="FOLLOW_LATEST"):  # type: ignore[no-untyped-def]
    p = db.param
    db.execute_sql(
        f"INSERT INTO instances ({', '.join(COLUMNS)}) VALUES ({', '.join([p] * len(COLUMNS))})",
        (instance_id, project, f"name {instance_id}", connector, f"key-{connector}", version, 3, policy, "UTC",
         "Y-m-d", "MINUTE", 1, state, 1, "UNSPECIFIED", CONFIG, 1_000_000 * len(instance_id), 2_000_000))
    db.execute_sql(
        "INSERT INTO instance_variables (id, instance_id, position, key, label, secret, locked, alias, "
        f"configurable, required, advanced, value, fingerprint) VALUES ({', '.join([p] * 13)})",
        (f"v-{instance_id}", instance_id, 0, "REGION", "", False, False, "", False, False, False, "us", ""))


def test_migration_4_gives_every_instance_an_installation_at_its_version(empty_database_url):
    db = fresh_database(empty_database_url, "before-installations")
    try:
        migrate(db, COMPONENT, MIGRATIONS[:3])  # today's schema
        _row(db, "i-1", "acme", "c-1", 1)
        _row(db, "i-2", "acme", "c-1", 1, policy="PINNED")
        _row(db, "i-3", "acme", "c-1", 2)
        _row(db, "i-4", "beta", "c-1", 1)
        _row(db, "i-5", "acme", "c-2", 4)
        _row(db, "i-6", "acme", "c-2", 0, state="PENDING")  # a create under way: left to the reconciler
        assert migrate(db, COMPONENT, MIGRATIONS) == [m.version for m in MIGRATIONS[3:]]  # 4 and later
        database_proxy.initialize(db)
        instances = InstanceRepository(db)
        installations = InstallationRepository(db)
        by_instance = {i: instances.get(project, i) for project, i in
                       (("acme", "i-1"), ("acme", "i-2"), ("acme", "i-3"), ("beta", "i-4"), ("acme", "i-5"))}
        assert {i: item.connector_version for i, item in by_instance.items()} == {
            "i-1": 1, "i-2": 1, "i-3": 2, "i-4": 1, "i-5": 4}  # nobody changed version
        assert by_instance["i-1"].installation_id == by_instance["i-2"].installation_id
        assert len({item.installation_id for item in by_instance.values()}) == 4
        assert {v.key: v.value for v in by_instance["i-1"].variables} == {"REGION": "us"}
        for instance_id, item in by_instance.items():
            installation = installations.get(item.project, item.installation_id)
            assert installation.connector_id == item.connector_id
            assert installation.connector_version == item.connector_version
            assert installation.connector_key == item.connector_key
            assert installation.origin is InstallationOrigin.MIGRATED and installation.state is InstallationState.READY
            assert installation.revision == 0 and not installation.modified
            assert installation.configuration is not None and installation.configuration.get("REGION") is not None
        first = installations.get("acme", by_instance["i-1"].installation_id)
        assert first.instance_count == 2 and first.latest_version == 3
        pending = db.execute_sql("SELECT installation_id FROM instances WHERE id = 'i-6'").fetchone()
        assert pending == (None,)
        total, refs = installations.count_references("c-1", 10)
        assert total == 3 and {r.project for r in refs} == {"acme", "beta"}
    finally:
        close(db)
