"""The change history over real gRPC, on SQLite and PostgreSQL: every mutating RPC writes exactly its
records (right author, type, change names and values), a rolled-back mutation leaves none, a foreign
project sees none of another's, jobs record themselves as system actors for their requester.

The mutating RPCs are DERIVED FROM THE SERVICE DESCRIPTORS: every method of every service the gateway
serves that is not in ``READ_ONLY`` must have a scenario in ``SCENARIOS``; a new mutating RPC (an
installation's, say) without one fails ``test_every_mutating_rpc_has_a_scenario``. ``READ_ONLY`` is the
explicit allow-list of RPCs that change nothing a record describes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import grpc
import httpx
import pytest
from google.protobuf import field_mask_pb2, json_format, timestamp_pb2

from gateway.routes import SERVICES
from plugboard.catalog.v1 import catalog_service_pb2 as pb
from plugboard.catalog.v1 import certification_service_pb2 as cpb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.history.storage import HistoryTable
from plugboard.history.v1 import history_pb2 as hpb
from plugboard.instance.v1 import installation_pb2 as inpb
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from tests.catalog.gitrepos import REVIEWER, publish_and_wait, shared_repo_url
from tests.catalog.test_drafts_rpc import Action, create, draft_request, update
from tests.gateway.helpers import add_instance, publish
from tests.history.conftest import KEY_NAME, PROJECT, Stack

KEY, INTERNAL, SYSTEM = hpb.AUTHOR_KIND_KEY, hpb.AUTHOR_KIND_INTERNAL, hpb.AUTHOR_KIND_SYSTEM
REVIEWER_KEY = -1  # an Expect's author: the key of the reviewer project (``stack.reviewer()``)
CREATED, UPDATED, DELETED = hpb.CHANGE_TYPE_CREATED, hpb.CHANGE_TYPE_UPDATED, hpb.CHANGE_TYPE_DELETED

# RPCs that change nothing a record describes (reads, watches, checks, counts, the history itself).
READ_ONLY = frozenset({
    "/plugboard.catalog.v1.CatalogService/GetConnectorStaged",
    "/plugboard.catalog.v1.CatalogService/GetConnectorStagedByKey",
    "/plugboard.catalog.v1.CatalogService/QueryConnectorStaged",
    "/plugboard.catalog.v1.CatalogService/WatchConnectorStaged",
    "/plugboard.catalog.v1.CatalogService/GetConnector",
    "/plugboard.catalog.v1.CatalogService/GetConnectorByKey",
    "/plugboard.catalog.v1.CatalogService/ListConnectors",
    "/plugboard.catalog.v1.CatalogService/ListConnectorVersions",
    "/plugboard.catalog.v1.CatalogService/GetConnectorVersion",
    "/plugboard.catalog.v1.CatalogService/CheckConnectorUsable",
    "/plugboard.catalog.v1.CertificationService/ListCertificationQueue",
    "/plugboard.instance.v1.InstanceService/GetInstallation",
    "/plugboard.instance.v1.InstanceService/ListInstallations",
    "/plugboard.instance.v1.InstanceService/ListInstallationRevisions",
    "/plugboard.instance.v1.InstanceService/GetInstance",  # may follow a new version: a system record
    "/plugboard.instance.v1.InstanceService/ListInstances",
    "/plugboard.instance.v1.InstanceService/ListConnectionTests",
    "/plugboard.instance.v1.InstanceService/CountConnectorReferences",
    "/plugboard.catalog.v1.CatalogChangeHistoryService/ListChanges",
    "/plugboard.catalog.v1.CatalogChangeHistoryService/ListDraftChanges",
    "/plugboard.catalog.v1.CatalogChangeHistoryService/GetChange",
    "/plugboard.instance.v1.InstanceChangeHistoryService/ListChanges",
    "/plugboard.instance.v1.InstanceChangeHistoryService/ListInstanceChanges",
    "/plugboard.instance.v1.InstanceChangeHistoryService/GetChange",
    # The gateway's own API-key history (keys change only through `plugboard keys`: tests/history/test_key_history.py).
    "/plugboard.gateway.v1.KeyChangeHistoryService/ListChanges",
    "/plugboard.gateway.v1.KeyChangeHistoryService/GetChange",
})


@dataclass(frozen=True)
class Expect:
    resource_type: str
    type: int
    changes: tuple[str, ...]  # the first change names, in order
    author: int = KEY


Scenario = Callable[[Stack, str], tuple[Callable[[], object], list[Expect]]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(path: str) -> Callable[[Scenario], Scenario]:
    def register(function: Scenario) -> Scenario:
        SCENARIOS[path] = function
        return function
    return register


def _draft(stack: Stack, unique: str, **overrides) -> spb.ConnectorStaged:  # type: ignore[no-untyped-def]
    return create(stack.catalog, f"hist-{unique}", **overrides)


def _submitted(stack: Stack, unique: str) -> spb.ConnectorStaged:
    draft = _draft(stack, unique, repository=spb.Repository(url=shared_repo_url(), tag="v1.0.0"),
                   documentation_url="https://example.com/docs")
    ready = publish_and_wait(stack.catalog, draft, certification=True)
    assert ready.status == spb.CONNECTOR_STATUS_READY_FOR_CERTIFICATION
    return ready


def _in_review(stack: Stack, unique: str) -> spb.ConnectorStaged:
    ready = _submitted(stack, unique)
    return stack.reviewer()[0].StartCertificationReview(cpb.StartCertificationReviewRequest(
        id=ready.id, version=ready.version))


@scenario("/plugboard.catalog.v1.CatalogService/CreateConnectorStaged")
def _create_draft(stack, unique):
    return (lambda: _draft(stack, unique)), [Expect("connector-staged", CREATED, ("createConnectorStaged",))]


@scenario("/plugboard.catalog.v1.CatalogService/UpdateConnectorStaged")
def _update_draft(stack, unique):
    draft = _draft(stack, unique)
    return (lambda: update(stack.catalog, draft, Action(set_name=Action.SetName(name="Renamed")),
                           Action(set_description=Action.SetDescription(description="New")))), [
        Expect("connector-staged", UPDATED, ("setName", "setDescription"))]


@scenario("/plugboard.catalog.v1.CatalogService/UpdateConnectorStagedByKey")
def _update_draft_by_key(stack, unique):
    draft = _draft(stack, unique)
    return (lambda: stack.catalog.UpdateConnectorStagedByKey(pb.UpdateConnectorStagedByKeyRequest(
        key=draft.key, version=draft.version,
        actions=[Action(add_private_project=Action.AddPrivateProject(private_project="europe-west1.gcp:partner"))]))), [
        Expect("connector-staged", UPDATED, ("addPrivateProject",))]


@scenario("/plugboard.catalog.v1.CatalogService/DeleteConnectorStaged")
def _delete_draft(stack, unique):
    draft = _draft(stack, unique)
    return (lambda: stack.catalog.DeleteConnectorStaged(pb.DeleteConnectorStagedRequest(
        id=draft.id, version=draft.version))), [Expect("connector-staged", DELETED, ("deleteConnectorStaged",))]


@scenario("/plugboard.catalog.v1.CatalogService/DeleteConnector")
def _delete_connector(stack, unique):
    connector_id = publish(stack.catalog, f"hist-{unique}")
    # The deletion protocol is two catalog mutations: DELETING, then the delete.
    return (lambda: stack.catalog.DeleteConnector(pb.DeleteConnectorRequest(id=connector_id))), [
        Expect("connector", UPDATED, ("beginConnectorDeletion",)), Expect("connector", DELETED, ("deleteConnector",))]


@scenario("/plugboard.catalog.v1.CatalogService/BeginConnectorDeletion")
def _begin_deletion(stack, unique):
    connector_id = publish(stack.catalog, f"hist-{unique}")
    return (lambda: stack.direct_catalog.BeginConnectorDeletion(pb.BeginConnectorDeletionRequest(id=connector_id))), [
        Expect("connector", UPDATED, ("beginConnectorDeletion",), INTERNAL)]


@scenario("/plugboard.catalog.v1.CatalogService/CancelConnectorDeletion")
def _cancel_deletion(stack, unique):
    connector_id = publish(stack.catalog, f"hist-{unique}")
    stack.direct_catalog.BeginConnectorDeletion(pb.BeginConnectorDeletionRequest(id=connector_id))
    return (lambda: stack.direct_catalog.CancelConnectorDeletion(pb.CancelConnectorDeletionRequest(id=connector_id))), [
        Expect("connector", UPDATED, ("cancelConnectorDeletion",), INTERNAL)]


@scenario("/plugboard.catalog.v1.CatalogService/CompleteConnectorDeletion")
def _complete_deletion(stack, unique):
    connector_id = publish(stack.catalog, f"hist-{unique}")
    stack.direct_catalog.BeginConnectorDeletion(pb.BeginConnectorDeletionRequest(id=connector_id))
    return (lambda: stack.direct_catalog.CompleteConnectorDeletion(
        pb.CompleteConnectorDeletionRequest(id=connector_id))), [Expect("connector", DELETED, ("deleteConnector",), INTERNAL)]


@scenario("/plugboard.catalog.v1.CertificationService/StartCertificationReview")
def _start_review(stack, unique):
    ready = _submitted(stack, unique)
    return (lambda: stack.reviewer()[0].StartCertificationReview(cpb.StartCertificationReviewRequest(
        id=ready.id, version=ready.version))), [Expect("connector-staged", UPDATED, ("startCertificationReview",), REVIEWER_KEY)]


@scenario("/plugboard.catalog.v1.CertificationService/AddReviewComment")
def _comment(stack, unique):
    started = _in_review(stack, unique)
    return (lambda: stack.reviewer()[0].AddReviewComment(cpb.AddReviewCommentRequest(
        id=started.id, version=started.version, comment="looks fine"))), [
        Expect("connector-staged", UPDATED, ("addReviewComment",), REVIEWER_KEY)]


@scenario("/plugboard.catalog.v1.CertificationService/ApproveCertification")
def _approve(stack, unique):
    started = _in_review(stack, unique)
    return (lambda: stack.reviewer()[0].ApproveCertification(cpb.ApproveCertificationRequest(
        id=started.id, version=started.version, comment="ok"))), [
        Expect("connector-staged", UPDATED, ("approveCertification",), REVIEWER_KEY),
        Expect("connector-version", CREATED, ("publishVersion",), REVIEWER_KEY)]


@scenario("/plugboard.catalog.v1.CertificationService/RejectCertification")
def _reject(stack, unique):
    started = _in_review(stack, unique)
    return (lambda: stack.reviewer()[0].RejectCertification(cpb.RejectCertificationRequest(
        id=started.id, version=started.version, comment="no docs"))), [
        Expect("connector-staged", UPDATED, ("rejectCertification",), REVIEWER_KEY)]


@scenario("/plugboard.instance.v1.InstanceService/CreateInstance")
def _create_instance(stack, unique):
    connector_id = publish(stack.catalog, f"hist-{unique}")
    # The project's own connector: its first instance installs it (seed 003), in the same call.
    return (lambda: add_instance(stack.instances, connector_id, f"i-{unique}")), [
        Expect("instance", CREATED, ("createInstance",)), Expect("installation", CREATED, ("installConnector",))]


def _instance(stack: Stack, unique: str, **fields) -> ipb.Instance:  # type: ignore[no-untyped-def]
    connector_id = publish(stack.catalog, f"hist-{unique}")
    return add_instance(stack.instances, connector_id, f"i-{unique}")


@scenario("/plugboard.instance.v1.InstanceService/UpdateInstance")
def _update_instance(stack, unique):
    instance = _instance(stack, unique)
    body = ipb.Instance(id=instance.id, version=instance.version, name="renamed", timezone="Europe/Paris")
    return (lambda: stack.instances.UpdateInstance(ispb.UpdateInstanceRequest(
        instance=body, update_mask=field_mask_pb2.FieldMask(paths=["name", "timezone"])))), [
        Expect("instance", UPDATED, ("setName", "setTimezone"))]


@scenario("/plugboard.instance.v1.InstanceService/DeleteInstance")
def _delete_instance(stack, unique):
    instance = _instance(stack, unique)
    # The last instance of an unmodified automatic installation takes the installation with it.
    return (lambda: stack.instances.DeleteInstance(ispb.DeleteInstanceRequest(id=instance.id))), [
        Expect("instance", DELETED, ("deleteInstance",)), Expect("installation", DELETED, ("uninstallConnector",))]


@scenario("/plugboard.instance.v1.InstanceService/TestInstanceConnection")
def _test_connection(stack, unique):
    instance = _instance(stack, unique)
    return (lambda: stack.instances.TestInstanceConnection(ispb.TestInstanceConnectionRequest(id=instance.id))), [
        Expect("instance", UPDATED, ("testConnection",))]


@scenario("/plugboard.instance.v1.InstanceService/UpgradeInstance")
def _upgrade(stack, unique):
    connector_id = publish(stack.catalog, f"hist-{unique}")
    body = ipb.Instance(name=f"i-{unique}", connector_id=connector_id, connector_version=1,
                        version_policy=ipb.VERSION_POLICY_PINNED, timezone="Europe/London", date_format="Y-m-d",
                        rate_limit_unit=ipb.RATE_LIMIT_UNIT_MINUTE, rate_limit_duration=1,
                        variables=[ipb.Variable(key="SHOP_DOMAIN", value="shop.example.com"),
                                   ipb.Variable(key="API_TOKEN", value="t0ken", secret=True)])
    instance = stack.instances.CreateInstance(ispb.CreateInstanceRequest(instance=body))
    draft = stack.catalog.GetConnectorStaged(pb.GetConnectorStagedRequest(id=connector_id))
    draft = update(stack.catalog, draft, Action(set_name=Action.SetName(name="Shop sync 2")))
    assert publish_and_wait(stack.catalog, draft).published_version == 2
    # The instance is its automatic installation's only one: the installation moves with it.
    return (lambda: stack.instances.UpgradeInstance(ispb.UpgradeInstanceRequest(
        instance_id=instance.id, target_version=2))), [Expect("instance", UPDATED, ("upgradeInstance",)),
                                                       Expect("installation", UPDATED, ("updateInstallation",))]


@scenario("/plugboard.catalog.v1.CatalogService/DeleteConnectorStagedByKey")
def _delete_draft_by_key(stack, unique):
    draft = _draft(stack, unique)
    return (lambda: stack.catalog.DeleteConnectorStagedByKey(pb.DeleteConnectorStagedByKeyRequest(
        key=draft.key, version=draft.version))), [Expect("connector-staged", DELETED, ("deleteConnectorStaged",))]


@scenario("/plugboard.catalog.v1.CertificationService/ScheduleReviewMeeting")
def _schedule_meeting(stack, unique):
    started = _in_review(stack, unique)
    when = timestamp_pb2.Timestamp(seconds=4_102_444_800)  # 2100-01-01
    return (lambda: stack.reviewer()[0].ScheduleReviewMeeting(cpb.ScheduleReviewMeetingRequest(
        id=started.id, version=started.version, meeting_time=when, comment="walk-through"))), [
        Expect("connector-staged", UPDATED, ("scheduleReviewMeeting",), REVIEWER_KEY)]


def _installed(stack: Stack, unique: str, version: int = 0) -> tuple[str, inpb.Installation]:
    connector_id = publish(stack.catalog, f"hist-{unique}")
    return connector_id, stack.instances.InstallConnector(ispb.InstallConnectorRequest(
        project=PROJECT, connector_id=connector_id, version=version))


def _second_version(stack: Stack, connector_id: str) -> None:
    draft = stack.catalog.GetConnectorStaged(pb.GetConnectorStagedRequest(id=connector_id))
    draft = update(stack.catalog, draft, Action(set_name=Action.SetName(name="Shop sync 2")))
    assert publish_and_wait(stack.catalog, draft).published_version == 2


@scenario("/plugboard.instance.v1.InstanceService/InstallConnector")
def _install(stack, unique):
    connector_id = publish(stack.catalog, f"hist-{unique}")
    return (lambda: stack.instances.InstallConnector(ispb.InstallConnectorRequest(
        project=PROJECT, connector_id=connector_id))), [Expect("installation", CREATED, ("installConnector",))]


@scenario("/plugboard.instance.v1.InstanceService/UninstallConnector")
def _uninstall(stack, unique):
    _, installation = _installed(stack, unique)
    return (lambda: stack.instances.UninstallConnector(ispb.UninstallConnectorRequest(
        project=PROJECT, id=installation.id))), [Expect("installation", DELETED, ("uninstallConnector",))]


@scenario("/plugboard.instance.v1.InstanceService/CustomiseInstallation")
def _customise(stack, unique):
    _, installation = _installed(stack, unique)
    customisation = inpb.InstallationCustomisation(keys=[inpb.KeyCustomisation(key="SHOP_DOMAIN", label="Shop")])
    return (lambda: stack.instances.CustomiseInstallation(ispb.CustomiseInstallationRequest(
        project=PROJECT, id=installation.id, version=installation.version, customisation=customisation))), [
        Expect("installation", UPDATED, ("customiseInstallation", "setCustomisation"))]


@scenario("/plugboard.instance.v1.InstanceService/UpdateInstallation")
def _update_installation(stack, unique):
    connector_id, installation = _installed(stack, unique)
    _second_version(stack, connector_id)
    return (lambda: stack.instances.UpdateInstallation(ispb.UpdateInstallationRequest(
        project=PROJECT, id=installation.id, version=installation.version, target_version=2))), [
        Expect("installation", UPDATED, ("updateInstallation",))]


@scenario("/plugboard.instance.v1.InstanceService/MoveInstances")
def _move(stack, unique):
    connector_id, first = _installed(stack, unique)
    instance = add_instance(stack.instances, connector_id, f"i-{unique}")
    assert instance.installation_id == first.id
    _second_version(stack, connector_id)
    second = stack.instances.InstallConnector(ispb.InstallConnectorRequest(
        project=PROJECT, connector_id=connector_id, version=2))
    return (lambda: stack.instances.MoveInstances(ispb.MoveInstancesRequest(
        project=PROJECT, installation_id=second.id, instance_ids=[instance.id]))), [
        Expect("instance", UPDATED, ("upgradeInstance", "moveInstance"))]


# --- the tests -----------------------------------------------------------------------------------------


def mutating_methods() -> set[str]:
    return {f"/{service.full_name}/{method.name}" for service, _ in SERVICES for method in service.methods} - READ_ONLY


def test_every_mutating_rpc_has_a_scenario():
    """A new mutating RPC without a scenario (and so without its record checked) fails here."""
    assert mutating_methods() == set(SCENARIOS), (
        "every RPC that changes state must write a change record (plugboard.history, docs/history.md) and "
        "have a scenario in SCENARIOS; a read-only one goes into READ_ONLY")
    assert not READ_ONLY - {f"/{s.full_name}/{m.name}" for s, _ in SERVICES for m in s.methods}


def _check_author(stack: Stack, record: hpb.ChangeRecord, kind: int) -> None:
    assert record.modified_by.kind == (KEY if kind == REVIEWER_KEY else kind), record.modified_by
    if kind == REVIEWER_KEY:
        assert (record.modified_by.kind, record.modified_by.key_id, record.modified_by.project) == (
            KEY, stack.reviewer()[1], REVIEWER)
        return
    if kind == KEY:
        assert (record.modified_by.key_id, record.modified_by.key_name, record.modified_by.project) == (
            stack.key_id, KEY_NAME, PROJECT)
    elif kind == INTERNAL:
        assert record.modified_by.peer and not record.modified_by.key_id


@pytest.mark.parametrize("path", sorted(SCENARIOS), ids=lambda p: p.rsplit("/", 1)[-1])
def test_a_mutating_rpc_writes_exactly_its_records(stack, unique, path):
    act, expected = SCENARIOS[path](stack, unique)
    before = stack.ids()
    act()
    new = sorted(stack.new_since(before), key=lambda r: (r.resource_type, r.type))
    expected = sorted(expected, key=lambda e: (e.resource_type, e.type))
    assert [(r.resource_type, r.type) for r in new] == [(e.resource_type, e.type) for e in expected], new
    for record, expect in zip(new, expected):
        names = tuple(c.change for c in record.changes)
        assert names[:len(expect.changes)] == expect.changes, names
        _check_author(stack, record, expect.author)
        assert record.project == PROJECT
        if record.type == UPDATED and record.resource_type in ("connector-staged", "instance") \
                and names[0] != "testConnection":
            assert record.version == record.previous_version + 1


def test_update_actions_carry_previous_and_next_values(stack, unique):
    draft = _draft(stack, unique)
    update(stack.catalog, draft, Action(set_name=Action.SetName(name="Renamed")),
           Action(add_private_project=Action.AddPrivateProject(private_project="europe-west1.gcp:partner")))
    page = stack.catalog_changes.ListDraftChanges(hpb.ListChangesRequest(resource_id=draft.id))
    assert [r.type for r in page.results] == [UPDATED, CREATED]  # newest first
    changes = {c.change: (json_format.MessageToDict(c.previous_value), json_format.MessageToDict(c.next_value))
               for c in page.results[0].changes}
    assert changes["setName"] == ("Connector's name", "Renamed")
    assert changes["addPrivateProject"] == ([], ["europe-west1.gcp:partner"])
    assert (page.results[0].version, page.results[0].previous_version) == (2, 1)


def test_a_job_records_itself_as_a_system_actor_for_its_requester(stack, unique):
    connector_id = publish(stack.catalog, f"hist-{unique}")
    page = stack.catalog_changes.ListChanges(hpb.ListChangesRequest(resource_id=connector_id, change="publishResult"))
    assert page.count == 1
    author = page.results[0].modified_by
    assert (author.kind, author.system) == (SYSTEM, "publishing-job")
    assert (author.on_behalf_of.kind, author.on_behalf_of.key_id) == (KEY, stack.key_id)
    version = stack.catalog_changes.ListChanges(hpb.ListChangesRequest(resource_type="connector-version",
                                                                       resource_id=f"{connector_id}/versions/1"))
    assert version.count == 1 and version.results[0].modified_by.system == "publishing-job"


def test_a_rolled_back_mutation_leaves_no_record(stack, unique, monkeypatch):
    draft = _draft(stack, unique)
    instance = _instance(stack, f"{unique}-i")
    original = HistoryTable.add

    def add_then_fail(self, *records):  # type: ignore[no-untyped-def]
        original(self, *records)
        raise RuntimeError("injected failure after the record insert")

    before = stack.ids()
    monkeypatch.setattr(HistoryTable, "add", add_then_fail)
    with pytest.raises(grpc.RpcError) as failed:
        update(stack.catalog, draft, Action(set_name=Action.SetName(name="Never")))
    assert failed.value.code() == grpc.StatusCode.INTERNAL
    with pytest.raises(grpc.RpcError):
        stack.instances.UpdateInstance(ispb.UpdateInstanceRequest(
            instance=ipb.Instance(id=instance.id, version=instance.version, name="never"),
            update_mask=field_mask_pb2.FieldMask(paths=["name"])))
    monkeypatch.undo()
    assert stack.new_since(before) == []
    assert stack.catalog.GetConnectorStaged(pb.GetConnectorStagedRequest(id=draft.id)).version == draft.version
    assert stack.instances.GetInstance(ispb.GetInstanceRequest(id=instance.id)).name == instance.name


def test_a_foreign_project_sees_none_of_another_projects_records(stack, unique):
    draft = _draft(stack, unique)
    instance = _instance(stack, f"{unique}-f")
    own = stack.catalog_changes.ListChanges(hpb.ListChangesRequest(resource_id=draft.id))
    assert own.count >= 1
    channel, _, rival_key = stack.key_channel("rival")
    from plugboard.catalog.v1 import change_history_service_pb2_grpc as chg
    from plugboard.instance.v1 import change_history_service_pb2_grpc as ihg

    catalog_changes = chg.CatalogChangeHistoryServiceStub(channel)
    instance_changes = ihg.InstanceChangeHistoryServiceStub(channel)
    for stub, method in ((catalog_changes, "ListChanges"), (catalog_changes, "ListDraftChanges"),
                         (instance_changes, "ListChanges"), (instance_changes, "ListInstanceChanges")):
        page = getattr(stub, method)(hpb.ListChangesRequest(limit=500))
        assert all(r.project == "rival" for r in page.results)
        assert page.total == len([r for r in page.results if r.project == "rival"])
        assert not any(r.resource_id in (draft.id, instance.id) for r in page.results)
    with pytest.raises(grpc.RpcError) as refused:
        catalog_changes.ListChanges(hpb.ListChangesRequest(project=PROJECT))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as missing:
        catalog_changes.GetChange(hpb.GetChangeRequest(id=own.results[0].id))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert stack.catalog_changes.GetChange(hpb.GetChangeRequest(id=own.results[0].id)).id == own.results[0].id
    # Over HTTP, the resource's own history is one call away, and empty for the rival.
    base = f"http://127.0.0.1:{stack.gateway.served.http_port}"
    for path in (f"/connectors/drafts/{draft.id}/changes", f"/projects/rival/instances/{instance.id}/changes"):
        answer = httpx.get(base + path, headers={"Authorization": f"Bearer {rival_key}"}, timeout=10)
        assert answer.status_code == 200 and answer.json().get("total", 0) == 0, answer.text
    refused_http = httpx.get(f"{base}/projects/{PROJECT}/instances/{instance.id}/changes",
                             headers={"Authorization": f"Bearer {rival_key}"}, timeout=10)
    assert refused_http.status_code == 403, refused_http.text


def test_secret_variable_changes_carry_only_fingerprints(stack, unique):
    instance = _instance(stack, unique)
    body = ipb.Instance(id=instance.id, version=instance.version,
                        variables=[ipb.Variable(key="API_TOKEN", value="n3w-s3cr3t-value", secret=True)])
    stack.instances.UpdateInstance(ispb.UpdateInstanceRequest(
        instance=body, update_mask=field_mask_pb2.FieldMask(paths=["variables"])))
    page = stack.instance_changes.ListInstanceChanges(hpb.ListChangesRequest(resource_id=instance.id))
    text = json.dumps([json_format.MessageToDict(r) for r in page.results])
    assert "n3w-s3cr3t-value" not in text and "t0ken" not in text
    change = next(c for c in page.results[0].changes if c.change == "setVariable")
    previous, next_ = json_format.MessageToDict(change.previous_value), json_format.MessageToDict(change.next_value)
    assert previous["key"] == "API_TOKEN" and previous["changed"] and next_["changed"]
    assert previous["fingerprint"] != next_["fingerprint"] and set(next_) == {"key", "changed", "fingerprint"}


def test_the_gateway_strips_identity_metadata_a_caller_sends(stack, unique):
    forged = (("x-plugboard-key-id", "forged"), ("x-plugboard-project", "rival"))
    draft = stack.catalog.CreateConnectorStaged(draft_request(f"hist-{unique}"), metadata=forged)
    record = stack.catalog_changes.ListDraftChanges(hpb.ListChangesRequest(resource_id=draft.id)).results[0]
    assert (record.modified_by.key_id, record.modified_by.project) == (stack.key_id, PROJECT)


def test_filters_paging_and_page_tokens(stack, unique):
    draft = _draft(stack, unique)
    for index in range(4):
        draft = update(stack.catalog, draft, Action(set_name=Action.SetName(name=f"name {index}")))
    query = dict(resource_id=draft.id, change="setName", author=stack.key_id, type=UPDATED)
    page = stack.catalog_changes.ListChanges(hpb.ListChangesRequest(limit=3, **query))
    assert (page.count, page.total) == (3, 4) and page.next_page_token
    assert [r.version for r in page.results] == [5, 4, 3]
    rest = stack.catalog_changes.ListChanges(hpb.ListChangesRequest(limit=3, page_token=page.next_page_token, **query))
    assert [r.version for r in rest.results] == [2] and not rest.next_page_token
    offset = stack.catalog_changes.ListChanges(hpb.ListChangesRequest(limit=2, offset=2, **query))
    assert [r.version for r in offset.results] == [3, 2]
    newest = page.results[0].modified_at
    later = stack.catalog_changes.ListChanges(hpb.ListChangesRequest(from_time=newest, **query))
    assert [r.version for r in later.results] == [5]
    earlier = stack.catalog_changes.ListChanges(hpb.ListChangesRequest(to_time=newest, **query))
    assert [r.version for r in earlier.results] == [4, 3, 2]
    assert stack.catalog_changes.ListChanges(hpb.ListChangesRequest(
        resource_id=draft.id, type=CREATED)).results[0].changes[0].change == "createConnectorStaged"
    with pytest.raises(grpc.RpcError) as bad:
        stack.catalog_changes.ListChanges(hpb.ListChangesRequest(limit=501))
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_http_native_dialect_serves_a_resources_history(stack, unique):
    draft = _draft(stack, unique)
    instance = _instance(stack, f"{unique}-h")
    base = f"http://127.0.0.1:{stack.gateway.served.http_port}"
    headers = {"Authorization": f"Bearer {stack.key}"}
    drafts = httpx.get(f"{base}/connectors/drafts/{draft.id}/changes", headers=headers, timeout=10).json()
    assert drafts["results"][0]["type"] == "CHANGE_TYPE_CREATED"
    assert drafts["results"][0]["changes"][0]["change"] == "createConnectorStaged"
    listed = httpx.get(f"{base}/projects/{PROJECT}/instances/{instance.id}/changes", headers=headers, timeout=10).json()
    assert listed["results"][0]["resourceId"] == instance.id
    one = httpx.get(f"{base}/projects/{PROJECT}/changes/{listed['results'][0]['id']}", headers=headers, timeout=10)
    assert one.status_code == 200 and one.json()["id"] == listed["results"][0]["id"]
    filtered = httpx.get(f"{base}/connectors/changes", params={"change": "createConnectorStaged",
                                                              "resourceId": draft.id}, headers=headers, timeout=10)
    assert filtered.json()["total"] == 1


def test_an_instance_following_its_connector_records_the_follower_for_its_reader(stack, unique):
    instance = _instance(stack, unique)  # follows the latest version (no version named)
    draft = stack.catalog.GetConnectorStaged(pb.GetConnectorStagedRequest(id=instance.connector_id))
    draft = update(stack.catalog, draft, Action(set_name=Action.SetName(name="Shop sync 2")))
    assert publish_and_wait(stack.catalog, draft).published_version == 2
    assert stack.instances.GetInstance(ispb.GetInstanceRequest(id=instance.id)).connector_version == 2
    page = stack.instance_changes.ListInstanceChanges(hpb.ListChangesRequest(resource_id=instance.id,
                                                                             change="upgradeInstance"))
    assert page.count == 1
    change, author = page.results[0].changes[0], page.results[0].modified_by
    assert (json_format.MessageToDict(change.previous_value), json_format.MessageToDict(change.next_value)) == (1, 2)
    assert (author.kind, author.system, author.on_behalf_of.key_id) == (SYSTEM, "version-follower", stack.key_id)
