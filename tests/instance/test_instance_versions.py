"""Connector versions over real gRPC, now that an instance's version is its installation's: a project's own
connector is followed by its automatic installation with every instance (or flagged), and UpgradeInstance
(with its dry run) moves instances through installations. The versions are published by the real catalog from real connect.yaml files."""

from __future__ import annotations

import grpc
import pytest

from instance_service.server import create_server as create_instance_server
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.settings import Settings
from tests.harness import start_server
from tests.instance.conftest import TEST_KEYS
from tests.instance.helpers import publish, publish_version
from tests.rich import expect_error


def spec(standard: str, secured: str) -> str:
    return ("deployAs:\n  - name: service-app\n    applicationType: service\n    endpoint: /service\n    configuration:\n"
            f"      standardConfiguration: [{standard}]\n      securedConfiguration: [{secured}]\n")


V1 = spec("{key: REGION, description: Region, default: eu}", "{key: API_TOKEN, description: Token, required: true}")
V2 = spec("{key: REGION, description: Region, default: eu}, {key: PAGE_SIZE, description: Size, default: '50'}",
          "{key: API_TOKEN, description: Token, required: true}")
V3 = spec("{key: REGION, description: Region, default: eu}, {key: PAGE_SIZE, description: Size, default: '50'}",
          "{key: API_TOKEN, description: Token, required: true}, {key: SIGNING_KEY, description: Key, required: true}")


class Connector:
    """A connector published by the real catalog (version 1 from V1); ``publish(spec)`` adds a version."""

    def __init__(self, catalog, key: str) -> None:  # type: ignore[no-untyped-def]
        self.catalog = catalog
        self.id = publish(catalog, "acme", key, V1)

    def publish(self, *specs: str) -> None:
        for text in specs:
            publish_version(self.catalog, "acme", self.id, text)


@pytest.fixture
def connector(catalog_server, unique):
    return Connector(cgrpc.CatalogServiceStub(catalog_server.channel), f"versioned-{unique}")


@pytest.fixture
def stub(catalog_server, database_url, tmp_path):
    settings = Settings(data_dir=tmp_path, instance_database_url=database_url, catalog_target=catalog_server.target,
                        secret_keys=TEST_KEYS, version_check_seconds=0)
    server = start_server(lambda: create_instance_server(settings, port=0))
    yield igrpc.InstanceServiceStub(server.channel)
    server.stop()


def create(stub, connector, name, **changes) -> ipb.Instance:  # type: ignore[no-untyped-def]
    return stub.CreateInstance(ispb.CreateInstanceRequest(project="acme", instance=ipb.Instance(
        name=name, timezone="UTC", date_format="Y-m-d", rate_limit_unit=ipb.RATE_LIMIT_UNIT_SECOND,
        rate_limit_duration=1, connector_id=connector.id, variables=[ipb.Variable(key="API_TOKEN", value="tok-1")],
        **changes)))


def get(stub, instance) -> ipb.Instance:  # type: ignore[no-untyped-def]
    return stub.GetInstance(ispb.GetInstanceRequest(project="acme", id=instance.id))


def upgrade(stub, **fields) -> ispb.UpgradeInstanceResponse:  # type: ignore[no-untyped-def]
    return stub.UpgradeInstance(ispb.UpgradeInstanceRequest(project="acme", **fields))


def update(stub, installation_id, **fields) -> ispb.UpdateInstallationResponse:  # type: ignore[no-untyped-def]
    return stub.UpdateInstallation(ispb.UpdateInstallationRequest(project="acme", id=installation_id, **fields))


