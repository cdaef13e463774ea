"""The catalog's read caches (issue 6) never serve what changed: deleted connectors, new versions, totals.

RPC tests run on a real server; the store tests run ``CatalogStore`` on a real database (SQLite and
PostgreSQL) with a tiny anchor stride, so that deep offset pages (served from cached anchors) can be
compared with the plain ordering row by row, and count the SQL statements a cached read executes.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from catalog_service.domain import model as m
from catalog_service.storage import reads
from catalog_service.storage import CatalogStore, open_store
from catalog_service.storage.migrations import MIGRATIONS
from catalog_service.storage.models import database_proxy
from plugboard.storage.database import open_database
from plugboard.storage.migrations import migrate
from plugboard.catalog.v1 import catalog_service_pb2 as pb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.errors import NotFound
from tests.catalog.gitrepos import publish_and_wait
from tests.catalog.test_drafts_rpc import Action, create, update
from tests.rich import expect_error


def test_cached_connector_is_not_served_after_a_new_version_or_its_deletion(catalog, unique, repo_url):
    draft = create(catalog, f"cache-{unique}", name=f"Cached {unique}",
                   repository=spb.Repository(url=repo_url, tag="v1.0.0"))
    published = publish_and_wait(catalog, draft)
    assert not published.has_changes
    by_id = pb.GetConnectorRequest(id=draft.id, project="acme")
    by_key = pb.GetConnectorByKeyRequest(key=draft.key, project="acme")
    usable = pb.CheckConnectorUsableRequest(id=draft.id, project="acme")
    listing = pb.ListConnectorsRequest(project="acme", text=unique)
    for _ in range(2):  # the second round is served from the caches
        assert catalog.GetConnector(by_id).latest.number == 1
        assert catalog.GetConnectorByKey(by_key).latest.name == f"Cached {unique}"
        assert catalog.CheckConnectorUsable(usable).latest_version == 1
        assert catalog.ListConnectors(listing).total == 1

    edited = update(catalog, published, Action(set_name=Action.SetName(name=f"Renamed {unique}")))
    assert edited.has_changes
    assert catalog.GetConnector(by_id).latest.name == f"Cached {unique}"  # published versions are immutable
    again = publish_and_wait(catalog, edited)
    assert again.published_version == 2 and not again.has_changes
    connector = catalog.GetConnector(by_id)
    assert (connector.latest.number, connector.latest.name) == (2, f"Renamed {unique}")
    assert catalog.GetConnectorByKey(by_key).latest.number == 2
    answer = catalog.CheckConnectorUsable(usable)
    assert (answer.latest_version, answer.version.number, answer.version.name) == (2, 2, f"Renamed {unique}")
    pinned = catalog.CheckConnectorUsable(pb.CheckConnectorUsableRequest(id=draft.id, project="acme", version=1))
    assert (pinned.latest_version, pinned.version.name) == (2, f"Cached {unique}")
    assert [c.latest.number for c in catalog.ListConnectors(listing).results] == [2]

    deleting = catalog.BeginConnectorDeletion(pb.BeginConnectorDeletionRequest(id=draft.id))
    assert deleting.lifecycle_state == 2  # DELETING, seen at once by the cached reads
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: catalog.CheckConnectorUsable(usable),
                 reason="CONNECTOR_DELETING")
    assert catalog.ListConnectors(listing).total == 0  # the marketplace shows ACTIVE connectors only
    catalog.CompleteConnectorDeletion(pb.CompleteConnectorDeletionRequest(id=draft.id))
    for call in (lambda: catalog.GetConnector(by_id), lambda: catalog.GetConnectorByKey(by_key),
                 lambda: catalog.CheckConnectorUsable(usable),
                 lambda: catalog.GetConnectorVersion(pb.GetConnectorVersionRequest(connector_id=draft.id, number=1))):
        expect_error(grpc.StatusCode.NOT_FOUND, call)
    assert catalog.ListConnectors(listing).total == 0


# --- the store on a real database -------------------------------------------------------------------


@pytest.fixture
def store(database_url):
    store = open_store(database_url)
    yield store
    store.db.close()


def publish(store: CatalogStore, name: str, *, created_at: datetime | None = None) -> str:
    """Write a published connector (version 1) as the publishing job does; return its id."""
    now = created_at or datetime.now(timezone.utc)
    draft = m.Draft(
        id=str(uuid.uuid4()), key=f"k-{uuid.uuid4().hex}", version=1, name=name, created_at=now, updated_at=now,
        creator_project="acme", description="a connector", integration_types=("erp",),
        creator=m.Creator(name="Vendor", company="Vendor Inc"), repository=m.Repository(url="https://example.com/r.git", tag="v1"),
        specification=m.Specification(), private=False, supported_regions=(), documentation_url="",
    )
    store.create_draft(draft)
    version = m.PublishedVersion(
        connector_id=draft.id, number=1, key=draft.key, name=name, description=draft.description,
        integration_types=draft.integration_types, creator=draft.creator, repository=draft.repository,
        supported_regions=(), private_projects=(), documentation_url="", specification=draft.specification,
        certified=False, draft_version=2, published_at=now,
    )
    store.save_draft(replace(draft, version=2, status=m.Status.PUBLISHED, already_listed=True, published_version=1),
                     1, version)
    return draft.id


def list_page(store: CatalogStore, text: str, **params):
    defaults = dict(limit=4, offset=0, sorts=[], text=text, integration_types=[], certified_only=False,
                    project="acme", page_token="")
    return store.list_connectors(**{**defaults, **params})


@pytest.mark.parametrize("sort", [[], ["name desc"], ["createdAt asc"]])
def test_deep_offset_pages_from_anchors_match_the_ordering(store, monkeypatch, sort):
    monkeypatch.setattr(reads, "ANCHOR_STRIDE", 5)  # anchors every 5 rows: offsets >= 5 use them
    tag = uuid.uuid4().hex[:12]
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for n in range(23):
        publish(store, f"{tag} {n * 7 % 23:02d}", created_at=start + timedelta(minutes=(n * 5) % 23))
    everything = [c.id for c in list_page(store, tag, limit=100, sorts=sort).items]
    assert len(everything) == 23
    for offset in range(0, 25):
        page = list_page(store, tag, offset=offset, sorts=sort)
        assert [c.id for c in page.items] == everything[offset:offset + 4], offset
        assert page.total == 23 and page.offset == offset
        assert bool(page.next_page_token) == (offset + 4 < 23)
    walked, token = [], ""
    while True:
        page = list_page(store, tag, sorts=sort, page_token=token)
        walked += [c.id for c in page.items]
        token = page.next_page_token
        if not token:
            break
    assert walked == everything


def test_totals_and_anchors_follow_writes_at_once(store, monkeypatch):
    monkeypatch.setattr(reads, "ANCHOR_STRIDE", 2)
    tag = uuid.uuid4().hex[:12]
    ids = [publish(store, f"{tag} b{n}") for n in range(5)]
    assert list_page(store, tag, offset=4).total == 5  # totals and anchors cached now
    first = publish(store, f"{tag} a")  # sorts first: every offset shifts by one
    page = list_page(store, tag, offset=4)
    assert page.total == 6 and [c.id for c in page.items] == ids[3:]
    store.begin_deletion(first, datetime.now(timezone.utc))
    page = list_page(store, tag, offset=4)
    assert page.total == 5 and [c.id for c in page.items] == ids[4:]


class StatementCounter:
    def __init__(self, db, monkeypatch) -> None:
        self.count = 0
        execute = db.execute_sql

        def counting(sql, params=None, *args, **kwargs):  # type: ignore[no-untyped-def]
            self.count += 1
            return execute(sql, params, *args, **kwargs)

        monkeypatch.setattr(db, "execute_sql", counting)


def test_cached_reads_run_one_statement(store, monkeypatch):
    tag = uuid.uuid4().hex[:12]
    ids = [publish(store, f"{tag} {n}") for n in range(3)]
    store.get_connector(ids[0])
    list_page(store, tag)
    counter = StatementCounter(store.db, monkeypatch)
    connector = store.get_connector(ids[0])
    assert counter.count == 1 and connector.latest.number == 1
    store.get_connector(key=connector.key)
    assert counter.count == 2
    counter.count = 0
    page = list_page(store, tag)
    assert counter.count == 1 and page.total == 3  # no version query per row, no COUNT
    counter.count = 0
    store.get_connector(ids[0])
    with pytest.raises(NotFound):
        store.get_connector("no-such-id")
    assert counter.count == 2


def test_migration_4_fills_the_creator_company_of_existing_connectors(empty_database_url):
    """A database from before migration 4 (no creator_company column) gets the column, filled from each
    connector's latest version, and the search filter finds them."""
    db = open_database(empty_database_url)
    database_proxy.initialize(db)
    try:
        migrate(db, "catalog", MIGRATIONS)
        store = CatalogStore(db)
        connector_id = publish(store, "Old one")  # its latest version's creator company: "Vendor Inc"
        # Back to the schema before migration 4: no creator_company column, migration 4 not applied.
        db.execute_sql('ALTER TABLE "connector" DROP COLUMN "creator_company"')
        db.execute_sql("DELETE FROM schema_migrations WHERE component = 'catalog' AND version = 4")
        assert migrate(db, "catalog", MIGRATIONS) == [4]
        found = list_page(store, "", creator_company="VENDOR INC")
        assert [c.id for c in found.items] == [connector_id]
        assert list_page(store, "", creator_company="vendor").total == 0
        assert store.get_version(connector_id, 1).creator.company == "Vendor Inc"  # nothing lost on the way
    finally:
        db.close()
