"""Secrets bound to their destination (issue 13.10): whoever may update an instance but does not know its
secrets cannot move them by moving the host. Real gRPC on SQLite and PostgreSQL, the real catalog
publishing the connector's versions with their `connection` sections, and real loopback HTTP servers: the
shop, and a host the attacker controls.
"""

from __future__ import annotations

from dataclasses import replace

import grpc
import pytest
from google.protobuf import field_mask_pb2

from instance_service.server import create_server as create_instance_server
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from tests.catalog.gitrepos import service_spec
from tests.harness import start_server
from tests.instance.helpers import connection_section
from tests.instance.third_party import BEARER, CLIENT_ID, CLIENT_SECRET, ThirdParty
from tests.rich import expect_error

SPEC = service_spec(standard=["SHOP_DOMAIN", "ACCOUNT", "AUTH_HOST"],
                    secured=["API_TOKEN", "CLIENT_ID", "CLIENT_SECRET", "SIGNING_KEY"], required=["SHOP_DOMAIN"])
BEARER_TEST = connection_section("http://{SHOP_DOMAIN}", "BEARER", path="/bearer/ping", token_variable="API_TOKEN",
                                 headers={"X-Account": "{ACCOUNT}", "X-Signature": "{SIGNING_KEY}"})
OAUTH_TEST = connection_section("http://{SHOP_DOMAIN}", "OAUTH2_CLIENT_CREDENTIALS", path="/oauth/ping",
                                token_url_template="http://{AUTH_HOST}/oauth/token", client_id_variable="CLIENT_ID",
                                client_secret_variable="CLIENT_SECRET")


@pytest.fixture
def shop_connector(connector):
    """The connector of most tests: version 1 tests the connection with a bearer token on SHOP_DOMAIN."""
    connector.publish(SPEC, BEARER_TEST)
    return connector


@pytest.fixture
def stub(instance_settings):
    """An instance server that asks the catalog for the latest version on every read."""
    settings = replace(instance_settings, version_check_seconds=0)
    server = start_server(lambda: create_instance_server(settings, port=0))
    yield igrpc.InstanceServiceStub(server.channel)
    server.stop()


@pytest.fixture
def shop():
    server = ThirdParty()
    yield server
    server.close()


@pytest.fixture
def attacker():
    server = ThirdParty()
    yield server
    server.close()


def create(stub, connector, **variables):  # type: ignore[no-untyped-def]
    variables.setdefault("ACCOUNT", "a-1")
    return stub.CreateInstance(ispb.CreateInstanceRequest(project="acme", instance=ipb.Instance(
        name="Shop", timezone="UTC", date_format="Y-m-d", rate_limit_unit=ipb.RATE_LIMIT_UNIT_SECOND,
        rate_limit_duration=1, connector_id=connector.connector_id,
        variables=[ipb.Variable(key=k, value=v) for k, v in variables.items()])))


def update(stub, current, *variables):  # type: ignore[no-untyped-def]
    return stub.UpdateInstance(ispb.UpdateInstanceRequest(
        project="acme", instance=ipb.Instance(id=current.id, version=current.version, variables=list(variables)),
        update_mask=field_mask_pb2.FieldMask(paths=["variables"])))


def test_moving_the_host_without_the_secrets_is_refused_and_nothing_is_sent(stub, shop_connector, shop, attacker):
    instance = create(stub, shop_connector, SHOP_DOMAIN=shop.base.removeprefix("http://"), API_TOKEN=BEARER,
                      SIGNING_KEY="sig-1")
    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: update(
        stub, instance, ipb.Variable(key="SHOP_DOMAIN", value=attacker.base.removeprefix("http://"))),
        reason="SECRETS_MUST_BE_RESUPPLIED")
    assert [(v.type, v.subject) for v in error.violations] == [
        ("SECRET_NOT_RESUPPLIED", "variables/API_TOKEN"), ("SECRET_NOT_RESUPPLIED", "variables/SIGNING_KEY")]
    assert error.metadata["secrets"] == "API_TOKEN,SIGNING_KEY" and "'SHOP_DOMAIN'" in error.message
    # Re-supplying only one of them is not enough; naming the host by its variable id is the same change.
    domain_id = {v.key: v.id for v in instance.variables}["SHOP_DOMAIN"]
    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: update(
        stub, instance, ipb.Variable(id=domain_id, value=attacker.base.removeprefix("http://")),
        ipb.Variable(key="API_TOKEN", value="attacker-token")), reason="SECRETS_MUST_BE_RESUPPLIED")
    assert [v.subject for v in error.violations] == ["variables/SIGNING_KEY"]
    # Nothing was written: the test still goes to the shop; the attacker's host received nothing.
    got = stub.GetInstance(ispb.GetInstanceRequest(project="acme", id=instance.id))
    assert got.version == instance.version and {v.key: v.value for v in got.variables}["SHOP_DOMAIN"] == \
        shop.base.removeprefix("http://")
    result = stub.TestInstanceConnection(ispb.TestInstanceConnectionRequest(project="acme", id=instance.id))
    assert result.outcome == ipb.CONNECTION_TEST_OUTCOME_OK, result.message
    assert not attacker.requests and shop.requests[-1][2]["authorization"] == f"Bearer {BEARER}"


