"""Page tokens of QueryConnectorStaged and ListConnectors over real gRPC, on SQLite and PostgreSQL: signed
by the server's key, every tampered form INVALID_ARGUMENT on page_token (never INTERNAL)."""

from __future__ import annotations

import grpc

from plugboard.catalog.v1 import catalog_service_pb2 as pb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.storage.paging import PageTokens
from tests.catalog.gitrepos import publish_and_wait
from tests.catalog.test_drafts_rpc import create
from tests.page_tokens import assert_all_refused, content
from tests.rich import expect_error, fields


def test_query_connector_staged_tokens_are_signed_and_checked(catalog, catalog_settings, unique):
    project = f"p-{unique}"
    ids = [create(catalog, f"paged-{unique}-{n}", project=project).id for n in range(3)]

    def page(token: str, sort: str = "createdAt asc") -> pb.QueryConnectorStagedResponse:
        return catalog.QueryConnectorStaged(pb.QueryConnectorStagedRequest(
            project=project, limit=1, sort=[sort], page_token=token))

    first = page("")
    assert [d.id for d in first.results] == ids[:1] and first.next_page_token
    assert content(first.next_page_token)["v"][0].keys() == {"t"}  # a timestamp column
    second = page(first.next_page_token)
    assert [d.id for d in second.results] == ids[1:2] and second.offset == 1
    assert_all_refused(first.next_page_token, PageTokens.from_settings(catalog_settings), page)
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: page(first.next_page_token, "name asc"))
    assert fields(error) == {"page_token"}


def test_list_connectors_tokens_are_signed_and_checked(catalog, catalog_settings, unique, repo_url):
    repo = spb.Repository(url=repo_url, tag="v1.0.0")
    for name in ("Alpha", "Bravo"):
        publish_and_wait(catalog, create(catalog, f"{name.lower()}-{unique}", name=f"{name} {unique}",
                                         repository=repo))

    def page(token: str) -> pb.ListConnectorsResponse:
        return catalog.ListConnectors(pb.ListConnectorsRequest(
            project="acme", text=unique, limit=1, page_token=token))

    first = page("")
    assert [c.latest.name for c in first.results] == [f"Alpha {unique}"] and first.next_page_token
    second = page(first.next_page_token)
    assert [c.latest.name for c in second.results] == [f"Bravo {unique}"] and not second.next_page_token
    assert_all_refused(first.next_page_token, PageTokens.from_settings(catalog_settings), page)
