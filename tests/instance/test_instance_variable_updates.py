"""UpdateInstance on variables (issue 14, points 4 and 5): merge what the caller did not change, address
a variable by id or key, clear explicitly, never ignore ``secret``. Real gRPC, the real catalog with a
published connect.yaml, SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.protobuf import field_mask_pb2

from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.storage.database import open_database
from tests.instance.helpers import publish
from tests.rich import expect_error, fields

SPEC = """\
deployAs:
  - name: service-app
    applicationType: service
    endpoint: /service
    configuration:
      standardConfiguration:
        - {key: ACCOUNT, description: Account}
        - {key: REGION, description: Region, default: eu}
      securedConfiguration:
        - {key: API_TOKEN, description: API token}
"""


@pytest.fixture
def connector_key(catalog_server, unique):
    key = f"vars-{unique}"
    publish(cgrpc.CatalogServiceStub(catalog_server.channel), "acme", key, SPEC)
    return key


def create(instances, connector_key, *variables):  # type: ignore[no-untyped-def]
    return instances.CreateInstance(ispb.CreateInstanceRequest(project="acme", instance=ipb.Instance(
        name="Shop", connector_key=connector_key, timezone="UTC", date_format="Y-m-d",
        rate_limit_unit=ipb.RATE_LIMIT_UNIT_HOUR, rate_limit_duration=1, variables=list(variables))))


def update(instances, current, *variables, paths=("variables",)):  # type: ignore[no-untyped-def]
    return instances.UpdateInstance(ispb.UpdateInstanceRequest(
        project="acme", instance=ipb.Instance(id=current.id, version=current.version, variables=list(variables)),
        update_mask=field_mask_pb2.FieldMask(paths=list(paths))))


def by_key(instance) -> dict[str, ipb.Variable]:  # type: ignore[no-untyped-def]
    return {v.key: v for v in instance.variables}


def stored_rows(database_url: str, instance_id: str) -> dict[str, tuple[object, object]]:
    """key -> (value, ciphertext) as the instance_variables table holds them."""
    db = open_database(database_url)
    try:
        rows = db.execute_sql(f"SELECT key, value, ciphertext FROM instance_variables WHERE instance_id = {db.param}",
                              (instance_id,)).fetchall()
    finally:
        db.close()
    return {key: (value, ciphertext) for key, value, ciphertext in rows}


REGION = ipb.Variable(key="REGION", value="eu", label="Region", alias="region", configurable=True, advanced=True)


# --------------------------------------------------------------------------------------- 14.4 merge


def test_an_update_giving_only_a_value_keeps_label_alias_and_flags(instances, connector_key):
    # Seed 004, Update Connector: "Update an existing connector." with variables.*.value, .label,
    # .pivot.alias, .pivot.configurable, .pivot.advanced as separate fields: giving one keeps the others.
    created = create(instances, connector_key, REGION)
    updated = update(instances, created, ipb.Variable(key="REGION", value="us"))
    region = by_key(updated)["REGION"]
    assert region.value == "us"
    assert (region.label, region.alias, region.configurable, region.advanced) == ("Region", "region", True, True)
    assert region.id == by_key(created)["REGION"].id


def test_a_variable_can_be_addressed_by_its_id(instances, connector_key):
    # Seed 004, Update Connector: "variables.*.id string" names the variable to update.
    created = create(instances, connector_key, REGION, ipb.Variable(key="ACCOUNT", value="acc-1"))
    region_id = by_key(created)["REGION"].id
    updated = update(instances, created, ipb.Variable(id=region_id, value="ap", label="Region (APAC)"))
    region = by_key(updated)["REGION"]
    assert (region.id, region.value, region.label, region.alias) == (region_id, "ap", "Region (APAC)", "region")
    assert by_key(updated)["ACCOUNT"].value == "acc-1"
    # An id and a key that disagree, an unknown id, the same variable twice: INVALID_ARGUMENT, nothing written.
    for variables, field in (
        ([ipb.Variable(id=region_id, key="ACCOUNT", value="x")], "instance.variables[0].key"),
        ([ipb.Variable(id=str(uuid.uuid4()), value="x")], "instance.variables[0].id"),
        ([ipb.Variable(id=region_id, value="x"), ipb.Variable(key="REGION", value="y")], "instance.variables[1].key"),
    ):
        error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: update(instances, updated, *variables))
        assert fields(error) == {field}, error.violations
    assert instances.GetInstance(ispb.GetInstanceRequest(project="acme", id=created.id)).version == updated.version


def test_clearing_a_field_is_explicit_with_a_variables_mask_path(instances, connector_key):
    created = create(instances, connector_key, REGION, ipb.Variable(key="ACCOUNT", value="acc-1", label="Account"))
    # An empty label or a false flag in a plain update is "not given": nothing is cleared.
    same = update(instances, created, ipb.Variable(key="REGION"), ipb.Variable(key="ACCOUNT"))
    assert by_key(same)["REGION"] == by_key(created)["REGION"]
    assert by_key(same)["ACCOUNT"].value == "acc-1"
    # "variables.label" and "variables.configurable" clear those fields of the variables given.
    cleared = update(instances, same, ipb.Variable(key="REGION"),
                     paths=["variables.label", "variables.configurable"])
    region = by_key(cleared)["REGION"]
    assert (region.label, region.configurable, region.alias, region.advanced, region.value) == \
        ("", False, "region", True, "eu")
    assert by_key(cleared)["ACCOUNT"].label == "Account"  # not given: untouched
    # "variables.value" clears a value (a standard key with a default goes back to it).
    reset = update(instances, cleared, ipb.Variable(key="ACCOUNT"), ipb.Variable(key="REGION", value="us"))
    reset = update(instances, reset, ipb.Variable(key="ACCOUNT"), ipb.Variable(key="REGION"),
                   paths=["variables.value"])
    assert by_key(reset)["ACCOUNT"].value == "" and not by_key(reset)["ACCOUNT"].value_set
    assert by_key(reset)["REGION"].value == "eu"
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: update(
        instances, reset, ipb.Variable(key="REGION"), paths=["variables.colour"]))
    assert fields(error) == {"update_mask.paths[0]"}


# -------------------------------------------------------------------------------------- 14.5 secret


def test_a_standard_key_sent_as_secret_is_stored_encrypted_and_write_only(instances, connector_key, database_url):
    # Seed 004, variables.*.secret: the caller's secret flag is never ignored.
    plaintext = f"account-secret-{uuid.uuid4().hex}"
    created = create(instances, connector_key, ipb.Variable(key="ACCOUNT", value=plaintext, secret=True))
    account = by_key(created)["ACCOUNT"]
    assert account.secret and account.value == "" and account.value_set and len(account.fingerprint) == 8
    got = instances.GetInstance(ispb.GetInstanceRequest(project="acme", id=created.id))
    assert plaintext.encode() not in got.SerializeToString()
    value, ciphertext = stored_rows(database_url, created.id)["ACCOUNT"]
    assert value is None and ciphertext and plaintext.encode() not in bytes(ciphertext)
    # A later update that does not mention secret keeps it secret.
    kept = update(instances, created, ipb.Variable(key="ACCOUNT", label="Account"))
    assert by_key(kept)["ACCOUNT"].secret and by_key(kept)["ACCOUNT"].fingerprint == account.fingerprint


def test_an_update_can_make_a_setting_secret_but_not_the_reverse_without_the_value(instances, connector_key,
                                                                                  database_url):
    # Seed 004, variables.*.secret on Update Connector: a setting becomes a secret, its stored value encrypted.
    created = create(instances, connector_key, ipb.Variable(key="REGION", value="region-value-1"),
                     ipb.Variable(key="API_TOKEN", value="token-1"))
    secret = update(instances, created, ipb.Variable(key="REGION", secret=True))
    region = by_key(secret)["REGION"]
    assert region.secret and region.value == "" and region.value_set and region.fingerprint
    value, ciphertext = stored_rows(database_url, created.id)["REGION"]
    assert value is None and ciphertext and b"region-value-1" not in bytes(ciphertext)
    # The reverse needs "variables.secret" in the mask and the value re-entered in the same request.
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: update(
        instances, secret, ipb.Variable(key="REGION", secret=False), paths=["variables.secret"]))
    assert fields(error) == {"instance.variables[0].value"}
    # A secured configuration key is always secret.
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: update(
        instances, secret, ipb.Variable(key="API_TOKEN", value="token-2", secret=False), paths=["variables.secret"]))
    assert fields(error) == {"instance.variables[0].secret"}
    plain = update(instances, secret, ipb.Variable(key="REGION", value="region-value-2", secret=False),
                   paths=["variables.secret"])
    assert not by_key(plain)["REGION"].secret and by_key(plain)["REGION"].value == "region-value-2"
    assert stored_rows(database_url, created.id)["REGION"] == ("region-value-2", None)
