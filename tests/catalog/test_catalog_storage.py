"""The catalog store on SQLite and PostgreSQL: round trips, constraints, compare-and-swap, the job queue and
the deletion protocol's transitions. The store reports only what it knows (not found, a stale version,
nothing changed); the rules on top of it are the use cases' (tests/catalog/test_*_rpc.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from catalog_service.domain import drafts, publishing
from catalog_service.domain.model import Creator, Draft, Lifecycle, Repository, Specification, Status
from catalog_service.domain.publishing import JobKind, JobRequest
from catalog_service.storage import COMPONENT, MIGRATIONS, CatalogStore, open_store
from plugboard.errors import AlreadyExists, ConcurrentModification, NotFound
from plugboard.storage.migrations import current_version, migrate

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def store(database_url):
    store = open_store(database_url)
    yield store
    store.db.close()


def new_draft(key: str, project: str = "acme", **fields) -> Draft:  # type: ignore[no-untyped-def]
    draft = drafts.new_draft(
        drafts.DraftInput(key=key, name=f"Connector {key}", integration_types=("erp",), creator=Creator(name="V"),
                          repository=Repository("https://github.com/acme/c.git", "v1.0.0")),
        draft_id=f"id-{key}", project=project, now=T0)
    return replace(draft, **fields)


def publish(store: CatalogStore, draft: Draft, now: datetime = T0) -> Draft:
    """Write ``draft``'s next published version as the publishing job does; the draft after it."""
    version = publishing.new_version(draft, certified=False, now=now)
    published = publishing.published_draft(draft, version, private=False, report=(), now=now)
    return store.save_draft(published, draft.version, version)


def test_migrations_from_empty_and_again(store):
    assert current_version(store.db, COMPONENT) == MIGRATIONS[-1].version
    assert migrate(store.db, COMPONENT, MIGRATIONS) == []
    assert {"connector_staged", "connector", "connector_version", "connector_staged_job"} <= set(store.db.get_tables())


def test_a_draft_round_trips_by_id_and_key(store):
    draft = new_draft("shop", description="Syncs a shop", supported_regions=("europe-west1.gcp",),
                      specification=Specification())
    assert store.create_draft(draft) == draft
    assert store.get_draft(draft.id) == draft
    assert store.get_draft_by_key("shop") == draft
    with pytest.raises(NotFound):
        store.get_draft("missing")
    with pytest.raises(NotFound):
        store.get_draft_by_key("missing")


def test_keys_are_unique_and_a_request_id_replays_the_first_draft(store):
    first = store.create_draft(new_draft("one"), "req-1")
    assert store.create_draft(replace(new_draft("two"), id="id-other"), "req-1") == first  # the replay
    with pytest.raises(NotFound):
        store.get_draft("id-other")  # nothing else was written
    with pytest.raises(AlreadyExists) as raised:
        store.create_draft(replace(new_draft("one"), id="id-again"))
    assert raised.value.reason == "DUPLICATE_FIELD_VALUE"
    with pytest.raises(NotFound):
        store.get_draft("id-again")


def test_save_is_a_compare_and_swap_on_the_version(store):
    draft = store.create_draft(new_draft("cas"))
    renamed = replace(draft, name="Renamed", version=2)
    assert store.save_draft(renamed, 1) == renamed
    with pytest.raises(ConcurrentModification) as raised:
        store.save_draft(replace(draft, name="Lost", version=2), 1)  # written by someone else first
    assert (raised.value.expected_version, raised.value.current_version) == (1, 2)
    assert store.get_draft(draft.id).name == "Renamed"
    store.delete_draft(draft.id, 2)
    with pytest.raises(NotFound):
        store.save_draft(replace(renamed, version=3), 2)


def test_delete_removes_only_the_expected_version_and_its_jobs(store):
    draft = store.create_draft(new_draft("del"))
    queued = replace(draft, status=Status.PROCESSING, version=2)
    store.save_draft(queued, 1, job=JobRequest(JobKind.PUBLISH))
    assert not store.delete_draft(draft.id, 1)  # stale: nothing changed
    assert store.get_draft(draft.id) == queued
    assert store.delete_draft(draft.id, 2)
    with pytest.raises(NotFound):
        store.get_draft(draft.id)
    assert store.claim_job("worker", T0, 60) is None  # its job went with it
    assert not store.delete_draft(draft.id, 2)  # already gone: nothing changed


