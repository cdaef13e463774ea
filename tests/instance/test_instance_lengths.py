"""Every CreateInstance / UpdateInstance field that lands in a length-limited column (varchar(N)) is checked
before storage: one character over the column's limit (read from the peewee models) is INVALID_ARGUMENT
naming the field, on SQLite and PostgreSQL alike. The connector is published by the real catalog, so
the too-long field is the only thing wrong with each request."""

from __future__ import annotations

import grpc
import peewee
import pytest
from google.protobuf import field_mask_pb2

from instance_service.storage import models
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from tests.catalog.gitrepos import service_spec
from tests.rich import expect_error, fields

# (request field, column it is stored in); the limit is the column's.
FIELDS = [
    ("project", models.InstanceRow.project),
    ("request_id", models.RequestRow.request_id),
    ("instance.name", models.InstanceRow.name),
    ("instance.connector_id", models.InstanceRow.connector_id),
    ("instance.timezone", models.InstanceRow.timezone),
    ("instance.date_format", models.InstanceRow.date_format),
    ("instance.certificate_id", models.InstanceRow.certificate_id),
    ("instance.platform_app_key", models.InstanceRow.platform_app_key),
    ("instance.session_id", models.InstanceRow.session_id),
    ("instance.type", models.InstanceRow.type),
    ("instance.variables[0].key", models.VariableRow.key),
    ("instance.variables[0].label", models.VariableRow.label),
    ("instance.variables[0].alias", models.VariableRow.alias),
]
SPEC = service_spec(standard=["BASE"], required=["BASE"])
UPDATABLE = [f for f, _ in FIELDS if f.startswith("instance.") and f not in (
    "instance.connector_id", "instance.variables[0].key")]


def _too_long(column: peewee.CharField) -> str:
    assert isinstance(column, peewee.CharField) and column.max_length
    return "a" * (column.max_length + 1)


def _instance(connector, **changes) -> ipb.Instance:  # type: ignore[no-untyped-def]
    """A valid instance of ``connector`` (published with SPEC), with ``changes``."""
    instance = ipb.Instance(name="Shop", timezone="UTC", date_format="Y-m-d", rate_limit_unit=ipb.RATE_LIMIT_UNIT_SECOND,
                            rate_limit_duration=1, connector_id=connector.connector_id,
                            variables=[ipb.Variable(key="BASE", value="x")])
    for name, value in changes.items():
        if name.startswith("variables[0]."):
            setattr(instance.variables[0], name.split(".")[1], value)
        else:
            setattr(instance, name, value)
    return instance


def test_every_limited_column_is_listed():
    internal = {"id", "version_policy", "rate_limit_unit", "state", "last_test_outcome", "last_test_id",
                "connector_key", "fingerprint", "outcome", "instance_id"}
    listed = {column for _, column in FIELDS}
    for model in (models.InstanceRow, models.VariableRow, models.RequestRow):
        for column in model._meta.sorted_fields:
            if isinstance(column, peewee.CharField) and column.name not in internal:
                assert column in listed or column.name == "project", f"{model.__name__}.{column.name}"


@pytest.mark.parametrize("field, column", FIELDS, ids=[f for f, _ in FIELDS])
def test_create_refuses_one_character_over_the_column(instances, connector, field, column):
    connector.publish(SPEC)
    value = _too_long(column)
    request = ispb.CreateInstanceRequest(project="acme", instance=_instance(connector))
    if field == "project":
        request.project = value
    elif field == "request_id":
        request.request_id = value
    else:
        request.instance.CopyFrom(_instance(connector, **{field.removeprefix("instance."): value}))
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: instances.CreateInstance(request))
    assert field in fields(error)


@pytest.mark.parametrize("field", UPDATABLE)
def test_update_refuses_one_character_over_the_column(instances, connector, field):
    connector.publish(SPEC)
    created = instances.CreateInstance(ispb.CreateInstanceRequest(project="acme", instance=_instance(connector)))
    column = dict(FIELDS)[field]
    name = field.removeprefix("instance.")
    changed = _instance(connector, **{name: _too_long(column)})
    changed.id, changed.version = created.id, created.version
    path = "variables" if name.startswith("variables") else name
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: instances.UpdateInstance(ispb.UpdateInstanceRequest(
        project="acme", instance=changed, update_mask=field_mask_pb2.FieldMask(paths=[path]))))
    assert field in fields(error)
