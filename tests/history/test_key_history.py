"""The gateway's own change history (``plugboard.gateway.v1.KeyChangeHistoryService``) over real gRPC and
HTTP, on SQLite and PostgreSQL: the records of API keys created and revoked (author, type, change names and
values), scoped to the caller key's project (another project's record is NOT_FOUND), refused without a view
scope, paged and filtered like the backends' histories.

Each test uses projects of its own (the stack is shared by the module): counts are exact.
"""

from __future__ import annotations

import grpc
import httpx
import pytest
from google.protobuf import json_format

from gateway import keys as key_domain
from gateway.key_store import KEYS_COMMAND, KeyStore
from plugboard.gateway.v1 import key_change_history_service_pb2_grpc as key_history
from plugboard.history.v1 import history_pb2 as hpb
from plugboard.rpc.status import from_rpc_error
from tests.history.conftest import Stack

CREATED, UPDATED = hpb.CHANGE_TYPE_CREATED, hpb.CHANGE_TYPE_UPDATED


def _keys(stack: Stack, project: str, scopes=key_domain.SCOPES, name: str = "reader"):  # type: ignore[no-untyped-def]
    """A stub of the key history with a new key of ``project``, and that key's id."""
    channel, key_id, key = stack.key_channel(project, scopes, name)
    return key_history.KeyChangeHistoryServiceStub(channel), key_id, key


def _revoke(stack: Stack, key_id: str) -> None:
    store = KeyStore.open(stack.settings.gateway_database_url)
    try:
        store.revoke(key_id)
    finally:
        store.close()


