"""InstanceService over real gRPC, against the real catalog server, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from google.protobuf import field_mask_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from instance_service.server import close_database
from instance_service.server import create_server as create_instance_server
from instance_service.storage.migrations import COMPONENT, MIGRATIONS
from instance_service.storage.repository import InstanceRepository
from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.storage.database import open_database
from plugboard.storage.migrations import migrate
from tests.harness import start_server
from tests.instance.helpers import pending, publish
from tests.instance.third_party import API_KEY, ThirdParty
from tests.rich import expect_error, fields
from bench.procs import free_port as _free_port

SERVICE = "plugboard.instance.v1.InstanceService"


@pytest.fixture
def catalog(catalog_server):
    return cgrpc.CatalogServiceStub(catalog_server.channel)


@pytest.fixture
def connector(catalog, unique):
    """(id, key) of a connector published by project "acme"."""
    key = f"shop-{unique}"
    return publish(catalog, "acme", key), key


def body(**changes) -> ipb.Instance:  # type: ignore[no-untyped-def]
    fields_ = dict(name="Shop EU", timezone="Europe/London", date_format="Y-m-d H:i:s",
                   rate_limit_unit=ipb.RATE_LIMIT_UNIT_MINUTE, rate_limit_duration=60)
    fields_.update(changes)
    return ipb.Instance(**fields_)


def create(instances, project="acme", request_id="", **changes) -> ipb.Instance:  # type: ignore[no-untyped-def]
    return instances.CreateInstance(ispb.CreateInstanceRequest(
        project=project, request_id=request_id, instance=body(**changes)))


def references(instances, connector_id: str) -> int:  # type: ignore[no-untyped-def]
    return instances.CountConnectorReferences(ispb.CountConnectorReferencesRequest(connector_id=connector_id)).total


# ------------------------------------------------------------------------------------------ create


def test_create_then_get_never_returns_the_secret(instances, connector):
    connector_id, key = connector
    secret = f"canary-{uuid.uuid4().hex}"
    created = create(instances, connector_key=key, session_id="sess-1", platform_app_key="app-1",
                     connection_pool_id=12, certificate_id="cert-1", type="api",
                     variables=[ipb.Variable(key="API_TOKEN", value=secret, secret=True, label="Token"),
                                ipb.Variable(key="REGION", value="eu", alias="region")])
    assert created.state == ipb.INSTANCE_STATE_READY and created.version == 1
    assert created.connector_id == connector_id and created.connector_key == key and created.connector_version == 1
    assert created.version_policy == ipb.VERSION_POLICY_FOLLOW_LATEST
    assert created.upgrade.latest_version == 1 and not created.upgrade.newer_version_available
    assert created.project == "acme" and created.create_time.seconds > 0
    assert (created.session_id, created.platform_app_key, created.connection_pool_id, created.certificate_id,
            created.type) == ("sess-1", "app-1", 12, "cert-1", "api")

    for answer in (created, instances.GetInstance(ispb.GetInstanceRequest(project="acme", id=created.id))):
        assert secret.encode() not in answer.SerializeToString()
        token, region = answer.variables
        assert token.secret and token.value == "" and token.value_set and len(token.fingerprint) == 8
        assert token.value_update_time.seconds > 0 and token.label == "Token"
        assert not region.secret and region.value == "eu" and region.fingerprint == "" and region.alias == "region"

    listed = instances.ListInstances(ispb.ListInstancesRequest(project="acme"))
    assert secret.encode() not in listed.SerializeToString()
    assert [item.id for item in listed.instances] == [created.id]


def test_create_by_connector_id_pinned(instances, connector):
    connector_id, key = connector
    created = create(instances, connector_id=connector_id, connector_version=1)
    assert created.connector_key == key and created.version_policy == ipb.VERSION_POLICY_PINNED


def test_a_replayed_request_id_returns_the_first_instance(instances, catalog, connector):
    connector_id, key = connector
    first = create(instances, request_id="req-1", connector_key=key)
    again = create(instances, request_id="req-1", connector_key=key, name="Another name")
    assert again.id == first.id and again.name == "Shop EU"
    assert references(instances, connector_id) == 1
    publish(catalog, "acme-2", f"{key}-b")
    other = create(instances, project="acme-2", request_id="req-1", connector_key=f"{key}-b")  # per project
    assert other.id != first.id


def test_concurrent_replays_create_one_instance(instances, connector):
    connector_id, key = connector
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: create(instances, request_id="req-burst", connector_key=key), range(8)))
    assert len({item.id for item in results}) == 1
    assert references(instances, connector_id) == 1


def test_bad_input_reports_every_field_and_writes_nothing(instances, connector):
    connector_id, _ = connector
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: instances.CreateInstance(ispb.CreateInstanceRequest(
        project="acme",
        instance=ipb.Instance(
            connector_id=connector_id, timezone="Atlantis/Capital", rate_limit_duration=-5,
            variables=[ipb.Variable(key="1bad"), ipb.Variable(key="OK"), ipb.Variable(key="OK")],
        ),
    )), reason="INVALID_ARGUMENT")
    assert fields(error) == {
        "instance.name", "instance.timezone", "instance.date_format", "instance.rate_limit_unit",
        "instance.rate_limit_duration", "instance.variables[0].key", "instance.variables[2].key",
    }
    assert references(instances, connector_id) == 0


def test_unknown_connector_is_not_found_and_leaves_nothing(instances):
    missing = str(uuid.uuid4())
    error = expect_error(grpc.StatusCode.NOT_FOUND, lambda: create(instances, connector_id=missing))
    assert error.reason.startswith("CONNECTOR")
    assert references(instances, missing) == 0
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: create(instances, connector_key="no-such-key"))
    assert instances.ListInstances(ispb.ListInstancesRequest(project="acme")).total == 0


def test_private_connector_is_not_found_for_another_project(instances, connector):
    connector_id, key = connector
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: create(instances, project="intruder", connector_key=key))
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: create(instances, project="intruder", connector_id=connector_id))
    assert references(instances, connector_id) == 0


def test_deleting_connector_and_unknown_version_fail_precondition(instances, catalog, connector):
    connector_id, key = connector
    expect_error(grpc.StatusCode.FAILED_PRECONDITION,
                 lambda: create(instances, connector_id=connector_id, connector_version=7),
                 reason="CONNECTOR_VERSION_NOT_FOUND")
    catalog.BeginConnectorDeletion(cpb.BeginConnectorDeletionRequest(id=connector_id))
    error = expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: create(instances, connector_id=connector_id),
                         reason="CONNECTOR_DELETING")
    assert error.violations and error.violations[0].type == "CONNECTOR_DELETING"
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: create(instances, connector_key=key),
                 reason="CONNECTOR_DELETING")
    assert references(instances, connector_id) == 0
    catalog.CancelConnectorDeletion(cpb.CancelConnectorDeletionRequest(id=connector_id))
    assert create(instances, connector_id=connector_id).state == ipb.INSTANCE_STATE_READY


def test_catalog_down_is_unavailable_and_leaves_nothing(instance_settings):
    down = f"127.0.0.1:{_free_port()}"
    server = start_server(lambda: create_instance_server(instance_settings.with_overrides(catalog_target=down), port=0))
    try:
        stub = igrpc.InstanceServiceStub(server.channel)
        error = expect_error(grpc.StatusCode.UNAVAILABLE, lambda: create(stub, connector_id="c-1", request_id="r"),
                             reason="CATALOG_UNAVAILABLE")
        assert down not in error.message and "127.0.0.1" not in error.message
        assert references(stub, "c-1") == 0
        expect_error(grpc.StatusCode.UNAVAILABLE, lambda: create(stub, connector_key="k"))
    finally:
        server.stop()


def test_test_connection_on_create_without_a_connection_section_is_misconfigured(instances, connector):
    connector_id, _ = connector
    created = instances.CreateInstance(ispb.CreateInstanceRequest(
        project="acme", instance=body(connector_id=connector_id), test_connection=True))
    assert created.last_connection_test.outcome == ipb.CONNECTION_TEST_OUTCOME_MISCONFIGURED
    assert "no connection section" in created.last_connection_test.message
    assert references(instances, connector_id) == 1


def test_a_published_connection_section_drives_a_real_test(instances, catalog, unique):
    """End to end with the real catalog: plugboard.yaml's `connection` section, published, then tested
    against a real HTTP server on loopback (admitted by connection_test_allow_cidrs)."""
    third_party = ThirdParty()
    try:
        spec = (
            "deployAs:\n  - name: app\n    applicationType: service\n    endpoint: /app\n    configuration:\n"
            "      standardConfiguration:\n        - {key: BASE, description: host, required: true}\n"
            "      securedConfiguration:\n        - {key: API_KEY, description: key, required: true}\n"
        )
        plugboard = (
            "connection:\n  baseUrl: \"http://{BASE}\"\n"
            "  authentication: {type: api_key_header, parameterName: X-Api-Key, apiKeyVariable: API_KEY}\n"
            "  testRequest: {method: GET, path: /key-header/ping, expectedStatus: [200]}\n"
        )
        connector_id = publish(catalog, "acme", f"conn-{unique}", spec, plugboard)
        created = create(instances, connector_id=connector_id, variables=[
            ipb.Variable(key="BASE", value=f"127.0.0.1:{third_party.port}"), ipb.Variable(key="API_KEY", value=API_KEY)])
        result = instances.TestInstanceConnection(ispb.TestInstanceConnectionRequest(project="acme", id=created.id))
        assert result.outcome == ipb.CONNECTION_TEST_OUTCOME_OK, result.message
        assert third_party.requests[-1][2]["x-api-key"] == API_KEY
    finally:
        third_party.close()


# --------------------------------------------------------------------------------------------- read


def test_another_projects_instance_is_not_found_exactly_like_a_missing_one(instances, connector):
    _, key = connector
    created = create(instances, connector_key=key, name="Secret Project Name")
    theirs = expect_error(grpc.StatusCode.NOT_FOUND,
                          lambda: instances.GetInstance(ispb.GetInstanceRequest(project="other", id=created.id)))
    missing_id = str(uuid.uuid4())
    missing = expect_error(grpc.StatusCode.NOT_FOUND,
                           lambda: instances.GetInstance(ispb.GetInstanceRequest(project="other", id=missing_id)))
    assert theirs.reason == missing.reason == "INSTANCE_NOT_FOUND"
    assert theirs.message.replace(created.id, "X") == missing.message.replace(missing_id, "X")
    assert "Secret Project Name" not in theirs.message and "acme" not in theirs.message
    for call in (
        lambda: instances.DeleteInstance(ispb.DeleteInstanceRequest(project="other", id=created.id)),
        lambda: instances.UpdateInstance(ispb.UpdateInstanceRequest(
            project="other", instance=ipb.Instance(id=created.id, version=1, name="x"))),
    ):
        expect_error(grpc.StatusCode.NOT_FOUND, call, reason="INSTANCE_NOT_FOUND")
    assert instances.ListInstances(ispb.ListInstancesRequest(project="other")).total == 0


def test_get_requires_project_and_id(instances):
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: instances.GetInstance(ispb.GetInstanceRequest()))
    assert fields(error) == {"project", "id"}


def test_list_paging_filters_and_token(instances, connector):
    connector_id, key = connector
    for number in range(5):
        create(instances, connector_key=key, name=f"inst{number}", session_id="s" if number % 2 else "")
    first = instances.ListInstances(ispb.ListInstancesRequest(project="acme", per_page=2))
    assert [i.name for i in first.instances] == ["inst0", "inst1"] and first.total == 5 and first.per_page == 2
    second = instances.ListInstances(ispb.ListInstancesRequest(project="acme", per_page=2, page_token=first.next_page_token))
    assert [i.name for i in second.instances] == ["inst2", "inst3"] and second.page == 2
    third = instances.ListInstances(ispb.ListInstancesRequest(project="acme", per_page=2, page=3))
    assert [i.name for i in third.instances] == ["inst4"] and not third.next_page_token
    desc = instances.ListInstances(ispb.ListInstancesRequest(project="acme", sort="-name", per_page=1))
    assert desc.instances[0].name == "inst4" and desc.per_page == 1
    assert instances.ListInstances(ispb.ListInstancesRequest(project="acme")).per_page == 20
    assert instances.ListInstances(ispb.ListInstancesRequest(project="acme", session_id="s")).total == 2
    assert instances.ListInstances(ispb.ListInstancesRequest(project="acme", connector_id=connector_id)).total == 5
    assert instances.ListInstances(ispb.ListInstancesRequest(project="acme", connector_key=key, name_prefix="inst1")).total == 1
    assert instances.ListInstances(ispb.ListInstancesRequest(
        project="acme", last_test_outcome=ipb.CONNECTION_TEST_OUTCOME_OK)).total == 0  # nothing tested yet

    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: instances.ListInstances(
        ispb.ListInstancesRequest(project="acme", per_page=101, sort="created")))
    assert fields(error) == {"per_page", "sort"}
    for token in ("garbage!", first.next_page_token[:-3]):
        error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: instances.ListInstances(
            ispb.ListInstancesRequest(project="acme", page_token=token)))
        assert fields(error) == {"page_token"}
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: instances.ListInstances(
        ispb.ListInstancesRequest(project="acme", per_page=2, sort="-name", page_token=first.next_page_token)))
    assert fields(error) == {"page_token"}


# ------------------------------------------------------------------------------------------ update


def test_update_fields_with_version_check(instances, connector):
    _, key = connector
    created = create(instances, connector_key=key, session_id="s-1")
    updated = instances.UpdateInstance(ispb.UpdateInstanceRequest(
        project="acme",
        instance=ipb.Instance(id=created.id, version=1, name="Renamed", timezone="America/New_York"),
        update_mask=field_mask_pb2.FieldMask(paths=["name", "timezone", "session_id"]),
    ))
    assert (updated.name, updated.timezone, updated.version) == ("Renamed", "America/New_York", 2)
    assert not updated.HasField("session_id")  # named in the mask, absent in the request: cleared
    assert updated.date_format == created.date_format
    assert updated.update_time.ToDatetime() >= created.update_time.ToDatetime()

    stale = expect_error(grpc.StatusCode.ABORTED, lambda: instances.UpdateInstance(ispb.UpdateInstanceRequest(
        project="acme", instance=ipb.Instance(id=created.id, version=1, name="Lost"))),
        reason="CONCURRENT_MODIFICATION")
    assert stale.metadata["expected_version"] == "1" and stale.metadata["current_version"] == "2"

    # An empty mask updates the fields present in the request.
    again = instances.UpdateInstance(ispb.UpdateInstanceRequest(
        project="acme", instance=ipb.Instance(id=created.id, version=2, rate_limit_duration=5)))
    assert again.rate_limit_duration == 5 and again.name == "Renamed" and again.version == 3


def test_update_refuses_bad_mask_and_values_at_once(instances, connector):
    _, key = connector
    created = create(instances, connector_key=key)
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: instances.UpdateInstance(ispb.UpdateInstanceRequest(
        project="acme",
        instance=ipb.Instance(id=created.id, version=1, name="", timezone="Nope/Nope"),
        update_mask=field_mask_pb2.FieldMask(paths=["name", "timezone", "colour", "connector_id"]),
    )))
    assert fields(error) == {"instance.name", "instance.timezone", "update_mask.paths[2]", "update_mask.paths[3]"}
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: instances.UpdateInstance(ispb.UpdateInstanceRequest(
        project="acme", instance=ipb.Instance(id=created.id, version=-1, name="x"))))
    assert fields(error) == {"instance.version"}
    assert instances.GetInstance(ispb.GetInstanceRequest(project="acme", id=created.id)).version == 1


def test_update_without_a_version_applies_to_the_current_state(instances, connector):
    """Seed 004's PUT carries no version: version 0 applies the patch to the instance as it is."""
    _, key = connector
    created = create(instances, connector_key=key)
    first = instances.UpdateInstance(ispb.UpdateInstanceRequest(
        project="acme", instance=ipb.Instance(id=created.id, name="First")))
    second = instances.UpdateInstance(ispb.UpdateInstanceRequest(
        project="acme", instance=ipb.Instance(id=created.id, rate_limit_duration=9)))
    assert (first.version, second.version) == (2, 3)
    assert (second.name, second.rate_limit_duration) == ("First", 9)  # the first update was not lost
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: instances.UpdateInstance(ispb.UpdateInstanceRequest(
        project="acme", instance=ipb.Instance(id="missing", name="x"))))