def test_an_own_connector_installation_follows_with_all_its_instances(stub, connector):
    first = create(stub, connector, "first")
    second = create(stub, connector, "second", connector_version=1)
    assert first.installation_id == second.installation_id  # installed automatically, once
    assert first.connector_version == second.connector_version == 1

    connector.publish(V2)  # a compatible version: the installation and every instance take it on a read
    moved = get(stub, first)
    assert moved.connector_version == 2 and moved.version == 2 and not moved.upgrade.newer_version_available
    assert {v.key: v.value for v in moved.variables}["PAGE_SIZE"] == "50"  # the new default arrived
    assert get(stub, second).connector_version == 2
    installation = stub.GetInstallation(ispb.GetInstallationRequest(project="acme", id=first.installation_id))
    assert installation.connector_version == 2 and installation.instance_count == 2

    connector.publish(V3)  # needs a secret the instances do not have: nothing moves, both say why
    listed = {i.name: i for i in stub.ListInstances(ispb.ListInstancesRequest(project="acme")).instances}
    for item in listed.values():
        assert item.connector_version == 2 and item.upgrade.latest_version == 3
        assert item.upgrade.newer_version_available
        assert any("SIGNING_KEY" in reason for reason in item.upgrade.blocked_reasons)
    installation = stub.GetInstallation(ispb.GetInstallationRequest(project="acme", id=first.installation_id))
    assert installation.connector_version == 2 and installation.update_available
    assert installation.available_update.version == 3
    assert list(installation.available_update.added_keys) == ["SIGNING_KEY"]
    assert list(installation.available_update.now_required_keys) == ["SIGNING_KEY"]
    assert installation.available_update.failing_instance_count == 2


def test_upgrade_dry_run_changes_nothing_then_upgrades_move_through_installations(stub, connector):
    pinned = create(stub, connector, "pinned", connector_version=1)
    other = create(stub, connector, "other", connector_version=1)
    connector.publish(V2, V3)

    dry = upgrade(stub, connector_id=connector.id, dry_run=True)
    assert dry.dry_run and dry.target_version == 3
    assert {r.instance_id for r in dry.results} == {pinned.id, other.id}
    assert all(not r.upgraded and any("SIGNING_KEY" in p for p in r.problems) for r in dry.results)

    dry2 = upgrade(stub, connector_id=connector.id, target_version=2, dry_run=True)
    assert all(r.upgraded and r.from_version == 1 and not r.problems for r in dry2.results)
    assert get(stub, pinned).connector_version == 1 and get(stub, pinned).version == 1  # nothing changed

    # One instance cannot leave an installation it shares for a version nobody installed.
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: upgrade(stub, instance_id=pinned.id, target_version=2),
                 reason="CONNECTOR_VERSION_NOT_INSTALLED")
    done = upgrade(stub, connector_id=connector.id, target_version=2)  # the installation moves with both
    assert [r.upgraded for r in done.results] == [True, True]
    after = get(stub, pinned)
    assert after.connector_version == 2 and after.version == 2 and get(stub, other).connector_version == 2

    # Version 3 installed alongside; the missing secret is given with the upgrade of one instance, which
    # moves it to that installation.
    alongside = update(stub, pinned.installation_id, target_version=3, mode=ispb.UPDATE_MODE_ALONGSIDE)
    assert alongside.installation.connector_version == 3 and alongside.installation.id != pinned.installation_id
    moved = upgrade(stub, instance_id=pinned.id, target_version=3,
                    variables=[ipb.Variable(key="SIGNING_KEY", value="sign-secret")])
    assert moved.results[0].upgraded and not moved.results[0].problems
    final = get(stub, pinned)
    assert final.connector_version == 3 and final.installation_id == alongside.installation.id
    signing = {v.key: v for v in final.variables}["SIGNING_KEY"]
    assert signing.secret and signing.value_set and signing.value == ""
    assert get(stub, other).connector_version == 2


def test_upgrade_errors(stub, connector):
    instance = create(stub, connector, "x")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: upgrade(stub))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: upgrade(stub, instance_id=instance.id, connector_id=connector.id))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: upgrade(
        stub, connector_id=connector.id, variables=[ipb.Variable(key="A", value="b")]))
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: upgrade(stub, instance_id="missing"))
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: upgrade(stub, instance_id=instance.id, target_version=9),
                 reason="CONNECTOR_VERSION_NOT_FOUND")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: upgrade(
        stub, instance_id=instance.id, variables=[ipb.Variable(key="NOT_A_KEY", value="b")]))
