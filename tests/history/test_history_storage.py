"""The change history's storage on SQLite and PostgreSQL: API-key records in the gateway's key store,
the reconciler as a system actor, the retention sweep (bounded), the NDJSON export with its progress."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import pytest

from catalog_service.domain.service import Catalog
from catalog_service.storage import open_store
from gateway.key_store import KeyStore
from plugboard import history
from plugboard.history import cli, retention
from plugboard.history.storage import HistoryTable


@pytest.fixture
def store(database_url):
    made = open_store(database_url)
    yield made
    made.db.close()


def _records(table: HistoryTable, count: int, start: datetime, step: timedelta) -> list[history.Record]:
    made = [history.record("instance", f"i-{n}", project="acme", at=start + n * step,
                           changes=[history.Change("setName", f"n{n}", f"n{n + 1}")]) for n in range(count)]
    with table.db.atomic():
        table.add(*made)  # one multi-row INSERT
    return made


def test_api_key_create_and_revoke_write_their_records(database_url):
    keys = KeyStore.open(database_url)
    try:
        new = keys.create("acme", ["view_connectors"], "ci")
        keys.revoke(new.record.key_id)
        keys.revoke(new.record.key_id)  # already revoked: nothing changes, nothing recorded
        page = keys.history.query(history.Query(resource_id=new.record.key_id))
        assert [(r.type, r.changes[0].name) for r in page.items] == [
            (history.UPDATED, "revokeApiKey"), (history.CREATED, "createApiKey")]
        assert page.items[1].changes[0].next == {"name": "ci", "scopes": ["view_connectors"]}
        assert all(r.author.system == "keys-command" and r.project == "acme" for r in page.items)
        assert new.key.split("_")[-1] not in json.dumps([r.to_json() for r in page.items])  # no secret
    finally:
        keys.close()


def test_the_deletion_reconciler_records_itself_as_a_system_actor(store):
    from tests.catalog.test_catalog_storage import new_draft, publish

    catalog = Catalog(store)
    draft = store.create_draft(new_draft("reconciled"))
    connector_id = publish(store, draft).id
    catalog.begin_deletion(connector_id)
    assert catalog.revert_stale_deletions(-1) == 1
    page = store.history.query(history.Query(resource_id=connector_id, change="revertConnectorDeletion"))
    assert page.total == 1
    assert (page.items[0].author.kind, page.items[0].author.system) == (history.AuthorKind.SYSTEM,
                                                                        "deletion-reconciler")
    assert store.history.query(history.Query(resource_id=connector_id, change="beginConnectorDeletion")).total == 1


def test_the_sweep_deletes_only_expired_records_a_bounded_batch_at_a_time(store):
    table = store.history
    now = datetime.now(timezone.utc)
    _records(table, 5, now - timedelta(days=40), timedelta(minutes=1))
    recent = _records(table, 2, now - timedelta(days=1), timedelta(minutes=1))
    assert retention.sweep_once(table, 0, 100) == 0  # 0 days: kept forever
    assert retention.sweep_once(table, 30, 3) == 3
    assert retention.sweep_once(table, 30, 3) == 2
    assert retention.sweep_once(table, 30, 3) == 0
    assert {r.id for r in table.query(history.Query(limit=100)).items} == {r.id for r in recent}


def test_the_export_writes_ndjson_oldest_first_with_progress_on_long_exports(store, monkeypatch):
    table = store.history
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    made = _records(table, 7, start, timedelta(hours=1))
    out, err = io.StringIO(), io.StringIO()
    assert cli.export(table, out, err, start + timedelta(hours=1), start + timedelta(hours=6), batch=2) == 5
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["id"] for line in lines] == [r.id for r in made[1:6]]
    assert lines[0]["changes"] == [{"change": "setName", "previousValue": "n1", "nextValue": "n2"}]
    assert lines[0]["modifiedAt"].startswith("2026-01-01T01:00:00") and err.getvalue() == ""
    monkeypatch.setattr(cli, "PROGRESS_EVERY", 2)
    out, err = io.StringIO(), io.StringIO()
    assert cli.export(table, out, err, None, None, batch=3) == 7
    assert "exported 2 of 7 record(s)" in err.getvalue() and "done: exported 7" in err.getvalue()
