"""DeleteConnectorStaged(ByKey) through the gateway, over the real catalog and instance services: a draft
never published may have a granted preview, and instances of it (VersionPolicy PREVIEW, whose connector id
is the draft's id). The gateway deletes a draft with the deletion protocol of DESIGN.md (the catalog marks
the draft, so its preview is refused; the instance service counts; the catalog deletes or unmarks it), so
no preview instance is ever orphaned; a draft of a published connector is deleted with its connector."""

from __future__ import annotations

import asyncio
import random
import threading

import grpc
import httpx

from gateway.backends import GrpcCatalog
from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.catalog.v1 import update_actions_pb2 as apb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.rpc.status import from_rpc_error
from tests.catalog.gitrepos import publish_and_wait, shared_repo_url, wait_for
from tests.gateway.helpers import instance_body
from tests.races import outcome, rounds
from tests.rich import expect_error

Action = apb.ConnectorStagedUpdateAction
GLOBEX = "europe-west1.gcp:globex"
# Rounds of the race test: a few by default (each grants a preview, a git fetch); more with
# PLUGBOARD_TEST_RACE_ROUNDS, or PLUGBOARD_FULL=1.
ROUNDS = rounds(8, full=80)
CREATORS = 4
CREATES_EACH = 8
KEEP = 0.2  # the share of its instances a creator keeps
COMPLETE_DELAY = 0.05  # seconds the gateway waits between the count and the delete, in the race test


def previewed(catalog, key: str) -> spb.ConnectorStaged:  # type: ignore[no-untyped-def]
    """A draft of acme's, shared with globex, with a granted preview (never published)."""
    draft = catalog.CreateConnectorStaged(cpb.CreateConnectorStagedRequest(project="acme", draft=spb.ConnectorStagedDraft(
        key=key, name="Shop sync", creator=spb.Creator(email="dev@example.com"),
        repository=spb.Repository(url=shared_repo_url(), tag="v1.0.0"), private_projects=[GLOBEX])))
    catalog.UpdateConnectorStaged(cpb.UpdateConnectorStagedRequest(
        id=draft.id, version=draft.version, project="acme",
        actions=[Action(update_previewable=Action.UpdatePreviewable())]))
    return wait_for(catalog, draft.id, lambda d: d.is_previewable == spb.IS_PREVIEWABLE_TRUE, project="acme")


def add_preview(instances, draft_id: str, name: str, project: str = "acme", **kwargs) -> ipb.Instance:  # type: ignore[no-untyped-def]
    body = instance_body(draft_id, name)
    body.version_policy = ipb.VERSION_POLICY_PREVIEW
    return instances.CreateInstance(ispb.CreateInstanceRequest(project=project, instance=body), **kwargs)


def references(instance_server, connector_id: str) -> int:  # type: ignore[no-untyped-def]
    return igrpc.InstanceServiceStub(instance_server.channel).CountConnectorReferences(
        ispb.CountConnectorReferencesRequest(connector_id=connector_id, limit=10)).total


def test_a_draft_whose_preview_has_instances_is_not_deleted(catalog, direct_catalog, instances, keys, unique):
    draft = previewed(catalog, f"pv-{unique}")
    mine = add_preview(instances, draft.id, "Trial EU")
    globex = igrpc.InstanceServiceStub(keys.channel("globex"))
    theirs = add_preview(globex, draft.id, "Trial US", project="globex")
    assert mine.preview and theirs.preview

    for call in (lambda: catalog.DeleteConnectorStaged(cpb.DeleteConnectorStagedRequest(id=draft.id), timeout=10),
                 lambda: catalog.DeleteConnectorStagedByKey(
                     cpb.DeleteConnectorStagedByKeyRequest(key=draft.key, version=draft.version), timeout=10)):
        error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, call, reason="CONNECTOR_HAS_INSTANCES")
        assert error.metadata["connector_id"] == draft.id and error.metadata["referencing_instance_count"] == "2"
        assert {v.subject for v in error.violations} == {f"projects/acme/instances/{mine.id}",
                                                         f"projects/globex/instances/{theirs.id}"}
        assert all(v.type == "INSTANCE_REFERENCE" for v in error.violations)
    # Unmarked: the draft is as it was, and its preview takes instances again.
    assert direct_catalog.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=draft.id)).version == draft.version
    extra = add_preview(instances, draft.id, "Trial APAC")

    for instance in (mine, extra):
        instances.DeleteInstance(ispb.DeleteInstanceRequest(project="acme", id=instance.id))
    globex.DeleteInstance(ispb.DeleteInstanceRequest(project="globex", id=theirs.id))
    deleted = catalog.DeleteConnectorStagedByKey(cpb.DeleteConnectorStagedByKeyRequest(key=draft.key), timeout=10)
    assert deleted.id == draft.id and deleted.key == draft.key and deleted.version == draft.version
    expect_error(grpc.StatusCode.NOT_FOUND,
                 lambda: direct_catalog.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=draft.id)))
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: add_preview(instances, draft.id, "Too late"))