def test_update_variables_keeps_omitted_secrets_and_refuses_locked_changes(instances, connector):
    _, key = connector
    created = create(instances, connector_key=key, variables=[
        ipb.Variable(key="API_TOKEN", value="first-token", secret=True),
        ipb.Variable(key="ACCOUNT", value="acc-1", locked=True),
        ipb.Variable(key="REGION", value="eu"),
    ])
    token_before = created.variables[0]

    # The client echoes what it read (secret without a value) and changes REGION: the token is kept.
    echoed = [ipb.Variable(key=v.key, value=v.value, secret=v.secret) for v in created.variables]
    echoed[2].value = "us"
    kept = instances.UpdateInstance(ispb.UpdateInstanceRequest(
        project="acme", instance=ipb.Instance(id=created.id, version=1, variables=echoed),
        update_mask=field_mask_pb2.FieldMask(paths=["variables"])))
    token, account, region = kept.variables
    assert token.fingerprint == token_before.fingerprint and token.value_set
    assert token.value_update_time == token_before.value_update_time
    assert account.locked and account.value == "acc-1" and region.value == "us"

    # A variable left out keeps its value; a new secret value changes the fingerprint.
    changed = instances.UpdateInstance(ispb.UpdateInstanceRequest(
        project="acme", instance=ipb.Instance(id=created.id, version=2, variables=[
            ipb.Variable(key="API_TOKEN", value="second-token")])))
    assert changed.variables[0].fingerprint != token_before.fingerprint
    assert [v.key for v in changed.variables] == ["API_TOKEN", "ACCOUNT", "REGION"]

    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: instances.UpdateInstance(ispb.UpdateInstanceRequest(
        project="acme", instance=ipb.Instance(id=created.id, version=3, variables=[
            ipb.Variable(key="ACCOUNT", value="acc-2"), ipb.Variable(key="bad key")]))))
    assert fields(error) == {"instance.variables[0].value", "instance.variables[1].key"}
    assert "locked" in {v.field: v.description for v in error.violations}["instance.variables[0].value"]