def _error(call) -> tuple[grpc.StatusCode, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as refused:
        call()
    return refused.value.code(), from_rpc_error(refused.value).reason


def test_created_and_revoked_keys_have_their_records(stack, unique):
    project = f"keys-{unique}"
    stub, reader_id, _ = _keys(stack, project, name="reader")
    _, other_id, _ = _keys(stack, project, [key_domain.VIEW_INSTANCES], name="ci")
    _revoke(stack, other_id)
    page = stub.ListChanges(hpb.ListChangesRequest())
    assert (page.count, page.total) == (3, 3), page
    revoked, created_other, created_reader = page.results  # newest first
    assert [r.resource_id for r in page.results] == [other_id, other_id, reader_id]
    assert {r.resource_type for r in page.results} == {"api-key"}
    assert {r.project for r in page.results} == {project}
    assert (created_reader.type, [c.change for c in created_reader.changes]) == (CREATED, ["createApiKey"])
    assert json_format.MessageToDict(created_other.changes[0].next_value) == {
        "name": "ci", "scopes": [key_domain.VIEW_INSTANCES]}
    assert (revoked.type, [c.change for c in revoked.changes]) == (UPDATED, ["revokeApiKey"])
    # Keys are made by the `plugboard keys` command (no call is being served): its system actor.
    for record in page.results:
        assert (record.modified_by.kind, record.modified_by.system) == (hpb.AUTHOR_KIND_SYSTEM, KEYS_COMMAND)
    assert stub.GetChange(hpb.GetChangeRequest(id=revoked.id)) == revoked
    # Never a secret nor a digest.
    text = str(page)
    assert "pbk_" not in text and "digest" not in text


def test_another_projects_records_are_not_seen(stack, unique):
    mine, my_key, _ = _keys(stack, f"mine-{unique}")
    theirs, their_key, _ = _keys(stack, f"theirs-{unique}")
    own = mine.ListChanges(hpb.ListChangesRequest(limit=500))
    assert [r.resource_id for r in own.results] == [my_key]
    assert [r.resource_id for r in theirs.ListChanges(hpb.ListChangesRequest(limit=500)).results] == [their_key]
    # The first key of the stack (project acme) sees its own project's keys only.
    assert all(r.project == "acme" for r in stack.key_changes.ListChanges(hpb.ListChangesRequest(limit=500)).results)
    # Another project's record answers exactly as a missing one.
    assert _error(lambda: theirs.GetChange(hpb.GetChangeRequest(id=own.results[0].id))) == (
        grpc.StatusCode.NOT_FOUND, "CHANGE_RECORD_NOT_FOUND")
    assert _error(lambda: theirs.GetChange(hpb.GetChangeRequest(id="no-such-record"))) == (
        grpc.StatusCode.NOT_FOUND, "CHANGE_RECORD_NOT_FOUND")
    assert _error(lambda: theirs.ListChanges(hpb.ListChangesRequest(project=f"mine-{unique}"))) == (
        grpc.StatusCode.PERMISSION_DENIED, "PROJECT_MISMATCH")
    assert _error(lambda: theirs.GetChange(hpb.GetChangeRequest(project=f"mine-{unique}", id=own.results[0].id))) == (
        grpc.StatusCode.PERMISSION_DENIED, "PROJECT_MISMATCH")
    assert theirs.ListChanges(hpb.ListChangesRequest(resource_id=my_key)).total == 0


@pytest.mark.parametrize("scopes, allowed", [
    ([key_domain.VIEW_CONNECTORS], True),
    ([key_domain.VIEW_INSTANCES], True),
    ([key_domain.MANAGE_CONNECTORS], True),  # implies view_connectors
    ([key_domain.MANAGE_INSTANCES], True),
    ([key_domain.CERTIFY_CONNECTORS], False),  # a reviewer's key reads none of its project's resources
])
def test_any_view_scope_reads_the_key_records(stack, unique, scopes, allowed):
    stub, key_id, _ = _keys(stack, f"scope-{unique}", scopes)
    if allowed:
        assert [r.resource_id for r in stub.ListChanges(hpb.ListChangesRequest()).results] == [key_id]
        return
    for call in (lambda: stub.ListChanges(hpb.ListChangesRequest()),
                 lambda: stub.GetChange(hpb.GetChangeRequest(id="x"))):
        assert _error(call) == (grpc.StatusCode.PERMISSION_DENIED, "MISSING_SCOPE")
    with pytest.raises(grpc.RpcError) as refused:
        stub.ListChanges(hpb.ListChangesRequest())
    assert from_rpc_error(refused.value).metadata["scope"] == "view_connectors,view_instances"


def test_without_a_valid_key_nothing_is_answered(stack, unique):
    plain = key_history.KeyChangeHistoryServiceStub(grpc.insecure_channel(stack.gateway.target))
    assert _error(lambda: plain.ListChanges(hpb.ListChangesRequest())) == (
        grpc.StatusCode.UNAUTHENTICATED, "API_KEY_MISSING")
    stub, key_id, _ = _keys(stack, f"gone-{unique}")
    _revoke(stack, key_id)  # the stack's gateway caches no key (key_cache_seconds=0)
    assert _error(lambda: stub.ListChanges(hpb.ListChangesRequest()))[0] == grpc.StatusCode.UNAUTHENTICATED


def test_filters_paging_and_page_tokens(stack, unique):
    project = f"pager-{unique}"
    stub, first, _ = _keys(stack, project, name="k0")
    ids = [first] + [_keys(stack, project, name=f"k{i}")[1] for i in range(1, 5)]
    for key_id in ids[1:3]:  # not the reader's
        _revoke(stack, key_id)
    page = stub.ListChanges(hpb.ListChangesRequest(limit=3))  # 5 creates, 2 revokes
    assert (page.count, page.total, page.limit) == (3, 7, 3) and page.next_page_token
    seen = [r.id for r in page.results]
    token = page.next_page_token
    while token:
        more = stub.ListChanges(hpb.ListChangesRequest(limit=3, page_token=token))
        seen += [r.id for r in more.results]
        token = more.next_page_token
    assert len(seen) == len(set(seen)) == 7
    offset = stub.ListChanges(hpb.ListChangesRequest(limit=2, offset=2))
    assert [r.id for r in offset.results] == seen[2:4]
    revokes = stub.ListChanges(hpb.ListChangesRequest(change="revokeApiKey"))
    assert [r.resource_id for r in revokes.results] == [ids[2], ids[1]]
    assert stub.ListChanges(hpb.ListChangesRequest(type=UPDATED)).total == 2
    assert stub.ListChanges(hpb.ListChangesRequest(type=CREATED)).total == 5
    assert stub.ListChanges(hpb.ListChangesRequest(resource_id=ids[3])).total == 1
    assert stub.ListChanges(hpb.ListChangesRequest(resource_type="api-key")).total == 7
    assert stub.ListChanges(hpb.ListChangesRequest(resource_type="instance")).total == 0
    assert stub.ListChanges(hpb.ListChangesRequest(author=KEYS_COMMAND)).total == 7
    assert stub.ListChanges(hpb.ListChangesRequest(author="someone-else")).total == 0
    newest = revokes.results[0].modified_at
    assert [r.id for r in stub.ListChanges(hpb.ListChangesRequest(from_time=newest)).results] == [revokes.results[0].id]
    assert stub.ListChanges(hpb.ListChangesRequest(to_time=newest)).total == 6
    for bad in (hpb.ListChangesRequest(limit=501), hpb.ListChangesRequest(change="not a name"),
                hpb.ListChangesRequest(page_token="forged")):
        assert _error(lambda: stub.ListChanges(bad))[0] == grpc.StatusCode.INVALID_ARGUMENT, bad


def test_http_native_dialect(stack, unique):
    project = f"http-{unique}"
    _, key_id, key = _keys(stack, project, [key_domain.VIEW_INSTANCES])
    _, other_id, other_key = _keys(stack, f"other-{unique}")
    _, reviewer_id, reviewer_key = _keys(stack, project, [key_domain.CERTIFY_CONNECTORS], name="reviewer")
    base = f"http://127.0.0.1:{stack.gateway.served.http_port}"

    def get(path: str, credential: str, **params) -> httpx.Response:  # type: ignore[no-untyped-def]
        return httpx.get(base + path, params=params, headers={"Authorization": f"Bearer {credential}"}, timeout=10)

    listed = get("/keys/changes", key)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert (body["count"], body["total"]) == (2, 2)
    assert [r["resourceId"] for r in body["results"]] == [reviewer_id, key_id]
    record = body["results"][1]
    assert record["type"] == "CHANGE_TYPE_CREATED" and record["resourceType"] == "api-key"
    assert record["changes"] == [{"change": "createApiKey", "previousValue": None,
                                  "nextValue": {"name": "reader", "scopes": ["view_instances"]}}]
    assert record["modifiedBy"]["kind"] == "AUTHOR_KIND_SYSTEM" and record["modifiedBy"]["system"] == KEYS_COMMAND
    filtered = get("/keys/changes", key, resourceId=key_id, change="createApiKey", limit="1").json()
    assert filtered["total"] == 1 and filtered["results"][0]["id"] == record["id"]
    one = get(f"/keys/changes/{record['id']}", key)
    assert one.status_code == 200 and one.json() == record
    # Another project's record: the native dialect's NOT_FOUND, exactly as a missing one.
    foreign = get(f"/keys/changes/{record['id']}", other_key)
    missing = get("/keys/changes/no-such-record", other_key)
    assert foreign.status_code == missing.status_code == 404, foreign.text
    assert foreign.json()["error"]["status"] == "NOT_FOUND"
    assert foreign.json()["error"]["details"][0]["reason"] == missing.json()["error"]["details"][0]["reason"]
    assert get("/keys/changes", other_key).json()["results"][0]["resourceId"] == other_id
    mismatch = get("/keys/changes", other_key, project=project)
    assert mismatch.status_code == 403 and mismatch.json()["error"]["details"][0]["reason"] == "PROJECT_MISMATCH"
    refused = get("/keys/changes", reviewer_key)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["details"][0]["reason"] == "MISSING_SCOPE"
    assert get("/keys/changes", key, limit="501").status_code == 400
    assert httpx.get(base + "/keys/changes", timeout=10).status_code == 401
    document = httpx.get(base + "/openapi.json", timeout=10).json()
    operation = document["paths"]["/keys/changes"]["get"]
    assert operation["x-accepted-scopes"] == ["view_connectors", "view_instances"]
    assert document["paths"]["/keys/changes/{id}"]["get"]["operationId"] == "KeyChangeHistoryService_GetChange"
