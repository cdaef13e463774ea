"""Prebuilt SQL of the hot paths (create, get, list) and the decoding of their rows from tuples.

Why not the ORM here: peewee spends most of a small statement's time building its SQL text (DESIGN.md,
"Performance facts": ~200 µs per point lookup against ~10 µs for the same statement built once). The
first benchmark profile of CreateInstance had 36% of the instance service's CPU in peewee's statement
building (``mark_ready``, ``_insert_variables``, ``insert_pending``) and GetInstance / ListInstances
most of theirs in building queries and model objects. So the statements of those paths are written once
per database (the driver's parameter style, ``?`` for SQLite, ``%s`` for PostgreSQL) and run through
peewee's connection (``db.execute_sql``), which keeps peewee's error translation and transactions.

The column lists below must agree with the latest migration (``migrations.py``) and with ``models.py``,
which the colder paths still use.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from plugboard.storage.paging import after_sql

from ..domain.model import (
    Configuration,
    Instance,
    InstanceState,
    RateLimitUnit,
    TestOutcome,
    Variable,
    VersionPolicy,
)
from ..domain.outcomes import TestResult
from .models import to_micros

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Order of the instance columns in every SELECT and INSERT below (``instance_from_row`` reads by index).
INSTANCE_COLUMNS = (
    "id", "project", "name", "connector_id", "connector_key", "connector_version", "latest_version",
    "version_policy", "timezone", "date_format", "rate_limit_unit", "rate_limit_duration",
    "connection_pool_id", "certificate_id", "platform_app_key", "session_id", "type", "state", "version",
    "last_test_outcome", "configuration", "create_time", "update_time", "upgrade_blocked", "installation_id", "last_test_id",
)
LAST_TEST_ID = INSTANCE_COLUMNS.index("last_test_id")
VARIABLE_COLUMNS = (
    "id", "instance_id", "position", "key", "label", "secret", "locked", "alias", "configurable",
    "required", "advanced", "value", "ciphertext", "fingerprint", "value_update_time",
)
TEST_COLUMNS = (
    "id", "instance_id", "outcome", "http_status", "latency_ms", "message", "connector_version", "test_time",
)

# PostgreSQL types of the variable columns: a multi-row VALUES list needs them where all values are NULL.
_VARIABLE_TYPES = (
    "varchar", "varchar", "integer", "varchar", "varchar", "boolean", "boolean", "varchar", "boolean",
    "boolean", "boolean", "text", "bytea", "varchar", "bigint",
)

# The ListInstances filters, in the order their conditions are written (name_prefix is special).
LIST_FILTERS = ("connector_id", "connector_key", "name_prefix", "session_id", "platform_app_key",
                "last_test_outcome")


def _columns(names: Sequence[str], alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(f'{prefix}"{name}"' for name in names)


class Statements:
    """The SQL text of the hot paths for one parameter style; per-size statements are made on first use."""

    def __init__(self, param: str, *, postgres: bool = False) -> None:
        self.param = p = param
        # PostgreSQL: the create's two writes are single statements (data-modifying WITH), atomic without
        # an explicit transaction: one round trip each instead of four (BEGIN, two statements, COMMIT).
        self.postgres = postgres
        self._ready_with_variables: dict[int, str] = {}
        self._ready_recorded: dict[tuple[int, str], str] = {}
        self._insert_variables: dict[int, str] = {}
        self._variables_of: dict[int, str] = {}
        self._tests_of: dict[int, str] = {}
        self._lists: dict[tuple[object, ...], tuple[str, str]] = {}
        self.insert_instance = (
            f"INSERT INTO instances ({_columns(INSTANCE_COLUMNS)}) "
            f"VALUES ({', '.join([p] * len(INSTANCE_COLUMNS))})"
        )
        self.insert_request = (
            'INSERT INTO instance_requests ("project", "request_id", "instance_id", "create_time") '
            f"VALUES ({p}, {p}, {p}, {p})"
        )
        self.insert_instance_and_request = (
            f"WITH created AS ({self.insert_instance} RETURNING \"id\") "
            'INSERT INTO instance_requests ("project", "request_id", "instance_id", "create_time") '
            f"SELECT {p}, {p}, created.id, {p} FROM created"
        )
        self.mark_ready = (
            'UPDATE instances SET "connector_id" = {p}, "connector_key" = {p}, "connector_version" = {p}, '
            '"latest_version" = {p}, "configuration" = {p}, "state" = {p}, "update_time" = {p} '
            'WHERE "id" = {p} AND "state" = {p}'
        ).format(p=p)
        # GetInstance: the instance and its variables in one statement (no variables: one row of NULLs).
        self.get_with_variables = (
            f"SELECT {_columns(INSTANCE_COLUMNS, 'i')}, {_columns(VARIABLE_COLUMNS, 'v')} "
            "FROM instances AS i LEFT OUTER JOIN instance_variables AS v ON v.instance_id = i.id "
            f'WHERE i."id" = {p} AND i."project" = {p} AND i."state" = {p} ORDER BY v."position"'
        )
        self.find_by_request = (
            f"SELECT {_columns(INSTANCE_COLUMNS, 'i')} FROM instances AS i "
            "INNER JOIN instance_requests AS r ON r.instance_id = i.id "
            f'WHERE r."project" = {p} AND r."request_id" = {p}'
        )
        self.for_connector = (
            f"SELECT {_columns(INSTANCE_COLUMNS)} FROM instances "
            f'WHERE "project" = {p} AND "connector_id" = {p} AND "state" = {p} ORDER BY "create_time", "id"'
        )

    def insert_variables(self, count: int) -> str:
        """A multi-row INSERT of ``count`` variables (one statement per create)."""
        sql = self._insert_variables.get(count)
        if sql is None:
            row = f"({', '.join([self.param] * len(VARIABLE_COLUMNS))})"
            sql = f"INSERT INTO instance_variables ({_columns(VARIABLE_COLUMNS)}) VALUES {', '.join([row] * count)}"
            self._insert_variables[count] = sql
        return sql

    def mark_ready_with_variables(self, count: int) -> str:
        """PostgreSQL: ``mark_ready`` and the INSERT of ``count`` variables in one statement; the variables
        are written only when the instance was still PENDING. Answers one row: the instances updated (0/1).
        Parameters: those of ``mark_ready``, then those of ``insert_variables``."""
        sql = self._ready_with_variables.get(count)
        if sql is None:
            row = "(" + ", ".join(f"{self.param}::{kind}" for kind in _VARIABLE_TYPES) + ")"
            sql = (
                f'WITH ready AS ({self.mark_ready} RETURNING "id"), '
                f"written AS (INSERT INTO instance_variables ({_columns(VARIABLE_COLUMNS)}) "
                f"SELECT * FROM (VALUES {', '.join([row] * count)}) AS v ({_columns(VARIABLE_COLUMNS)}) "
                "WHERE EXISTS (SELECT 1 FROM ready) RETURNING 1) "
                "SELECT (SELECT COUNT(*) FROM ready), (SELECT COUNT(*) FROM written)"
            )
            self._ready_with_variables[count] = sql
        return sql

    def mark_ready_recorded(self, count: int, record_insert: str) -> str:
        """PostgreSQL: ``mark_ready``, the INSERT of ``count`` variables (0: none) and ``record_insert`` (the
        change record's ``INSERT ... SELECT ... WHERE {ready}``, see ``HistoryTable.insert_where``) in one
        statement; the variables and the record are written only when the instance was still PENDING.
        Answers one row: the instances updated (0/1). Parameters: those of ``mark_ready``, then those of
        ``insert_variables``, then the record's."""
        key = (count, record_insert)
        sql = self._ready_recorded.get(key)
        if sql is None:
            parts = [f'WITH ready AS ({self.mark_ready} RETURNING "id")']
            if count:
                row = "(" + ", ".join(f"{self.param}::{kind}" for kind in _VARIABLE_TYPES) + ")"
                parts.append(
                    f"written AS (INSERT INTO instance_variables ({_columns(VARIABLE_COLUMNS)}) "
                    f"SELECT * FROM (VALUES {', '.join([row] * count)}) AS v ({_columns(VARIABLE_COLUMNS)}) "
                    "WHERE EXISTS (SELECT 1 FROM ready) RETURNING 1)")
            parts.append(f"logged AS ({record_insert.format(ready='EXISTS (SELECT 1 FROM ready)')} RETURNING 1)")
            sql = ", ".join(parts) + " SELECT (SELECT COUNT(*) FROM ready)"
            if len(self._ready_recorded) < 256:
                self._ready_recorded[key] = sql
        return sql

    def variables_of(self, count: int) -> str:
        """The variables of ``count`` instances, by instance then position."""
        sql = self._variables_of.get(count)
        if sql is None:
            sql = (f"SELECT {_columns(VARIABLE_COLUMNS)} FROM instance_variables "
                   f'WHERE "instance_id" IN ({", ".join([self.param] * count)}) ORDER BY "instance_id", "position"')
            self._variables_of[count] = sql
        return sql

    def tests(self, count: int) -> str:
        """``count`` connection test results by id."""
        sql = self._tests_of.get(count)
        if sql is None:
            sql = (f"SELECT {_columns(TEST_COLUMNS)} FROM connection_tests "
                   f'WHERE "id" IN ({", ".join([self.param] * count)})')
            self._tests_of[count] = sql
        return sql

    def list_page(self, filters: tuple[str, ...], descending: bool, keyset: bool) -> tuple[str, str]:
        """(COUNT statement, page statement) of ListInstances for the filters given.

        Parameters: project, state, then one per filter in ``LIST_FILTERS`` order (two for name_prefix:
        its length and itself); the page statement adds the keyset values (name, id) or nothing, then
        LIMIT and OFFSET. The sort (name, id) matches the index (project, connector_id, state, name, id)
        of migration 3 and (project, name, id) of migration 1.
        """
        shape = (filters, descending, keyset)
        cached = self._lists.get(shape)
        if cached is not None:
            return cached
        p = self.param
        where = [f'"project" = {p}', f'"state" = {p}']
        for name in filters:
            if name == "name_prefix":
                where.append(f'SUBSTR("name", 1, {p}) = {p}')
            else:
                where.append(f'"{name}" = {p}')
        condition = " AND ".join(where)
        count = f"SELECT COUNT(*) FROM instances WHERE {condition}"
        direction = "DESC" if descending else "ASC"
        if keyset:
            condition += " AND " + after_sql(("name", "id"), descending, p)
        page = (f"SELECT {_columns(INSTANCE_COLUMNS)} FROM instances WHERE {condition} "
                f'ORDER BY "name" {direction}, "id" {direction} LIMIT {p} OFFSET {p}')
        self._lists[shape] = (count, page)
        return count, page


# ---------------------------------------------------------------------------------------- encoding


def _micros(value: datetime | None) -> int | None:
    return None if value is None else to_micros(value)


def configuration_json(configuration: Configuration | None) -> str | None:
    if configuration is None or configuration.is_empty:
        return None
    return json.dumps(configuration.to_json(), separators=(",", ":"))


def blocked_json(blocked: tuple[str, ...]) -> str | None:
    return json.dumps(list(blocked)) if blocked else None


def instance_params(instance: Instance) -> tuple[object, ...]:
    """The INSERT parameters of an instance row, in ``INSTANCE_COLUMNS`` order."""
    return (
        instance.id, instance.project, instance.name, instance.connector_id, instance.connector_key,
        instance.connector_version, instance.latest_version, instance.version_policy.value, instance.timezone,
        instance.date_format, instance.rate_limit_unit.value, instance.rate_limit_duration,
        instance.connection_pool_id, instance.certificate_id, instance.platform_app_key, instance.session_id,
        instance.type, instance.state.value, instance.version, instance.last_test_outcome.value,
        configuration_json(instance.configuration), to_micros(instance.create_time),
        to_micros(instance.update_time), blocked_json(instance.blocked_reasons), instance.installation_id or None,
        None,
    )


def variables_params(instance_id: str, variables: Sequence[Variable]) -> list[object]:
    """The flat parameters of a multi-row variable INSERT, in ``VARIABLE_COLUMNS`` order."""
    params: list[object] = []
    for position, item in enumerate(variables):
        secret = item.secret
        params += (
            item.id, instance_id, position, item.key, item.label, secret, item.locked, item.alias,
            item.configurable, item.required, item.advanced,
            None if secret else (item.value if item.value is not None else ""),
            item.ciphertext if secret else None,
            item.fingerprint if secret else "",
            _micros(item.value_update_time),
        )
    return params


# ---------------------------------------------------------------------------------------- decoding

_POLICIES = {item.value: item for item in VersionPolicy}
_UNITS = {item.value: item for item in RateLimitUnit}
_STATES = {item.value: item for item in InstanceState}
_OUTCOMES = {item.value: item for item in TestOutcome}
# Configurations are snapshots of immutable published versions: many rows hold the same JSON text.
_CONFIGURATIONS: dict[str, Configuration] = {}
_CONFIGURATIONS_MAX = 1024


def from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def _configuration(text: str | None) -> Configuration | None:
    if not text:
        return None
    found = _CONFIGURATIONS.get(text)
    if found is None:
        found = Configuration.from_json(json.loads(text))
        if len(_CONFIGURATIONS) >= _CONFIGURATIONS_MAX:
            _CONFIGURATIONS.clear()
        _CONFIGURATIONS[text] = found
    return found


def instance_from_row(row: Sequence, variables: tuple[Variable, ...] = (),  # type: ignore[type-arg]
                      last_test: TestResult | None = None) -> Instance:
    """An instance from a row in ``INSTANCE_COLUMNS`` order."""
    return Instance(
        id=row[0], project=row[1], name=row[2], connector_id=row[3], connector_key=row[4],
        connector_version=row[5], latest_version=row[6], version_policy=_POLICIES[row[7]], timezone=row[8],
        date_format=row[9], rate_limit_unit=_UNITS[row[10]], rate_limit_duration=row[11],
        connection_pool_id=row[12], certificate_id=row[13], platform_app_key=row[14], session_id=row[15],
        type=row[16], state=_STATES[row[17]], version=row[18], last_test_outcome=_OUTCOMES[row[19]],
        configuration=_configuration(row[20]), create_time=from_micros(row[21]),
        update_time=from_micros(row[22]),
        blocked_reasons=tuple(json.loads(row[23])) if row[23] else (), installation_id=row[24] or "",
        variables=variables, last_test=last_test,
    )


def variable_from_row(row: Sequence, start: int = 0) -> Variable:  # type: ignore[type-arg]
    """A variable from a row in ``VARIABLE_COLUMNS`` order beginning at ``start``."""
    secret = bool(row[start + 5])
    ciphertext = row[start + 12]
    stamp = row[start + 14]
    return Variable(
        id=row[start], key=row[start + 3], label=row[start + 4], secret=secret, locked=bool(row[start + 6]),
        alias=row[start + 7], configurable=bool(row[start + 8]), required=bool(row[start + 9]),
        advanced=bool(row[start + 10]), value=None if secret else row[start + 11],
        ciphertext=bytes(ciphertext) if ciphertext is not None else None, fingerprint=row[start + 13],
        value_update_time=None if stamp is None else from_micros(stamp),
    )


def test_from_row(row: Sequence) -> TestResult:  # type: ignore[type-arg]
    """A connection test result from a row in ``TEST_COLUMNS`` order."""
    return TestResult(
        id=row[0], instance_id=row[1], outcome=_OUTCOMES[row[2]], http_status=row[3], latency_ms=row[4],
        message=row[5], connector_version=row[6], test_time=from_micros(row[7]),
    )


test_from_row.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