def test_the_draft_rules_still_apply_through_the_gateway(catalog, unique):
    plain = catalog.CreateConnectorStaged(cpb.CreateConnectorStagedRequest(project="acme", draft=spb.ConnectorStagedDraft(
        key=f"plain-{unique}", name="Shop sync", creator=spb.Creator(email="dev@example.com"),
        repository=spb.Repository(url=shared_repo_url(), tag="v1.0.0"))))
    expect_error(grpc.StatusCode.ABORTED, lambda: catalog.DeleteConnectorStaged(
        cpb.DeleteConnectorStagedRequest(id=plain.id, version=7)), reason="CONCURRENT_MODIFICATION")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: catalog.DeleteConnectorStagedByKey(
        cpb.DeleteConnectorStagedByKeyRequest()))
    assert catalog.DeleteConnectorStaged(cpb.DeleteConnectorStagedRequest(id=plain.id, version=1)).id == plain.id
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: catalog.DeleteConnectorStaged(
        cpb.DeleteConnectorStagedRequest(id=plain.id)))


def test_the_catalog_alone_refuses_a_previewed_draft(direct_catalog, catalog, instances, instance_server, unique):
    """Called on the catalog directly (no reference count), a draft that has a preview is refused."""
    draft = previewed(catalog, f"direct-{unique}")
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: direct_catalog.DeleteConnectorStaged(
        cpb.DeleteConnectorStagedRequest(id=draft.id)), reason="DELETE_REQUIRES_REFERENCE_CHECK")
    # The protocol's steps, by hand: marked, the preview is refused (a create of a preview instance, that
    # the mark finds PENDING or not at all, fails and leaves nothing); a second mark is refused; unmarked,
    # the preview is usable again.
    direct_catalog.BeginConnectorDeletion(cpb.BeginConnectorDeletionRequest(id=draft.id, staged=True))
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: direct_catalog.CheckConnectorUsable(
        cpb.CheckConnectorUsableRequest(id=draft.id, project="acme", preview=True)), reason="CONNECTOR_DELETING")
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: add_preview(instances, draft.id, "While marked"),
                 reason="CONNECTOR_DELETING")
    assert references(instance_server, draft.id) == 0
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: direct_catalog.BeginConnectorDeletion(
        cpb.BeginConnectorDeletionRequest(key=draft.key, staged=True)), reason="CONNECTOR_DELETING")
    direct_catalog.CancelConnectorDeletion(cpb.CancelConnectorDeletionRequest(id=draft.id, staged=True))
    direct_catalog.CancelConnectorDeletion(cpb.CancelConnectorDeletionRequest(id=draft.id, staged=True))  # idempotent
    assert direct_catalog.CheckConnectorUsable(
        cpb.CheckConnectorUsableRequest(id=draft.id, project="acme", preview=True)).connector_id == draft.id
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: direct_catalog.CompleteConnectorDeletion(
        cpb.CompleteConnectorDeletionRequest(id=draft.id, staged=True)), reason="CONNECTOR_NOT_DELETING")


def test_a_published_connectors_draft_goes_with_its_connector(catalog, direct_catalog, instances, unique):
    """A draft of a published connector is never deleted alone (CONNECTOR_STAGED_ALREADY_PUBLISHED);
    DeleteConnector counts its preview's instances too (same connector id), and while the connector is
    DELETING its draft's preview is refused."""
    draft = publish_and_wait(catalog, previewed(catalog, f"pub-{unique}"), project="acme")
    trial = add_preview(instances, draft.id, "Trial")
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: catalog.DeleteConnectorStaged(
        cpb.DeleteConnectorStagedRequest(id=draft.id)), reason="CONNECTOR_STAGED_ALREADY_PUBLISHED")
    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: catalog.DeleteConnector(
        cpb.DeleteConnectorRequest(id=draft.id)), reason="CONNECTOR_HAS_INSTANCES")
    assert f"projects/acme/instances/{trial.id}" in {v.subject for v in error.violations}

    direct_catalog.BeginConnectorDeletion(cpb.BeginConnectorDeletionRequest(id=draft.id))
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: direct_catalog.CheckConnectorUsable(
        cpb.CheckConnectorUsableRequest(id=draft.id, project="acme", preview=True)), reason="CONNECTOR_DELETING")
    direct_catalog.CancelConnectorDeletion(cpb.CancelConnectorDeletionRequest(id=draft.id))


