"""Issue 14 on the instance side, over real gRPC with the real catalog: existing instances survive unlisting
and a private re-publish (points 1 and 6), and instances of a connector's preview (point 3)."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from instance_service.server import create_server as create_instance_server
from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.catalog.v1 import certification_service_pb2_grpc as certgrpc
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.catalog.v1 import update_actions_pb2 as apb
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.settings import Settings
from tests.catalog.gitrepos import certify, connector_repo, publish_and_wait, wait_for
from tests.harness import start_server
from tests.instance.conftest import TEST_KEYS
from tests.instance.helpers import MINIMAL_SPEC, install
from tests.rich import expect_error

Action = apb.ConnectorStagedUpdateAction


@pytest.fixture
def catalog(catalog_server):
    return cgrpc.CatalogServiceStub(catalog_server.channel)


@pytest.fixture
def certification(catalog_server):
    return certgrpc.CertificationServiceStub(catalog_server.channel)


@pytest.fixture
def stub(catalog_server, database_url, tmp_path):
    """An instance service that asks the catalog on every read (no cached version answers)."""
    settings = Settings(data_dir=tmp_path, instance_database_url=database_url, catalog_target=catalog_server.target,
                        secret_keys=TEST_KEYS, version_check_seconds=0)
    server = start_server(lambda: create_instance_server(settings, port=0))
    yield igrpc.InstanceServiceStub(server.channel)
    server.stop()


def draft(catalog, key: str, private_projects: tuple[str, ...] = ()) -> spb.ConnectorStaged:  # type: ignore[no-untyped-def]
    return catalog.CreateConnectorStaged(cpb.CreateConnectorStagedRequest(project="acme", draft=spb.ConnectorStagedDraft(
        key=key, name=f"Connector {key}", documentation_url="https://example.com/docs",
        creator=spb.Creator(email="dev@example.com"), supported_regions=["europe-west1.gcp"],
        repository=spb.Repository(url=connector_repo(MINIMAL_SPEC), tag="v1.0.0"),
        private_projects=list(private_projects))))


def update(catalog, current: spb.ConnectorStaged, *actions: Action) -> spb.ConnectorStaged:  # type: ignore[no-untyped-def]
    return catalog.UpdateConnectorStaged(cpb.UpdateConnectorStagedRequest(
        id=current.id, version=current.version, project="acme", actions=list(actions)))


def add(stub, project: str, connector_id: str, name: str, **changes) -> ipb.Instance:  # type: ignore[no-untyped-def]
    return stub.CreateInstance(ispb.CreateInstanceRequest(project=project, instance=ipb.Instance(
        name=name, timezone="UTC", date_format="Y-m-d", rate_limit_unit=ipb.RATE_LIMIT_UNIT_SECOND,
        rate_limit_duration=1, connector_id=connector_id, **changes)))


def get(stub, project: str, instance: ipb.Instance) -> ipb.Instance:  # type: ignore[no-untyped-def]
    return stub.GetInstance(ispb.GetInstanceRequest(project=project, id=instance.id))


def connection_test(stub, project: str, instance: ipb.Instance) -> ipb.ConnectionTestResult:  # type: ignore[no-untyped-def]
    return stub.TestInstanceConnection(ispb.TestInstanceConnectionRequest(project=project, id=instance.id))


def test_deployed_instances_survive_unlist_and_a_private_republish(catalog, certification, stub, unique):
    """Seed 002, Unlist: "This update action does not affect deployed instances of the Connector". After
    unlist, and after a certified public connector is re-published with certification false (private),
    another project's existing instance still tests its connection, reads and upgrades on the version it
    uses; its installation is a deployment too (seed 001: a connector installed once takes as many
    instances as needed); only new uses are refused (NOT_FOUND), as visibility says."""
    created = draft(catalog, f"kept-{unique}")
    certified = certify(catalog, certification, created)
    install(stub, "globex", created.id)
    instance = add(stub, "globex", created.id, "globex-shop")
    assert instance.connector_version == 1

    unlisted = update(catalog, certified, Action(unlist=Action.Unlist()))
    assert connection_test(stub, "globex", instance).connector_version == 1
    assert get(stub, "globex", instance).connector_version == 1
    dry = stub.UpgradeInstance(ispb.UpgradeInstanceRequest(project="globex", instance_id=instance.id, dry_run=True))
    assert dry.target_version == 1 and not dry.results[0].problems
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: install(stub, "initech", created.id))

    private = publish_and_wait(catalog, unlisted)  # certification false: private, version 2
    assert private.private and not private.certified and private.published_version == 2
    assert connection_test(stub, "globex", instance).connector_version == 1
    read = get(stub, "globex", instance)
    assert read.connector_version == 1 and read.upgrade.latest_version == 1  # version 2 is not offered to it
    assert not read.upgrade.newer_version_available
    listed = stub.ListInstances(ispb.ListInstancesRequest(project="globex")).instances
    assert [i.id for i in listed] == [instance.id]
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: stub.UpgradeInstance(ispb.UpgradeInstanceRequest(
        project="globex", instance_id=instance.id, target_version=2)), reason="CONNECTOR_VERSION_NOT_FOUND")
    assert stub.UpgradeInstance(ispb.UpgradeInstanceRequest(
        project="globex", connector_id=created.id, dry_run=True)).target_version == 1
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: install(stub, "initech", created.id))
    assert add(stub, "globex", created.id, "another").connector_version == 1  # the installed version
    # the creator moves on to the private version
    mine = add(stub, "acme", created.id, "acme-shop")
    assert mine.connector_version == 2


def granted(catalog, current: spb.ConnectorStaged) -> spb.ConnectorStaged:  # type: ignore[no-untyped-def]
    update(catalog, current, Action(update_previewable=Action.UpdatePreviewable()))
    return wait_for(catalog, current.id, lambda d: d.is_previewable == spb.IS_PREVIEWABLE_TRUE
                    and d.preview_number > current.preview_number)


def test_instances_of_a_preview_for_private_projects_only(catalog, stub, unique):
    """Seed 002, Preview Connector: "Previewable ConnectorStaged should be deployed for testing and preview
    purposes. You can only deploy previewable ConnectorStaged to Projects listed in privateProjects"; and
    isPreviewable true: "ConnectorStaged can be used in a Deployment". The instance is marked as a
    preview, follows the next preview granted, and leaves the preview with an upgrade."""
    created = draft(catalog, f"preview-{unique}", private_projects=("eu.gcp:globex",))
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: add(
        stub, "globex", created.id, "too-early", version_policy=ipb.VERSION_POLICY_PREVIEW),
        reason="CONNECTOR_NOT_PREVIEWABLE")
    first = granted(catalog, created)
    trial = add(stub, "globex", created.id, "trial", version_policy=ipb.VERSION_POLICY_PREVIEW)
    assert trial.preview and trial.version_policy == ipb.VERSION_POLICY_PREVIEW and trial.connector_version == 1
    assert add(stub, "acme", created.id, "own-trial", version_policy=ipb.VERSION_POLICY_PREVIEW).preview
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: add(
        stub, "initech", created.id, "stranger", version_policy=ipb.VERSION_POLICY_PREVIEW))
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: add(stub, "globex", created.id, "published"))  # none yet
    assert connection_test(stub, "globex", trial).connector_version == 1

    granted(catalog, first)  # a new preview supersedes the first
    moved = get(stub, "globex", trial)
    assert moved.preview and moved.connector_version == 2
    refused = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: stub.UpdateInstance(ispb.UpdateInstanceRequest(
        project="globex", instance=ipb.Instance(id=trial.id, version_policy=ipb.VERSION_POLICY_FOLLOW_LATEST),
        update_mask=FieldMask(paths=["version_policy"]))))
    assert "PREVIEW" in str(refused)

    current = catalog.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=created.id))
    publish_and_wait(catalog, current)  # published version 1, counted apart from the previews
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: stub.UpgradeInstance(ispb.UpgradeInstanceRequest(
        project="globex", instance_id=trial.id, version_policy=ipb.VERSION_POLICY_PREVIEW)))
    install(stub, "globex", created.id)  # a preview's instance leaves the preview into an installation
    left = stub.UpgradeInstance(ispb.UpgradeInstanceRequest(project="globex", instance_id=trial.id))
    assert left.target_version == 1 and left.results[0].upgraded
    after = get(stub, "globex", trial)
    assert not after.preview and after.connector_version == 1
    assert after.version_policy == ipb.VERSION_POLICY_FOLLOW_LATEST
