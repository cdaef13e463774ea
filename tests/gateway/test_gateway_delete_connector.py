"""CatalogService.DeleteConnector through the gateway, over the real catalog and instance services:
the deletion protocol of DESIGN.md, and the internal RPCs the gateway does not expose."""

from __future__ import annotations

import grpc
import pytest

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import connector_pb2
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from tests.gateway.conftest import closed_port, start_gateway
from tests.gateway.helpers import add_instance, install, publish
from tests.rich import expect_error

ACTIVE = connector_pb2.CONNECTOR_LIFECYCLE_STATE_ACTIVE
DELETING = connector_pb2.CONNECTOR_LIFECYCLE_STATE_DELETING


def state(direct_catalog, connector_id: str) -> int:  # type: ignore[no-untyped-def]
    return direct_catalog.GetConnector(cpb.GetConnectorRequest(id=connector_id)).lifecycle_state


def delete(catalog, connector_id: str, **kwargs):  # type: ignore[no-untyped-def]
    return catalog.DeleteConnector(cpb.DeleteConnectorRequest(id=connector_id, **kwargs), timeout=10)


def test_delete_is_refused_naming_the_instances_and_reverted(catalog, direct_catalog, instances, keys, unique):
    connector_id = publish(catalog, f"refused-{unique}", shared_with=("europe-west1.gcp:globex",))
    first = add_instance(instances, connector_id, "Shop EU")
    globex = igrpc.InstanceServiceStub(keys.channel("globex"))
    install(globex, connector_id, project="globex")
    second = add_instance(globex, connector_id, "Shop US", project="globex")

    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION,
                         lambda: delete(catalog, connector_id, project="acme"),
                         reason="CONNECTOR_HAS_INSTANCES")
    assert error.metadata == {"connector_id": connector_id, "referencing_instance_count": "2",
                              "installation_count": "2"}  # acme's (automatic) and globex's
    subjects = {v.subject for v in error.violations}
    assert subjects == {f"projects/acme/instances/{first.id}",
                        f"projects/globex/instances/{second.id}"}
    assert all(v.type == "INSTANCE_REFERENCE" for v in error.violations)
    assert any("Shop EU" in v.description for v in error.violations)
    assert state(direct_catalog, connector_id) == ACTIVE  # reverted: instances can still be created
    add_instance(instances, connector_id, "Shop APAC")


def test_a_refusal_names_at_most_ten_instances_and_counts_them_all(catalog, instances, unique):
    connector_id = publish(catalog, f"many-{unique}")
    for number in range(12):
        add_instance(instances, connector_id, f"Shop {number:02d}")
    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: delete(catalog, connector_id),
                         reason="CONNECTOR_HAS_INSTANCES")
    assert len(error.violations) == 10
    assert error.metadata["referencing_instance_count"] == "12"


def test_delete_without_instances_deletes(catalog, direct_catalog, instances, unique):
    connector_id = publish(catalog, f"deleted-{unique}")
    instance = add_instance(instances, connector_id, "Shop EU")
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: delete(catalog, connector_id, project="acme"))
    instances.DeleteInstance(ispb.DeleteInstanceRequest(project="acme", id=instance.id))

    response = delete(catalog, connector_id, project="acme")
    assert response == cpb.DeleteConnectorResponse(deleted=True, referencing_instance_count=0)
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: catalog.GetConnector(cpb.GetConnectorRequest(id=connector_id)))
    expect_error(grpc.StatusCode.NOT_FOUND,
                 lambda: direct_catalog.GetConnector(cpb.GetConnectorRequest(id=connector_id)))
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: add_instance(instances, connector_id, "Too late"))


def test_dry_run_reports_the_impact_and_changes_nothing(catalog, direct_catalog, instances, unique):
    connector_id = publish(catalog, f"dry-{unique}")
    instance = add_instance(instances, connector_id, "Shop EU")
    before = direct_catalog.GetConnector(cpb.GetConnectorRequest(id=connector_id))

    report = delete(catalog, connector_id, project="acme", dry_run=True)
    assert report.dry_run and not report.deleted
    assert report.referencing_instance_count == 1
    assert [(r.project, r.instance_id, r.name) for r in report.referencing_instances] == [
        ("acme", instance.id, "Shop EU")]
    assert direct_catalog.GetConnector(cpb.GetConnectorRequest(id=connector_id)) == before

    instances.DeleteInstance(ispb.DeleteInstanceRequest(project="acme", id=instance.id))
    report = delete(catalog, connector_id, dry_run=True)
    assert report == cpb.DeleteConnectorResponse(dry_run=True, referencing_instance_count=0)
    assert direct_catalog.GetConnector(cpb.GetConnectorRequest(id=connector_id)) == before


