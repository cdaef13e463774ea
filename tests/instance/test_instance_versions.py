"""Connector versions over real gRPC: following the latest version, pinning, UpgradeInstance and its dry
run. The catalog is ``FakeCatalog`` serving several published versions."""

from __future__ import annotations

import grpc
import pytest

from instance_service.server import create_server as create_instance_server
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.settings import Settings
from tests.harness import start_server
from tests.instance.conftest import TEST_KEYS
from tests.instance.fake_catalog import FakeCatalog, serve_fake_catalog, specification
from tests.rich import expect_error

V1 = specification(standard=[("REGION", False, "eu")], secured=[("API_TOKEN", True)])
V2 = specification(standard=[("REGION", False, "eu"), ("PAGE_SIZE", False, "50")], secured=[("API_TOKEN", True)])
V3 = specification(standard=[("REGION", False, "eu"), ("PAGE_SIZE", False, "50")],
                   secured=[("API_TOKEN", True), ("SIGNING_KEY", True)])


@pytest.fixture
def fake():
    fake = FakeCatalog()
    fake.versions = {1: V1}
    server = start_server(lambda: serve_fake_catalog(fake))
    fake.target = server.target  # type: ignore[attr-defined]
    yield fake
    server.stop()


@pytest.fixture
def stub(fake, database_url, tmp_path):
    settings = Settings(data_dir=tmp_path, instance_database_url=database_url, catalog_target=fake.target,
                        secret_keys=TEST_KEYS, version_check_seconds=0)
    server = start_server(lambda: create_instance_server(settings, port=0))
    yield igrpc.InstanceServiceStub(server.channel)
    server.stop()


def create(stub, name, **changes) -> ipb.Instance:  # type: ignore[no-untyped-def]
    return stub.CreateInstance(ispb.CreateInstanceRequest(project="acme", instance=ipb.Instance(
        name=name, timezone="UTC", date_format="Y-m-d", rate_limit_unit=ipb.RATE_LIMIT_UNIT_SECOND,
        rate_limit_duration=1, connector_id="c-1", variables=[ipb.Variable(key="API_TOKEN", value="tok-1")],
        **changes)))


def get(stub, instance) -> ipb.Instance:  # type: ignore[no-untyped-def]
    return stub.GetInstance(ispb.GetInstanceRequest(project="acme", id=instance.id))


def upgrade(stub, **fields) -> ispb.UpgradeInstanceResponse:  # type: ignore[no-untyped-def]
    return stub.UpgradeInstance(ispb.UpgradeInstanceRequest(project="acme", **fields))


def test_following_moves_pinned_stays_and_blocked_is_flagged(stub, fake):
    follower = create(stub, "follower")
    pinned = create(stub, "pinned", connector_version=1)
    assert follower.version_policy == ipb.VERSION_POLICY_FOLLOW_LATEST and follower.connector_version == 1
    assert pinned.version_policy == ipb.VERSION_POLICY_PINNED

    fake.versions[2] = V2  # a compatible version appears
    moved = get(stub, follower)
    assert moved.connector_version == 2 and moved.version == 2 and not moved.upgrade.newer_version_available
    assert {v.key: v.value for v in moved.variables}["PAGE_SIZE"] == "50"  # the new default arrived
    stayed = get(stub, pinned)
    assert stayed.connector_version == 1 and stayed.version == 1
    assert stayed.upgrade.newer_version_available and stayed.upgrade.latest_version == 2

    fake.versions[3] = V3  # needs a secret the instances do not have
    listed = {i.name: i for i in stub.ListInstances(ispb.ListInstancesRequest(project="acme")).instances}
    blocked = listed["follower"]
    assert blocked.connector_version == 2 and blocked.upgrade.latest_version == 3
    assert blocked.upgrade.newer_version_available
    assert any("SIGNING_KEY" in reason for reason in blocked.upgrade.blocked_reasons)
    assert not listed["pinned"].upgrade.blocked_reasons and listed["pinned"].upgrade.latest_version == 3


def test_upgrade_dry_run_changes_nothing_then_upgrade_moves(stub, fake):
    pinned = create(stub, "pinned", connector_version=1)
    other = create(stub, "other", connector_version=1)
    fake.versions.update({2: V2, 3: V3})

    dry = upgrade(stub, connector_id="c-1", dry_run=True)
    assert dry.dry_run and dry.target_version == 3
    assert {r.instance_id for r in dry.results} == {pinned.id, other.id}
    assert all(not r.upgraded and any("SIGNING_KEY" in p for p in r.problems) for r in dry.results)

    dry2 = upgrade(stub, connector_id="c-1", target_version=2, dry_run=True)
    assert all(r.upgraded and r.from_version == 1 and not r.problems for r in dry2.results)
    assert get(stub, pinned).connector_version == 1 and get(stub, pinned).version == 1  # nothing changed

    done = upgrade(stub, instance_id=pinned.id, target_version=2)
    assert [r.upgraded for r in done.results] == [True]
    after = get(stub, pinned)
    assert after.connector_version == 2 and after.version == 2 and after.version_policy == ipb.VERSION_POLICY_PINNED
    assert get(stub, other).connector_version == 1

    # The missing secret is given with the upgrade: validated against version 3, then the move happens.
    moved = upgrade(stub, instance_id=pinned.id, target_version=3,
                    variables=[ipb.Variable(key="SIGNING_KEY", value="sign-secret")])
    assert moved.results[0].upgraded and not moved.results[0].problems
    final = get(stub, pinned)
    assert final.connector_version == 3
    signing = {v.key: v for v in final.variables}["SIGNING_KEY"]
    assert signing.secret and signing.value_set and signing.value == ""


def test_upgrade_errors(stub, fake):
    instance = create(stub, "x")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: upgrade(stub))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: upgrade(stub, instance_id=instance.id, connector_id="c-1"))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: upgrade(
        stub, connector_id="c-1", variables=[ipb.Variable(key="A", value="b")]))
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: upgrade(stub, instance_id="missing"))
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: upgrade(stub, instance_id=instance.id, target_version=9),
                 reason="CONNECTOR_VERSION_NOT_FOUND")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: upgrade(
        stub, instance_id=instance.id, variables=[ipb.Variable(key="NOT_A_KEY", value="b")]))