# ------------------------------------------------------------------------------------------ delete


def test_delete_with_version_check(instances, connector):
    connector_id, key = connector
    created = create(instances, connector_key=key, request_id="req-del")
    error = expect_error(grpc.StatusCode.ABORTED, lambda: instances.DeleteInstance(
        ispb.DeleteInstanceRequest(project="acme", id=created.id, version=9)), reason="CONCURRENT_MODIFICATION")
    assert error.metadata["current_version"] == "1"
    answer = instances.DeleteInstance(ispb.DeleteInstanceRequest(project="acme", id=created.id, version=1))
    assert created.id in answer.message
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: instances.GetInstance(
        ispb.GetInstanceRequest(project="acme", id=created.id)))
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: instances.DeleteInstance(
        ispb.DeleteInstanceRequest(project="acme", id=created.id)))
    assert references(instances, connector_id) == 0


# -------------------------------------------------------------------------------------- references


def test_count_connector_references(instances, connector):
    connector_id, key = connector
    made = [create(instances, connector_key=key, name=f"n{i}") for i in range(3)]
    answer = instances.CountConnectorReferences(ispb.CountConnectorReferencesRequest(connector_id=connector_id, limit=2))
    assert answer.total == 3
    assert [r.id for r in answer.instances] == [m.id for m in made[:2]]  # oldest first
    assert all(r.project == "acme" and r.state == ipb.INSTANCE_STATE_READY for r in answer.instances)
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: instances.CountConnectorReferences(
        ispb.CountConnectorReferencesRequest(limit=101)))
    assert fields(error) == {"connector_id", "limit"}


