"""A key reaches only its own project: another project's instance is NOT_FOUND exactly as a missing one,
lists never show it, private connectors are visible to their creator and their privateProjects only."""

from __future__ import annotations

import uuid

import grpc
import pytest

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.rpc.status import details_of
from tests.gateway.helpers import add_instance, install, publish
from tests.rich import expect_error


def not_found_of(call) -> tuple:  # type: ignore[no-untyped-def]
    try:
        call()
    except grpc.RpcError as exc:
        return exc.code(), exc.details(), details_of(exc)
    raise AssertionError("expected NOT_FOUND")


def test_another_projects_instance_is_not_found_exactly_as_a_missing_one(gateway, keys, unique):
    globex_key = "globex"
    catalog = cgrpc.CatalogServiceStub(gateway.channel)
    connector_id = publish(catalog, f"iso-{unique}", shared_with=("europe-west1.gcp:globex",))
    globex = igrpc.InstanceServiceStub(keys.channel(globex_key))
    install(globex, connector_id, project=globex_key)
    theirs = add_instance(globex, connector_id, "Theirs", project=globex_key)
    acme = igrpc.InstanceServiceStub(gateway.channel)
    mine = add_instance(acme, connector_id, "Mine")

    # Asked in their project and in ours: the same answer as for an id that exists nowhere.
    for project in (globex_key, "acme"):
        foreign = not_found_of(lambda: acme.GetInstance(ispb.GetInstanceRequest(project=project, id=theirs.id)))
        nowhere = str(uuid.uuid4())  # the same length as a real id, so the encodings compare
        assert len(nowhere) == len(theirs.id)
        missing = not_found_of(lambda: acme.GetInstance(ispb.GetInstanceRequest(project="acme", id=nowhere)))
        code, message, status = foreign
        assert code == missing[0] == grpc.StatusCode.NOT_FOUND
        assert message.replace(theirs.id, "X") == missing[1].replace(nowhere, "X")
        assert status.SerializeToString().replace(theirs.id.encode(), b"X") == \
            missing[2].SerializeToString().replace(nowhere.encode(), b"X")
    for call in (
        lambda: acme.DeleteInstance(ispb.DeleteInstanceRequest(project=globex_key, id=theirs.id)),
        lambda: acme.TestInstanceConnection(ispb.TestInstanceConnectionRequest(project=globex_key, id=theirs.id)),
        lambda: acme.ListConnectionTests(ispb.ListConnectionTestsRequest(project=globex_key, instance_id=theirs.id)),
    ):
        expect_error(grpc.StatusCode.NOT_FOUND, call, reason="INSTANCE_NOT_FOUND")
    # Lists: only the key's project, whatever the request says (empty project: the key's).
    listed = acme.ListInstances(ispb.ListInstancesRequest())
    assert [i.id for i in listed.instances] == [mine.id]
    expect_error(grpc.StatusCode.PERMISSION_DENIED,
                 lambda: acme.ListInstances(ispb.ListInstancesRequest(project=globex_key)),
                 reason="PROJECT_MISMATCH")
    # Theirs is intact.
    assert globex.GetInstance(ispb.GetInstanceRequest(id=theirs.id)).name == "Theirs"


def test_the_keys_project_is_the_requests_project(gateway, keys, unique):
    """An empty project is filled in from the key, on the catalog as on the instance service."""
    catalog = cgrpc.CatalogServiceStub(gateway.channel)
    connector_id = publish(catalog, f"fill-{unique}", project="")
    assert catalog.GetConnector(cpb.GetConnectorRequest(id=connector_id)).creator_project == "acme"
    instance = add_instance(igrpc.InstanceServiceStub(gateway.channel), connector_id, "Filled", project="")
    assert instance.project == "acme"


def test_private_connectors_are_visible_to_creator_and_private_projects_only(gateway, keys, unique):
    catalog = cgrpc.CatalogServiceStub(gateway.channel)
    shared = publish(catalog, f"shared-{unique}", shared_with=("europe-west1.gcp:globex",))
    private = publish(catalog, f"private-{unique}")
    globex = cgrpc.CatalogServiceStub(keys.channel("globex", ["view_connectors"]))
    initech = cgrpc.CatalogServiceStub(keys.channel("initech", ["view_connectors"]))

    def listed(stub) -> set[str]:  # type: ignore[no-untyped-def]
        return {c.id for c in stub.ListConnectors(cpb.ListConnectorsRequest(limit=500)).results}

    assert {shared, private} <= listed(catalog)
    assert shared in listed(globex) and private not in listed(globex)
    assert not {shared, private} & listed(initech)
    assert globex.GetConnector(cpb.GetConnectorRequest(id=shared)).id == shared
    for stub, connector in ((globex, private), (initech, shared), (initech, private)):
        expect_error(grpc.StatusCode.NOT_FOUND, lambda: stub.GetConnector(cpb.GetConnectorRequest(id=connector)))
    # Claiming to be another project does not help.
    expect_error(grpc.StatusCode.PERMISSION_DENIED,
                 lambda: initech.GetConnector(cpb.GetConnectorRequest(id=private, project="acme")),
                 reason="PROJECT_MISMATCH")


def test_a_taken_draft_key_tells_another_project_only_that_it_is_taken(gateway, keys, unique):
    """Draft keys are unique across the catalog (seed 002: "User-defined unique identifier of the
    Connector"): another project creating the same key gets ALREADY_EXISTS, which names the key it sent
    and nothing of the draft (no id, project, name or repository), while reading that key answers
    NOT_FOUND. Accepted behaviour, documented in docs/security.md."""
    key = f"secret-plan-{unique}"
    acme = cgrpc.CatalogServiceStub(gateway.channel)
    mine = acme.CreateConnectorStaged(cpb.CreateConnectorStagedRequest(draft=spb.ConnectorStagedDraft(
        key=key, name="Confidential name", repository=spb.Repository(url="https://github.com/acme/hidden.git",
                                                                    tag="v1"))))
    globex = cgrpc.CatalogServiceStub(keys.channel("globex"))
    with pytest.raises(grpc.RpcError) as info:
        globex.CreateConnectorStaged(cpb.CreateConnectorStagedRequest(draft=spb.ConnectorStagedDraft(
            key=key, name="Other", repository=spb.Repository(url="https://github.com/globex/x.git", tag="v1"))))
    exc = info.value
    assert exc.code() == grpc.StatusCode.ALREADY_EXISTS
    told = f"{exc.details()} {details_of(exc)}"
    for hidden in (mine.id, "acme", "Confidential name", "hidden.git"):
        assert hidden not in told, (hidden, told)
    assert key in told
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: globex.GetConnectorStagedByKey(
        cpb.GetConnectorStagedByKeyRequest(key=key)))