def test_http_dialects_refuse_in_their_own_shape(gateway, catalog, instances, unique):
    """commercetools' routes (DELETE /connectors/drafts/{id} and key={key}, the only HTTP routes deleting
    a draft) answer commercetools' error body; the native DELETE /connectors/{id} answers google.rpc.Status with the PreconditionFailure."""
    draft = previewed(catalog, f"http-{unique}")
    trial = add_preview(instances, draft.id, "Trial")
    with httpx.Client(base_url=f"http://127.0.0.1:{gateway.served.http_port}",
                      headers={"Authorization": f"Bearer {gateway.key}"}, timeout=10) as http:
        for path in (f"/connectors/drafts/{draft.id}", f"/connectors/drafts/key={draft.key}"):
            refused = http.delete(path, params={"version": str(draft.version)})
            assert refused.status_code == 400, refused.text
            body = refused.json()
            assert body["statusCode"] == 400 and "'Trial'" in body["message"], body
            # commercetools has no code of its own for it: InvalidOperation, the message naming the instance
            assert body["errors"][0]["code"] == "InvalidOperation", body
            assert body["errors"][0]["message"] == body["message"], body

        published = publish_and_wait(catalog, previewed(catalog, f"http-pub-{unique}"), project="acme")
        add_preview(instances, published.id, "Trial of the published")
        native = http.delete(f"/connectors/{published.id}")
        assert native.status_code == 400, native.text
        error = native.json()["error"]
        assert error["status"] == "FAILED_PRECONDITION"
        failure = next(d for d in error["details"] if d["@type"].endswith("PreconditionFailure"))
        assert failure["violations"][0]["type"] == "INSTANCE_REFERENCE"

        instances.DeleteInstance(ispb.DeleteInstanceRequest(project="acme", id=trial.id))
        deleted = http.delete(f"/connectors/drafts/key={draft.key}", params={"version": str(draft.version)})
        assert deleted.status_code == 200, deleted.text
        assert deleted.json()["id"] == draft.id and deleted.json()["key"] == draft.key


def test_draft_delete_race_with_preview_creates_never_orphans_an_instance(catalog, keys, instance_server, unique,
                                                                        monkeypatch):
    """Creators add preview instances (and remove most of them again, so a delete can win mid-stream)
    while a deleter deletes the draft. An instance a creator keeps always blocks a delete counted after
    it, so once the draft is deleted, any kept instance is an orphan: there must be none. While the draft
    stays, the kept instances are all there. In odd rounds the creators keep none, so the delete after
    them always succeeds. The gateway (in this process) waits a little before its last step, so that
    creates land between the count and the delete: the window a missing intent would orphan them in."""
    complete = GrpcCatalog.complete_draft_deletion

    async def slow_complete(self, draft_id: str) -> object:  # type: ignore[no-untyped-def]
        await asyncio.sleep(COMPLETE_DELAY)
        return await complete(self, draft_id)

    monkeypatch.setattr(GrpcCatalog, "complete_draft_deletion", slow_complete)
    channels = [keys.channel("acme") for _ in range(CREATORS + 1)]
    tally: dict[str, int] = {}

    def count(what: str) -> None:
        tally[what] = tally.get(what, 0) + 1

    for number in range(ROUNDS):
        draft = previewed(catalog, f"race-{number}-{unique}")
        start = threading.Barrier(CREATORS + 1)
        kept: list[str] = []
        keep = KEEP if number % 2 == 0 else 0.0  # odd rounds keep none: their last delete succeeds
        creating = threading.Event()
        deleted = threading.Event()

        def creator(index: int) -> None:
            stub = igrpc.InstanceServiceStub(channels[index])
            rng = random.Random(number * 100 + index)
            start.wait()
            for attempt in range(CREATES_EACH):
                if deleted.is_set():
                    return
                try:
                    made = add_preview(stub, draft.id, f"t{index}-{attempt}", timeout=10)
                except grpc.RpcError as exc:
                    count(f"create {exc.code().name}:{from_rpc_error(exc).reason}")
                    continue
                count("create ok")
                if rng.random() < keep:
                    kept.append(made.id)
                else:
                    stub.DeleteInstance(ispb.DeleteInstanceRequest(project="acme", id=made.id), timeout=10)

        def deleter() -> None:
            stub = cgrpc.CatalogServiceStub(channels[CREATORS])

            def attempt() -> None:
                ended = outcome(lambda: stub.DeleteConnectorStaged(
                    cpb.DeleteConnectorStagedRequest(id=draft.id), timeout=10))
                count(f"delete {ended}")
                if ended == "ok":
                    deleted.set()

            start.wait()
            while creating.is_set() and not deleted.is_set():
                attempt()
            if not deleted.is_set() and not kept:  # the creators are done and left nothing: it must succeed
                attempt()

        creating.set()
        threads = [threading.Thread(target=creator, args=(i,)) for i in range(CREATORS)]
        deleting = threading.Thread(target=deleter)
        for thread in [*threads, deleting]:
            thread.start()
        for thread in threads:
            thread.join(60)
        creating.clear()
        deleting.join(60)
        remaining = references(instance_server, draft.id)
        if deleted.is_set():
            assert remaining == 0, f"round {number}: {remaining} preview instances of a deleted draft"
        else:
            assert remaining == len(kept) > 0, (number, remaining, kept)  # kept ones refuse every delete
    print(f"{ROUNDS} rounds: {tally}")
    # Every outcome is a success or a refusal (never UNKNOWN, UNAVAILABLE, a deadline).
    assert {key.split(" ")[1].split(":")[0] for key in tally} <= {"ok", "FAILED_PRECONDITION", "NOT_FOUND"}, tally
    assert tally.get("delete ok", 0) >= 1 and tally.get("create ok", 0) >= 1, tally
