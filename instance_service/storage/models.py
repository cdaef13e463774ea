"""peewee models of the instance database, bound at start-up through ``database_proxy``.

Timestamps are stored as integer microseconds since the Unix epoch (UTC): exact, ordered and identical
on SQLite and PostgreSQL. The schema itself is created by the migrations (``migrations.py``), not by
``create_tables``; these classes describe the same schema, indexes included
(``tests/instance/test_instance_schema.py`` compares them).
"""

from __future__ import annotations

from datetime import datetime, timezone

import peewee

from plugboard.history.storage import record_model

database_proxy = peewee.DatabaseProxy()

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def to_micros(value: datetime) -> int:
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware (UTC)")
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    seconds, micros = divmod(int(value), 1_000_000)
    return datetime.fromtimestamp(seconds, timezone.utc).replace(microsecond=micros)


class TimestampField(peewee.BigIntegerField):
    """An aware UTC datetime stored as microseconds since the epoch."""

    holds_timestamps = True  # page tokens carry its values as timestamps (plugboard.storage.paging)

    def db_value(self, value):  # type: ignore[no-untyped-def]
        if isinstance(value, datetime):
            return to_micros(value)
        return value

    def python_value(self, value):  # type: ignore[no-untyped-def]
        return None if value is None else from_micros(value)