def test_with_every_secret_resupplied_the_move_is_allowed(stub, shop_connector, shop, attacker):
    instance = create(stub, shop_connector, SHOP_DOMAIN=shop.base.removeprefix("http://"), API_TOKEN=BEARER,
                      SIGNING_KEY="sig-1")
    moved = update(stub, instance, ipb.Variable(key="SHOP_DOMAIN", value=attacker.base.removeprefix("http://")),
                   ipb.Variable(key="API_TOKEN", value="their-own-token"), ipb.Variable(key="SIGNING_KEY", value="s2"))
    assert moved.version == instance.version + 1
    stub.TestInstanceConnection(ispb.TestInstanceConnectionRequest(project="acme", id=instance.id))
    assert BEARER not in str(attacker.requests) and "their-own-token" in str(attacker.requests)


def test_changes_that_keep_the_destination_need_no_secrets(stub, shop_connector, shop):
    instance = create(stub, shop_connector, SHOP_DOMAIN=shop.base.removeprefix("http://"), API_TOKEN=BEARER,
                      SIGNING_KEY="s")
    same_host = update(stub, instance, ipb.Variable(key="ACCOUNT", value="a-2"),
                       ipb.Variable(key="SHOP_DOMAIN", value=shop.base.removeprefix("http://"), label="Shop"))
    assert {v.key: v.value for v in same_host.variables}["ACCOUNT"] == "a-2"
    # Making the host a secret keeps its value: nothing moves.
    hidden = update(stub, same_host, ipb.Variable(key="SHOP_DOMAIN", secret=True))
    assert {v.key: v.secret for v in hidden.variables}["SHOP_DOMAIN"]
    result = stub.TestInstanceConnection(ispb.TestInstanceConnectionRequest(project="acme", id=instance.id))
    assert result.outcome == ipb.CONNECTION_TEST_OUTCOME_OK and "{SHOP_DOMAIN}" in result.message, result.message
    # An instance without stored secrets has nothing to move.
    bare = create(stub, shop_connector, SHOP_DOMAIN=shop.base.removeprefix("http://"))
    assert update(stub, bare, ipb.Variable(key="SHOP_DOMAIN", value="elsewhere.example")).version == 2


def test_the_token_url_host_is_a_destination_too(stub, connector, shop, attacker):
    connector.publish(SPEC, OAUTH_TEST)
    instance = create(stub, connector, SHOP_DOMAIN=shop.base.removeprefix("http://"),
                      AUTH_HOST=shop.base.removeprefix("http://"), CLIENT_ID=CLIENT_ID, CLIENT_SECRET=CLIENT_SECRET)
    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: update(
        stub, instance, ipb.Variable(key="AUTH_HOST", value=attacker.base.removeprefix("http://"))),
        reason="SECRETS_MUST_BE_RESUPPLIED")
    assert [v.subject for v in error.violations] == ["variables/CLIENT_ID", "variables/CLIENT_SECRET"]


MOVED_TEST = connection_section("http://{AUTH_HOST}", "BEARER", path="/bearer/ping", token_variable="API_TOKEN")


def test_an_upgrade_to_a_version_with_another_origin_must_resupply_the_secrets(stub, shop_connector, shop,
                                                                              attacker):
    instance = create(stub, shop_connector, SHOP_DOMAIN=shop.base.removeprefix("http://"),
                      AUTH_HOST=attacker.base.removeprefix("http://"), API_TOKEN=BEARER)
    assert shop_connector.publish(SPEC, MOVED_TEST) == 2  # version 2 sends the token to AUTH_HOST instead
    # A following instance is not moved there by a read: it stays, and says why.
    got = stub.GetInstance(ispb.GetInstanceRequest(project="acme", id=instance.id))
    assert got.connector_version == 1 and got.upgrade.latest_version == 2
    assert any("another origin" in reason and "API_TOKEN" in reason for reason in got.upgrade.blocked_reasons)
    # An upgrade of this instance is refused unless it re-supplies the secrets; a dry run reports it.
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: stub.UpgradeInstance(ispb.UpgradeInstanceRequest(
        project="acme", instance_id=instance.id, target_version=2)), reason="SECRETS_MUST_BE_RESUPPLIED")
    dry = stub.UpgradeInstance(ispb.UpgradeInstanceRequest(project="acme", instance_id=instance.id, target_version=2,
                                                           dry_run=True))
    assert not dry.results[0].upgraded and "API_TOKEN" in dry.results[0].problems[0]
    # An upgrade of every instance of the connector cannot carry secrets: the instance is left, with the reason.
    bulk = stub.UpgradeInstance(ispb.UpgradeInstanceRequest(project="acme", connector_id=shop_connector.connector_id,
                                                            target_version=2))
    assert not bulk.results[0].upgraded and "another origin" in bulk.results[0].problems[0]
    stub.TestInstanceConnection(ispb.TestInstanceConnectionRequest(project="acme", id=instance.id))
    assert not attacker.requests
    done = stub.UpgradeInstance(ispb.UpgradeInstanceRequest(
        project="acme", instance_id=instance.id, target_version=2,
        variables=[ipb.Variable(key="API_TOKEN", value="token-for-the-new-host")]))
    assert done.results[0].upgraded
    assert stub.GetInstance(ispb.GetInstanceRequest(project="acme", id=instance.id)).connector_version == 2


def test_an_upgrade_that_keeps_the_origin_needs_nothing(stub, shop_connector, shop):
    instance = create(stub, shop_connector, SHOP_DOMAIN=shop.base.removeprefix("http://"), API_TOKEN=BEARER)
    same_origin = connection_section("http://{SHOP_DOMAIN}/v2", "BEARER", path="/bearer/ping",
                                     token_variable="API_TOKEN")
    assert shop_connector.publish(SPEC, same_origin) == 2
    got = stub.GetInstance(ispb.GetInstanceRequest(project="acme", id=instance.id))  # followed on read
    assert got.connector_version == 2 and not got.upgrade.blocked_reasons
