"""Every request field that lands in a length-limited column (varchar(N)) is checked before storage: one
character over the column's limit (read from the peewee models) is INVALID_ARGUMENT naming the field, on
SQLite (which would store it) and PostgreSQL (which would fail the INSERT) alike."""

from __future__ import annotations

import grpc
import peewee
import pytest

from catalog_service.storage import models
from plugboard.catalog.v1 import catalog_service_pb2 as pb
from plugboard.catalog.v1 import update_actions_pb2 as apb
from tests.catalog.test_drafts_rpc import create, draft_request, update
from tests.rich import expect_error, fields

# (request field, column it is stored in); the limit is the column's.
CREATE_FIELDS = [
    ("request_id", models.CreateRequest.request_id),
    ("project", models.DraftRow.creator_project),
    ("draft.key", models.DraftRow.key),
    ("draft.name", models.DraftRow.name),
    ("draft.integration_types[0]", models.DraftIntegrationType.integration_type),
    ("draft.creator.company", models.ConnectorRow.creator_company),  # copied to the connector at publish
]
UPDATE_FIELDS = [
    ("actions[0].set_name.name", "set_name", "name", models.DraftRow.name),
    ("actions[0].set_integration_types.integration_types[0]", "set_integration_types", "integration_types",
     models.DraftIntegrationType.integration_type),
]


def _too_long(column: peewee.CharField) -> str:
    assert isinstance(column, peewee.CharField) and column.max_length
    return "a" * (column.max_length + 1)


def test_every_limited_column_is_listed():
    """A new varchar column of a table the requests write must be added above (or shown to be internal)."""
    internal = {"id", "status", "is_previewable", "draft_id", "lifecycle", "kind", "state", "lease_owner",
                "outcome", "connector_id"}
    listed = {column for _, column in CREATE_FIELDS} | {column for *_, column in UPDATE_FIELDS}
    for model in (models.DraftRow, models.CreateRequest, models.DraftIntegrationType, models.ConnectorRow,
                  models.ConnectorIntegrationType, models.ConnectorAccess):
        for column in model._meta.sorted_fields:
            if isinstance(column, peewee.CharField) and column.name not in internal:
                assert column in listed or _same_as_listed(column, listed), f"{model.__name__}.{column.name}"


def _same_as_listed(column: peewee.Field, listed: set) -> bool:
    """Columns copied from the draft at publish (the connector's key, name, project, types, access)."""
    return any(other.name == column.name and other.max_length >= column.max_length for other in listed) or (
        column.name == "project" and column.max_length >= models.DraftRow.creator_project.max_length)


@pytest.mark.parametrize("field, column", CREATE_FIELDS, ids=[f for f, _ in CREATE_FIELDS])
def test_create_refuses_one_character_over_the_column(catalog, unique, field, column):
    request = draft_request(f"len-{unique}")
    value = _too_long(column)
    if field == "request_id":
        request.request_id = value
    elif field == "project":
        request.project = value
    elif field == "draft.integration_types[0]":
        request.draft.integration_types[:] = [value]
    elif field == "draft.creator.company":
        request.draft.creator.company = value
    else:
        setattr(request.draft, field.split(".")[1], value)
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: catalog.CreateConnectorStaged(request))
    assert field in fields(error)
    page = catalog.QueryConnectorStaged(pb.QueryConnectorStagedRequest(project="acme", limit=500))
    assert all(d.key != f"len-{unique}" for d in page.results)


@pytest.mark.parametrize("field, action, attribute, column", UPDATE_FIELDS, ids=[f for f, *_ in UPDATE_FIELDS])
def test_update_refuses_one_character_over_the_column(catalog, unique, field, action, attribute, column):
    draft = create(catalog, f"len-{unique}")
    value = _too_long(column)
    kind = getattr(apb.ConnectorStagedUpdateAction, "".join(part.title() for part in action.split("_")))
    message = kind(**{attribute: [value] if attribute.endswith("s") else value})
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: update(
        catalog, draft, apb.ConnectorStagedUpdateAction(**{action: message})))
    assert field in fields(error)


def test_the_limits_themselves_are_accepted(catalog, unique):
    request = draft_request(f"len-{unique}")
    request.request_id = "r" * models.CreateRequest.request_id.max_length
    request.project = "p" * models.DraftRow.creator_project.max_length
    draft = catalog.CreateConnectorStaged(request)
    assert draft.creator_project == request.project