class _Base(peewee.Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class InstallationRow(_Base):
    """One installation: a project's installed copy of a connector at one version. PENDING rows are the
    install protocol's intent records, REMOVING rows the uninstall protocol's."""

    id = peewee.CharField(max_length=36, primary_key=True)
    project = peewee.CharField(max_length=255)
    connector_id = peewee.CharField(max_length=255)
    connector_key = peewee.CharField(max_length=255)
    connector_name = peewee.CharField(max_length=255)
    connector_version = peewee.BigIntegerField()
    latest_version = peewee.BigIntegerField()
    origin = peewee.CharField(max_length=16)
    # '' for the project's installation of a connector version; the id for an explicit alongside one.
    slot = peewee.CharField(max_length=36)
    state = peewee.CharField(max_length=16)
    version = peewee.BigIntegerField()
    # Number of the current revision; 0 = the published version as it is.
    revision = peewee.BigIntegerField()
    # JSON of the current revision's customisation; NULL when unmodified.
    customisation = peewee.TextField(null=True)
    # JSON list of the installed version's configuration keys; NULL when it declares none.
    configuration = peewee.TextField(null=True)
    # JSON actors ({"key_id", "project"} or {"system"}).
    created_by = peewee.TextField(null=True)
    modified_by = peewee.TextField(null=True)
    modify_time = TimestampField(null=True)
    create_time = TimestampField()
    update_time = TimestampField()

    class Meta:
        table_name = "installations"
        indexes = (
            (("project", "connector_id", "connector_version", "slot"), True),
            (("project", "connector_key", "id"), False),  # ListInstallations
            (("connector_id", "create_time", "id"), False),  # CountConnectorReferences
            (("state", "create_time"), False),  # the reconciler
        )


class InstallationRequestRow(_Base):
    """An install's idempotency key, unique per project, written with the PENDING installation."""

    project = peewee.CharField(max_length=255)
    request_id = peewee.CharField(max_length=255)
    installation = peewee.ForeignKeyField(InstallationRow, column_name="installation_id", on_delete="CASCADE")
    create_time = TimestampField()

    class Meta:
        table_name = "installation_requests"
        primary_key = peewee.CompositeKey("project", "request_id")


class RevisionRow(_Base):
    """One revision of an installation's customisation, with its author and its diff."""

    installation = peewee.ForeignKeyField(InstallationRow, column_name="installation_id", on_delete="CASCADE",
                                          index=False)
    number = peewee.BigIntegerField()
    author = peewee.TextField()
    based_on_version = peewee.BigIntegerField()
    customisation = peewee.TextField()
    changes = peewee.TextField()
    create_time = TimestampField()

    class Meta:
        table_name = "installation_revisions"
        primary_key = peewee.CompositeKey("installation", "number")


class InstanceRow(_Base):
    """One instance. PENDING rows are the create protocol's intent records."""

    id = peewee.CharField(max_length=36, primary_key=True)
    project = peewee.CharField(max_length=255)
    name = peewee.CharField(max_length=255)
    connector_id = peewee.CharField(max_length=255)
    connector_key = peewee.CharField(max_length=255)
    connector_version = peewee.BigIntegerField()
    latest_version = peewee.BigIntegerField()
    version_policy = peewee.CharField(max_length=32)
    timezone = peewee.CharField(max_length=64)
    date_format = peewee.CharField(max_length=64)
    rate_limit_unit = peewee.CharField(max_length=16)
    rate_limit_duration = peewee.IntegerField()
    connection_pool_id = peewee.BigIntegerField(null=True)
    certificate_id = peewee.CharField(max_length=255, null=True)
    platform_app_key = peewee.CharField(max_length=255)
    session_id = peewee.CharField(max_length=255, null=True)
    type = peewee.CharField(max_length=255)
    state = peewee.CharField(max_length=16)
    version = peewee.BigIntegerField()
    last_test_outcome = peewee.CharField(max_length=32)
    # JSON list of the connector version's configuration keys; NULL when it declares none.
    configuration = peewee.TextField(null=True)
    create_time = TimestampField()
    update_time = TimestampField()
    # JSON list of reasons a following instance could not move to latest_version; NULL when none.
    upgrade_blocked = peewee.TextField(null=True)
    # Id of the last connection test result.
    last_test_id = peewee.CharField(max_length=36, null=True)
    # The installation the instance belongs to (NULL only for a PENDING row older than installations).
    installation = peewee.ForeignKeyField(InstallationRow, column_name="installation_id", null=True, index=False)

    class Meta:
        table_name = "instances"
        indexes = (  # as the migrations create them (tests/instance/test_instance_schema.py compares)
            (("installation_id", "state", "name", "id"), False),  # an installation's instances
            (("project", "name", "id"), False),  # ListInstances
            (("project", "connector_id", "state", "name", "id"), False),  # ListInstances by connector
            (("connector_id", "create_time", "id"), False),  # CountConnectorReferences
            (("state", "create_time"), False),  # the reconciler
        )


class VariableRow(_Base):
    """One variable; a secret has ``ciphertext`` (AES-GCM, bound to its row) and never ``value``."""

    id = peewee.CharField(max_length=36, primary_key=True)
    instance = peewee.ForeignKeyField(InstanceRow, column_name="instance_id", on_delete="CASCADE",
                                      backref="variables", index=False)
    position = peewee.IntegerField()
    key = peewee.CharField(max_length=128)
    label = peewee.CharField(max_length=255)
    secret = peewee.BooleanField()
    locked = peewee.BooleanField()
    alias = peewee.CharField(max_length=255)
    configurable = peewee.BooleanField()
    required = peewee.BooleanField()
    advanced = peewee.BooleanField()
    value = peewee.TextField(null=True)
    ciphertext = peewee.BlobField(null=True)
    fingerprint = peewee.CharField(max_length=16)
    value_update_time = TimestampField(null=True)

    class Meta:
        table_name = "instance_variables"
        indexes = ((("instance_id", "key"), True),)


class RequestRow(_Base):
    """A create's idempotency key, unique per project, written with the PENDING instance."""

    project = peewee.CharField(max_length=255)
    request_id = peewee.CharField(max_length=255)
    instance = peewee.ForeignKeyField(InstanceRow, column_name="instance_id", on_delete="CASCADE")
    create_time = TimestampField()

    class Meta:
        table_name = "instance_requests"
        primary_key = peewee.CompositeKey("project", "request_id")


class ConnectionTestRow(_Base):
    """One connection test result (messages never hold a secret)."""

    id = peewee.CharField(max_length=36, primary_key=True)
    instance = peewee.ForeignKeyField(InstanceRow, column_name="instance_id", on_delete="CASCADE", index=False)
    outcome = peewee.CharField(max_length=32)
    http_status = peewee.IntegerField()
    latency_ms = peewee.BigIntegerField()
    message = peewee.TextField()
    connector_version = peewee.BigIntegerField()
    test_time = TimestampField()

    class Meta:
        table_name = "connection_tests"
        indexes = ((("instance_id", "test_time", "id"), False),)  # ListConnectionTests


# The change records (plugboard.history), created by migration 5.
ChangeRow = record_model("instance_change", database_proxy)

MODELS = (InstallationRow, InstallationRequestRow, RevisionRow, InstanceRow, VariableRow, RequestRow,
          ConnectionTestRow, ChangeRow)
