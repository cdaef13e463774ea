"""ListConnectors as the marketplace, GetConnector(ByKey), versions: search, filters, visibility, paging."""

from __future__ import annotations

import grpc
import pytest

from plugboard.catalog.v1 import catalog_service_pb2 as pb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from tests.catalog.gitrepos import certify, publish_and_wait
from tests.catalog.test_drafts_rpc import Action, create, update
from tests.rich import expect_error, fields


@pytest.fixture
def market(catalog, certification, unique, repo_url):
    """Alpha (public, certified), Bravo (private, shared with globex), Charlie (public, certified, unlisted)."""
    repo = spb.Repository(url=repo_url, tag="v1.0.0")
    alpha = create(catalog, f"alpha-{unique}", name="Alpha Payments", description="Card payments",
                   integration_types=["payment"], repository=repo, documentation_url="https://example.com/a")
    certify(catalog, certification, alpha)
    bravo = create(catalog, f"bravo-{unique}", name="Bravo Sync", description="Stock 100% in sync",
                   integration_types=["other"], repository=repo, private_projects=["eu.gcp:globex"])
    publish_and_wait(catalog, bravo)
    charlie = create(catalog, f"charlie-{unique}", name="Charlie Payments", description="Wallets",
                     integration_types=["payment", "other"], repository=repo, documentation_url="https://example.com/c")
    listed = certify(catalog, certification, charlie)
    update(catalog, listed, Action(unlist=Action.Unlist()))
    return {"alpha": alpha.id, "bravo": bravo.id, "charlie": charlie.id}


def names(catalog, **params) -> list[str]:
    return [c.latest.name for c in catalog.ListConnectors(pb.ListConnectorsRequest(**params)).results]


def test_marketplace_visibility_search_filters_and_paging(catalog, market):
    """One marketplace (three connectors published from git) serves every listing question."""
    check_visibility(catalog, market)
    check_search_and_filters(catalog)
    check_paging(catalog)


def check_visibility(catalog, market):
    assert names(catalog) == ["Alpha Payments"]  # public and listed only
    assert names(catalog, project="globex") == ["Alpha Payments", "Bravo Sync"]
    assert names(catalog, project="eu.gcp:globex") == ["Alpha Payments", "Bravo Sync"]
    assert names(catalog, project="acme") == ["Alpha Payments", "Bravo Sync", "Charlie Payments"]  # the creator
    assert names(catalog, project="initech") == ["Alpha Payments"]
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: catalog.GetConnector(
        pb.GetConnectorRequest(id=market["bravo"], project="initech")), reason="CONNECTOR_NOT_FOUND")
    assert catalog.GetConnector(pb.GetConnectorRequest(id=market["bravo"], project="globex")).private
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: catalog.GetConnector(
        pb.GetConnectorRequest(id=market["charlie"], project="initech")))


def check_search_and_filters(catalog):
    assert names(catalog, project="acme", text="PAYMENTS") == ["Alpha Payments", "Charlie Payments"]
    assert names(catalog, project="acme", text="wallet") == ["Charlie Payments"]  # description
    assert names(catalog, project="acme", text="bravo-") == ["Bravo Sync"]  # key
    assert names(catalog, project="acme", text="100%") == ["Bravo Sync"]  # no LIKE wildcards
    assert names(catalog, project="acme", text="_") == []
    assert names(catalog, project="acme", integration_types=["other"]) == ["Bravo Sync", "Charlie Payments"]
    assert names(catalog, project="acme", integration_types=["payment", "other"]) == [
        "Alpha Payments", "Bravo Sync", "Charlie Payments"]
    assert names(catalog, project="globex", certified_only=True) == ["Alpha Payments"]
    assert names(catalog, project="acme", sort=["name desc"]) == ["Charlie Payments", "Bravo Sync", "Alpha Payments"]


def test_commercetools_search_filters(catalog, market, unique):
    """The search filters of commercetools' SDK: private, creator company (exact, any case), ids, keys."""
    assert names(catalog, project="acme", private=True) == ["Bravo Sync"]
    assert names(catalog, project="acme", private=False) == ["Alpha Payments", "Charlie Payments"]
    assert names(catalog, project="acme", creator_company="COMMERCETOOLS") == [
        "Alpha Payments", "Bravo Sync", "Charlie Payments"]
    assert names(catalog, project="acme", creator_company="commerce") == []  # exact, not a substring
    assert names(catalog, project="acme", ids=[market["charlie"], market["alpha"]]) == [
        "Alpha Payments", "Charlie Payments"]
    assert names(catalog, project="acme", keys=[f"bravo-{unique}"]) == ["Bravo Sync"]
    assert names(catalog, project="initech", keys=[f"bravo-{unique}"]) == []  # still only what it may see
    first = catalog.ListConnectors(pb.ListConnectorsRequest(project="acme", private=False, limit=1))
    assert first.total == 2 and first.next_page_token
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: catalog.ListConnectors(pb.ListConnectorsRequest(
        project="acme", private=True, limit=1, page_token=first.next_page_token)))
    assert fields(error) == {"page_token"}  # a token is bound to its filters
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: catalog.ListConnectors(pb.ListConnectorsRequest(
        ids=[f"id-{i}" for i in range(101)], creator_company="x" * 257)))
    assert fields(error) == {"ids", "creator_company"}


