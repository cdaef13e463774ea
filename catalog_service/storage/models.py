"""peewee models of the catalog's tables, bound to a database at start-up through ``database_proxy``.

Columns hold what queries filter, sort or compare-and-swap on; the rest of a draft or version lives
in a JSON ``body`` (see ``codec``). Integration types and project visibility are side tables so that
the marketplace filters them with indexes.
"""

from __future__ import annotations

import peewee

from plugboard.history.storage import record_model

database_proxy = peewee.DatabaseProxy()


class BaseModel(peewee.Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class DraftRow(BaseModel):
    """A ConnectorStaged."""

    id = peewee.CharField(primary_key=True, max_length=36)
    key = peewee.CharField(max_length=256, unique=True)
    version = peewee.BigIntegerField()
    name = peewee.CharField(max_length=256)
    status = peewee.CharField(max_length=32, index=True)
    private = peewee.BooleanField()
    is_previewable = peewee.CharField(max_length=16)
    creator_project = peewee.CharField(max_length=128, index=True)
    published_version = peewee.BigIntegerField(default=0)
    created_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()
    # When the draft was last submitted to certification (ReadyForCertification); the queue's order.
    submitted_at = peewee.DateTimeField(null=True)
    body = peewee.TextField()
    # The repository credentials, sealed (codec.credentials_column: type, fingerprint, ciphertext); NULL: none.
    repository_credentials = peewee.TextField(null=True)
    # When the gateway's deletion protocol marked the never-published draft as being deleted (its preview
    # is refused from then on); NULL: not being deleted. Not part of the draft (never written by a save).
    deleting_since = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "connector_staged"
        indexes = ((("created_at", "id"), False), (("name", "id"), False))


class DraftIntegrationType(BaseModel):
    draft = peewee.ForeignKeyField(DraftRow, on_delete="CASCADE", column_name="draft_id")
    integration_type = peewee.CharField(max_length=64)

    class Meta:
        table_name = "connector_staged_integration_type"
        primary_key = peewee.CompositeKey("draft", "integration_type")
        indexes = ((("integration_type", "draft"), False),)


class CreateRequest(BaseModel):
    """Idempotency record of a CreateConnectorStaged request id."""

    project = peewee.CharField(max_length=128)
    request_id = peewee.CharField(max_length=128)
    draft_id = peewee.CharField(max_length=36)

    class Meta:
        table_name = "connector_staged_create_request"
        primary_key = peewee.CompositeKey("project", "request_id")


class ConnectorRow(BaseModel):
    """A published connector: identity, lifecycle state, listing and the latest version number."""

    id = peewee.CharField(primary_key=True, max_length=36)
    key = peewee.CharField(max_length=256, unique=True)
    lifecycle = peewee.CharField(max_length=16)
    lifecycle_changed_at = peewee.DateTimeField()
    listed = peewee.BooleanField()
    certified = peewee.BooleanField()
    private = peewee.BooleanField()
    creator_project = peewee.CharField(max_length=128)
    latest_version = peewee.BigIntegerField()
    name = peewee.CharField(max_length=256)
    description = peewee.TextField()
    created_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()
    # The latest version's creator company, lower-cased: the search filter ``creator.company``.
    creator_company = peewee.CharField(max_length=256, default="")

    class Meta:
        table_name = "connector"
        indexes = (
            (("name", "id"), False),
            (("lifecycle", "lifecycle_changed_at"), False),
            # ListConnectors: the lifecycle filter, then each marketplace sort (migration 3).
            (("lifecycle", "name", "id"), False),
            (("lifecycle", "key", "id"), False),
            (("lifecycle", "created_at", "id"), False),
            (("lifecycle", "updated_at", "id"), False),
        )


class VersionRow(BaseModel):
    """An immutable published version."""

    connector = peewee.ForeignKeyField(ConnectorRow, on_delete="CASCADE", column_name="connector_id")
    number = peewee.BigIntegerField()
    published_at = peewee.DateTimeField()
    body = peewee.TextField()

    class Meta:
        table_name = "connector_version"
        primary_key = peewee.CompositeKey("connector", "number")


class ConnectorIntegrationType(BaseModel):
    connector = peewee.ForeignKeyField(ConnectorRow, on_delete="CASCADE", column_name="connector_id")
    integration_type = peewee.CharField(max_length=64)

    class Meta:
        table_name = "connector_integration_type"
        primary_key = peewee.CompositeKey("connector", "integration_type")
        indexes = ((("integration_type", "connector"), False),)


class ConnectorAccess(BaseModel):
    """Projects that can see a private connector (its creator and its latest private projects)."""

    connector = peewee.ForeignKeyField(ConnectorRow, on_delete="CASCADE", column_name="connector_id")
    project = peewee.CharField(max_length=128)

    class Meta:
        table_name = "connector_access"
        primary_key = peewee.CompositeKey("connector", "project")
        indexes = ((("project", "connector"), False),)


class JobRow(BaseModel):
    """A publishing or preview job: pending, running under a lease, or done. Claimed by compare-and-swap."""

    id = peewee.CharField(primary_key=True, max_length=36)
    draft_id = peewee.CharField(max_length=36, index=True)
    kind = peewee.CharField(max_length=16)  # "publish" or "preview"
    certification = peewee.BooleanField(default=False)
    state = peewee.CharField(max_length=16)  # "pending", "running", "done"
    attempts = peewee.IntegerField(default=0)
    lease_owner = peewee.CharField(max_length=64, default="")
    lease_expires_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField()
    finished_at = peewee.DateTimeField(null=True)
    outcome = peewee.CharField(max_length=32, default="")

    class Meta:
        table_name = "connector_staged_job"
        indexes = ((("state", "lease_expires_at"), False), (("state", "created_at"), False))


# The change records (plugboard.history), created by migration 7.
ChangeRow = record_model("catalog_change", database_proxy)

# Every table, in creation order. The schema itself is created by the migrations (``migrations.py``),
# which must agree with these classes (``tests/catalog/test_catalog_schema.py`` compares them).

MODELS = [
    DraftRow,
    DraftIntegrationType,
    CreateRequest,
    ConnectorRow,
    VersionRow,
    ConnectorIntegrationType,
    ConnectorAccess,
    JobRow,
    ChangeRow,
]