def test_missing_connector_is_not_found(catalog):
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: delete(catalog, "no-such-connector"))
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: delete(catalog, "no-such-connector", dry_run=True))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: delete(catalog, ""))


def test_only_the_creator_project_may_delete(catalog, direct_catalog, keys, unique):
    connector_id = publish(catalog, f"owned-{unique}", shared_with=("europe-west1.gcp:globex",))
    # A project that cannot see the private connector: as if it did not exist.
    initech = cgrpc.CatalogServiceStub(keys.channel("initech"))
    for dry_run in (False, True):
        expect_error(grpc.StatusCode.NOT_FOUND, lambda: delete(initech, connector_id, dry_run=dry_run))
    # A project it is shared with sees it but did not create it.
    globex = cgrpc.CatalogServiceStub(keys.channel("globex"))
    error = expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: delete(globex, connector_id),
                         reason="CONNECTOR_NOT_OWNED")
    assert error.metadata == {"connector_id": connector_id}
    assert state(direct_catalog, connector_id) == ACTIVE


def test_a_delete_under_way_refuses_a_second_one_with_the_catalogs_error(catalog, direct_catalog, unique):
    connector_id = publish(catalog, f"twice-{unique}")
    direct_catalog.BeginConnectorDeletion(cpb.BeginConnectorDeletionRequest(id=connector_id))
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: delete(catalog, connector_id),
                 reason="CONNECTOR_DELETING")
    assert state(direct_catalog, connector_id) == DELETING  # not ours to revert


def test_instance_service_down_gives_unavailable_and_deletes_nothing(settings, catalog_server, catalog,
                                                                     direct_catalog, unique):
    connector_id = publish(catalog, f"down-{unique}")
    gateway = start_gateway(settings, catalog_server.target, f"127.0.0.1:{closed_port()}")
    try:
        stub = type(catalog)(gateway.channel)
        error = expect_error(grpc.StatusCode.UNAVAILABLE, lambda: delete(stub, connector_id),
                             reason="REFERENCE_CHECK_UNAVAILABLE")
        assert error.metadata == {"connector_id": connector_id}
    finally:
        gateway.stop()
    assert state(direct_catalog, connector_id) == ACTIVE


@pytest.mark.parametrize("call", [
    lambda c, i: c.BeginConnectorDeletion(cpb.BeginConnectorDeletionRequest(id="c1")),
    lambda c, i: c.CancelConnectorDeletion(cpb.CancelConnectorDeletionRequest(id="c1")),
    lambda c, i: c.CompleteConnectorDeletion(cpb.CompleteConnectorDeletionRequest(id="c1")),
    lambda c, i: c.CheckConnectorUsable(cpb.CheckConnectorUsableRequest(id="c1", project="acme")),
    lambda c, i: i.CountConnectorReferences(ispb.CountConnectorReferencesRequest(connector_id="c1")),
], ids=["BeginConnectorDeletion", "CancelConnectorDeletion", "CompleteConnectorDeletion",
        "CheckConnectorUsable", "CountConnectorReferences"])
def test_internal_rpcs_are_permission_denied(catalog, instances, call):
    error = expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: call(catalog, instances),
                         reason="INTERNAL_METHOD")
    assert error.metadata["method"].startswith("/plugboard.")


def test_internal_rpcs_still_work_on_the_backends(catalog, direct_catalog, instance_server, unique):
    connector_id = publish(catalog, f"internal-{unique}")
    counted = igrpc.InstanceServiceStub(instance_server.channel).CountConnectorReferences(
        ispb.CountConnectorReferencesRequest(connector_id=connector_id))
    assert counted.total == 0
    usable = direct_catalog.CheckConnectorUsable(cpb.CheckConnectorUsableRequest(id=connector_id, project="acme"))
    assert usable.connector_id == connector_id