def check_paging(catalog):
    seen, token = [], ""
    while True:
        page = catalog.ListConnectors(pb.ListConnectorsRequest(project="acme", limit=1, page_token=token))
        assert page.total == 3 and page.count == len(page.results) == 1 and page.limit == 1
        seen += [c.latest.name for c in page.results]
        token = page.next_page_token
        if not token:
            break
    assert seen == ["Alpha Payments", "Bravo Sync", "Charlie Payments"]
    assert names(catalog, project="acme", limit=2, offset=2) == ["Charlie Payments"]
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: catalog.ListConnectors(pb.ListConnectorsRequest(
        project="acme", limit=1, page_token=catalog.ListConnectors(
            pb.ListConnectorsRequest(project="acme", limit=1)).next_page_token, text="x")))
    assert fields(error) == {"page_token"}
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: catalog.ListConnectors(
        pb.ListConnectorsRequest(limit=501, sort=["colour asc"], text="x" * 257)))
    assert {"limit"} <= fields(error)


def test_get_by_key_versions_and_draft_privacy(catalog, market, unique):
    alpha = catalog.GetConnectorByKey(pb.GetConnectorByKeyRequest(key=f"alpha-{unique}", project="initech"))
    assert alpha.id == market["alpha"] and alpha.certified and alpha.latest.number == 1
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: catalog.GetConnectorByKey(
        pb.GetConnectorByKeyRequest(key=f"bravo-{unique}", project="initech")))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: catalog.GetConnectorByKey(pb.GetConnectorByKeyRequest()))
    versions = catalog.ListConnectorVersions(pb.ListConnectorVersionsRequest(connector_id=market["alpha"]))
    assert [v.number for v in versions.results] == [1] and versions.results[0].certified
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: catalog.GetConnectorVersion(
        pb.GetConnectorVersionRequest(connector_id=market["alpha"], number=2)))
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: catalog.GetConnectorVersion(
        pb.GetConnectorVersionRequest()))
    assert fields(error) == {"connector_id", "number"}
    public = catalog.QueryConnectorStaged(pb.QueryConnectorStagedRequest(project="acme", is_private=False))
    assert sorted(d.name for d in public.results) == ["Alpha Payments", "Charlie Payments"]
    private = catalog.QueryConnectorStaged(pb.QueryConnectorStagedRequest(project="acme", is_private=True))
    assert [d.name for d in private.results] == ["Bravo Sync"]
    both = catalog.QueryConnectorStaged(pb.QueryConnectorStagedRequest(
        project="acme", sort=["status asc", "name desc"], integration_types=["other", "payment"]))
    assert both.total == 3


def test_the_deletion_protocol_refuses_out_of_order_steps_and_changes_nothing(catalog, unique, repo_url):
    draft = create(catalog, f"delete-{unique}", repository=spb.Repository(url=repo_url, tag="v1.0.0"))
    publish_and_wait(catalog, draft)
    by_id = pb.GetConnectorRequest(id=draft.id, project="acme")
    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: catalog.CompleteConnectorDeletion(
        pb.CompleteConnectorDeletionRequest(id=draft.id)), reason="CONNECTOR_NOT_DELETING")
    assert error.violations[0].subject == f"connectors/{draft.id}"
    assert catalog.GetConnector(by_id).lifecycle_state == 1  # still ACTIVE, nothing deleted
    assert catalog.BeginConnectorDeletion(pb.BeginConnectorDeletionRequest(id=draft.id)).lifecycle_state == 2
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: catalog.BeginConnectorDeletion(
        pb.BeginConnectorDeletionRequest(id=draft.id)), reason="CONNECTOR_DELETING")
    assert catalog.CancelConnectorDeletion(pb.CancelConnectorDeletionRequest(id=draft.id)).lifecycle_state == 1
    assert catalog.CancelConnectorDeletion(pb.CancelConnectorDeletionRequest(id=draft.id)).lifecycle_state == 1
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: catalog.BeginConnectorDeletion(
        pb.BeginConnectorDeletionRequest(id=f"missing-{unique}")))
    catalog.BeginConnectorDeletion(pb.BeginConnectorDeletionRequest(id=draft.id))
    done = catalog.CompleteConnectorDeletion(pb.CompleteConnectorDeletionRequest(id=draft.id))
    assert (done.id, done.deleted_versions) == (draft.id, 1)
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: catalog.GetConnector(by_id))
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: catalog.CompleteConnectorDeletion(
        pb.CompleteConnectorDeletionRequest(id=draft.id)))