def test_jobs_are_claimed_once_finished_with_the_draft_and_released(store):
    draft = store.create_draft(new_draft("job"))
    queued = store.save_draft(replace(draft, status=Status.PROCESSING, version=2), 1,
                              job=JobRequest(JobKind.PUBLISH, certification=True))
    job = store.claim_job("worker-1", T0, 60)
    assert job is not None and (job.draft_id, job.kind, job.certification, job.attempts) == (
        draft.id, JobKind.PUBLISH, True, 1)
    assert store.claim_job("worker-2", T0, 60) is None  # held under its lease
    assert store.release_job(job)
    again = store.claim_job("worker-2", T0, 60)
    assert again is not None and (again.id, again.attempts) == (job.id, 1)  # a release is not an attempt
    assert not store.finish_job(job, "failed", T0)  # worker-1 no longer holds it: nothing written
    failed = replace(queued, status=Status.FAILED, version=3)
    with pytest.raises(ConcurrentModification):
        store.finish_job(again, "failed", T0, failed, expected_version=1)  # stale draft: nothing written
    assert store.get_draft(draft.id).status == Status.PROCESSING
    assert store.finish_job(again, "failed", T0, failed, expected_version=2)
    assert store.get_draft(draft.id) == failed
    assert store.claim_job("worker-3", T0 + timedelta(hours=1), 60) is None  # done jobs are never claimed again


def test_a_published_version_is_served_and_listed(store):
    draft = store.create_draft(new_draft("pub"))
    first = publish(store, draft)
    second = publish(store, replace(first, name="Second"), T0 + timedelta(minutes=1))
    connector = store.get_connector(draft.id)
    assert (connector.lifecycle, connector.latest.number, connector.latest.name) == (Lifecycle.ACTIVE, 2, "Second")
    assert store.get_connector(key="pub").id == draft.id
    assert store.get_version(draft.id, 1).name == "Connector pub"
    page = store.list_versions(draft.id, limit=10, offset=0, page_token="")
    assert [v.number for v in page.items] == [2, 1] and page.total == 2
    assert second.published_version == 2
    with pytest.raises(NotFound):
        store.get_version(draft.id, 3)
    with pytest.raises(NotFound):
        store.get_connector("missing")


def test_a_drafts_deletion_mark_is_a_compare_and_swap_and_stale_marks_go(store):
    """The deletion protocol's mark on a never-published draft: on its version, once; only a marked draft
    is deleted by the protocol, only an unmarked one directly; the reconciler clears a stale mark."""
    draft = store.create_draft(new_draft("marked"))
    assert not store.begin_draft_deletion(draft.id, draft.version + 1, T0)  # stale version
    assert not store.deletion_under_way(draft.id)
    assert store.begin_draft_deletion(draft.id, draft.version, T0)
    assert not store.begin_draft_deletion(draft.id, draft.version, T0)  # already marked
    assert store.deletion_under_way(draft.id) and store.get_draft(draft.id).version == draft.version
    assert not store.delete_draft(draft.id, draft.version)  # a direct delete never races the protocol
    assert store.revert_stale_deletions(T0) == 0  # marked at T0: not older than T0
    assert store.revert_stale_deletions(T0 + timedelta(seconds=1)) == 1
    assert not store.deletion_under_way(draft.id)
    assert not store.delete_draft(draft.id, draft.version, marked=True)  # unmarked: not the protocol's
    assert store.begin_draft_deletion(draft.id, draft.version, T0)
    assert store.cancel_draft_deletion(draft.id) and not store.cancel_draft_deletion(draft.id)
    assert store.begin_draft_deletion(draft.id, draft.version, T0)
    assert store.delete_draft(draft.id, draft.version, marked=True)
    with pytest.raises(NotFound):
        store.cancel_draft_deletion(draft.id)


def test_the_deletion_transitions_report_what_changed(store):
    draft = store.create_draft(new_draft("gone"))
    publish(store, draft)
    assert store.complete_deletion(draft.id) is None  # ACTIVE: nothing deleted
    assert store.get_connector(draft.id).lifecycle == Lifecycle.ACTIVE
    connector, changed = store.begin_deletion(draft.id, T0)
    assert changed and connector.lifecycle == Lifecycle.DELETING
    connector, changed = store.begin_deletion(draft.id, T0)
    assert not changed and connector.lifecycle == Lifecycle.DELETING
    assert store.cancel_deletion(draft.id).lifecycle == Lifecycle.ACTIVE
    assert store.cancel_deletion(draft.id).lifecycle == Lifecycle.ACTIVE  # nothing to cancel: unchanged
    store.begin_deletion(draft.id, T0)
    assert store.revert_stale_deletions(T0) == 0  # begun at T0: not older than T0
    assert store.revert_stale_deletions(T0 + timedelta(seconds=1)) == 1
    store.begin_deletion(draft.id, T0)
    connector, versions = store.complete_deletion(draft.id)
    assert (connector.id, versions) == (draft.id, 1)
    for read in (lambda: store.get_connector(draft.id), lambda: store.get_draft(draft.id),
                 lambda: store.get_version(draft.id, 1), lambda: store.begin_deletion(draft.id, T0)):
        with pytest.raises(NotFound):
            read()