# ---------------------------------------------------------------------------- later RPCs, plumbing


def test_issue_4_rpcs_answer_not_found_for_a_missing_instance(instances):
    for call in (
        lambda: instances.TestInstanceConnection(ispb.TestInstanceConnectionRequest(project="acme", id="x")),
        lambda: instances.ListConnectionTests(ispb.ListConnectionTestsRequest(project="acme", instance_id="x")),
        lambda: instances.UpgradeInstance(ispb.UpgradeInstanceRequest(project="acme", instance_id="x")),
    ):
        expect_error(grpc.StatusCode.NOT_FOUND, call)


def test_health_and_reflection_name_the_service(instance_server):
    health = health_pb2_grpc.HealthStub(instance_server.channel)
    status = health.Check(health_pb2.HealthCheckRequest(service=SERVICE)).status
    assert status == health_pb2.HealthCheckResponse.SERVING
    reflection = reflection_pb2_grpc.ServerReflectionStub(instance_server.channel)
    answers = list(reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")])))
    names = {service.name for service in answers[0].list_services_response.service}
    assert SERVICE in names and "grpc.health.v1.Health" in names


def test_reconciler_removes_stale_pending_instances(instance_settings, database_url):
    server = start_server(lambda: create_instance_server(
        instance_settings.with_overrides(pending_stale_seconds=0.2), port=0))
    db = open_database(database_url)
    try:
        migrate(db, COMPONENT, MIGRATIONS)
        repository = InstanceRepository(db)
        stale = pending(connector_id="c-crashed")  # created in 2025-01-01: long stale
        assert repository.insert_pending(stale, "req-crashed")
        stub = igrpc.InstanceServiceStub(server.channel)
        deadline = time.monotonic() + 10
        while references(stub, "c-crashed") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert references(stub, "c-crashed") == 0
        assert repository.find_by_request("acme", "req-crashed") is None
    finally:
        server.stop()
        close_database(db)
