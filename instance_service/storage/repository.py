"""The instance store: domain objects in and out, one transaction per use case.

- Uniqueness is decided by constraints inside the transaction (a create's request id), never by a
  check-then-insert.
- Updates and deletes compare-and-swap the version in the statement's WHERE clause.
- Reads of another project's instance, and of PENDING instances, answer NOT_FOUND exactly as a missing
  one does; only ``count_references`` and ``find_by_request`` see PENDING rows.
- Database failures become ``Unavailable`` (``translate_errors``); no SQL or driver text reaches callers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

import peewee

from plugboard.errors import Aborted, ConcurrentModification, InvalidArgument
from plugboard.storage.errors import translate_errors
from plugboard.storage.paging import (
    decode_token,
    encode_token,
    keyset_condition,
    ordering,
    parse_sorts,
    query_fingerprint,
)

from ..domain.connection import TestResult
from ..domain.listing import ListQuery, Page
from ..domain.model import (
    Configuration,
    Instance,
    InstanceReference,
    InstanceState,
    RateLimitUnit,
    References,
    TestOutcome,
    Variable,
    VersionPolicy,
)
from ..domain.service import not_found
from .models import ConnectionTestRow, InstanceRow, RequestRow, VariableRow, database_proxy, to_micros

_SORT_COLUMNS = {"name": InstanceRow.name}
_READY = InstanceState.READY.value
_PENDING = InstanceState.PENDING.value


class InstanceRepository:
    """Implements ``instance_service.domain.service.InstanceStore`` on the bound database."""

    def __init__(self, db: peewee.Database) -> None:
        database_proxy.initialize(db)
        self._db = db

    @property
    def db(self) -> peewee.Database:
        return self._db

    # ------------------------------------------------------------------------------------ create

    def insert_pending(self, instance: Instance, request_id: str) -> bool:
        """Commit the PENDING instance with its request id; False when the request id is taken."""
        try:
            with translate_errors(), self._db.atomic():
                InstanceRow.insert(**_instance_columns(instance)).execute()
                if request_id:
                    RequestRow.insert(
                        project=instance.project, request_id=request_id, instance=instance.id,
                        create_time=instance.create_time,
                    ).execute()
        except peewee.IntegrityError:
            if request_id:
                return False
            raise
        return True

    def find_by_request(self, project: str, request_id: str) -> Instance | None:
        """The instance (PENDING or READY) a project's request id created, if it still exists."""
        with translate_errors():
            row = (
                InstanceRow.select(InstanceRow)
                .join(RequestRow, on=(RequestRow.instance == InstanceRow.id))
                .where((RequestRow.project == project) & (RequestRow.request_id == request_id))
                .first()
            )
            return None if row is None else self._with_variables([row])[0]

    def mark_ready(self, instance: Instance) -> Instance:
        """PENDING -> READY with the catalog's answer and the sealed variables, in one transaction."""
        with translate_errors(), self._db.atomic():
            changed = (
                InstanceRow.update(
                    connector_id=instance.connector_id,
                    connector_key=instance.connector_key,
                    connector_version=instance.connector_version,
                    latest_version=instance.latest_version,
                    configuration=_configuration_json(instance.configuration),
                    state=_READY,
                    update_time=instance.update_time,
                )
                .where((InstanceRow.id == instance.id) & (InstanceRow.state == _PENDING))
                .execute()
            )
            if changed != 1:
                raise Aborted(
                    "the instance was not confirmed in time and was removed; retry the request",
                    reason="PENDING_INSTANCE_EXPIRED",
                )
            self._insert_variables(instance.id, instance.variables)
        return instance

    def discard_pending(self, instance_id: str) -> None:
        """Remove a PENDING instance and its request id (a failed create)."""
        with translate_errors(), self._db.atomic():
            self._delete_rows([instance_id], only_pending=True)

    # -------------------------------------------------------------------------------------- read

    def get(self, project: str, instance_id: str) -> Instance:
        with translate_errors():
            row = InstanceRow.get_or_none(
                (InstanceRow.id == instance_id) & (InstanceRow.project == project) & (InstanceRow.state == _READY)
            )
            if row is None:
                raise not_found(instance_id)
            return self._with_variables([row])[0]

    def list(self, query: ListQuery) -> Page:
        """One page of a project's READY instances: page/per_page, or keyset after a page token."""
        keys = parse_sorts([query.sort], _SORT_COLUMNS, default=["name"])
        fingerprint = query_fingerprint(query.filters())
        with translate_errors():
            base = InstanceRow.select().where(*_filters(query))
            total = base.count()
            page = query.page
            selection = base.order_by(*ordering(keys, InstanceRow.id))
            if query.page_token:
                after, page = decode_token(query.page_token, fingerprint)
                if (len(after) != 2 or not all(isinstance(item, str) for item in after)
                        or not isinstance(page, int) or page < 2):
                    raise InvalidArgument.single("page_token", "is not a page token returned by this list")
                selection = selection.where(keyset_condition(keys, InstanceRow.id, after))
            else:
                selection = selection.offset((page - 1) * query.per_page)
            rows = list(selection.limit(query.per_page + 1))
            more = len(rows) > query.per_page
            rows = rows[: query.per_page]
            token = ""
            if more and rows:
                token = encode_token([rows[-1].name, rows[-1].id], fingerprint, page + 1)
            return Page(
                instances=tuple(self._with_variables(rows)), page=page, per_page=query.per_page,
                total=total, next_page_token=token,
            )

    def count_references(self, connector_id: str, limit: int) -> References:
        """Instances of a connector in every project, PENDING included: the total and the oldest few."""
        with translate_errors():
            where = InstanceRow.connector_id == connector_id
            total = InstanceRow.select().where(where).count()
            rows = (
                InstanceRow.select(InstanceRow.id, InstanceRow.project, InstanceRow.name, InstanceRow.state)
                .where(where)
                .order_by(InstanceRow.create_time.asc(), InstanceRow.id.asc())
                .limit(limit)
            )
            return References(
                total=total,
                instances=tuple(
                    InstanceReference(project=r.project, id=r.id, name=r.name, state=InstanceState(r.state))
                    for r in rows
                ),
            )

    # ------------------------------------------------------------------------------------ update

    def update(self, current: Instance, changed: Instance, variables_changed: bool) -> Instance:
        """Write ``changed`` if the row is still at ``current.version``; the version goes up by one."""
        new_version = current.version + 1
        with translate_errors(), self._db.atomic():
            count = (
                InstanceRow.update(
                    name=changed.name,
                    version_policy=changed.version_policy.value,
                    timezone=changed.timezone,
                    date_format=changed.date_format,
                    rate_limit_unit=changed.rate_limit_unit.value,
                    rate_limit_duration=changed.rate_limit_duration,
                    connection_pool_id=changed.connection_pool_id,
                    certificate_id=changed.certificate_id,
                    platform_app_key=changed.platform_app_key,
                    session_id=changed.session_id,
                    type=changed.type,
                    update_time=changed.update_time,
                    version=new_version,
                    connector_version=changed.connector_version,
                    latest_version=changed.latest_version,
                    configuration=_configuration_json(changed.configuration),
                    upgrade_blocked=_blocked_json(changed.blocked_reasons),
                )
                .where(
                    (InstanceRow.id == current.id) & (InstanceRow.project == current.project)
                    & (InstanceRow.state == _READY) & (InstanceRow.version == current.version)
                )
                .execute()
            )
            if count != 1:
                self._raise_conflict(current.project, current.id, current.version)
            if variables_changed:
                VariableRow.delete().where(VariableRow.instance == current.id).execute()
                self._insert_variables(current.id, changed.variables)
        return replace(changed, version=new_version)

    def delete(self, project: str, instance_id: str, expected_version: int | None) -> None:
        """Delete a READY instance with its variables and request id (version-checked when given)."""
        with translate_errors(), self._db.atomic():
            where = ((InstanceRow.id == instance_id) & (InstanceRow.project == project)
                     & (InstanceRow.state == _READY))
            if expected_version is not None:
                where &= InstanceRow.version == expected_version
            if not InstanceRow.select(InstanceRow.id).where(where).exists():
                self._raise_conflict(project, instance_id, expected_version)
            VariableRow.delete().where(VariableRow.instance == instance_id).execute()
            RequestRow.delete().where(RequestRow.instance == instance_id).execute()
            ConnectionTestRow.delete().where(ConnectionTestRow.instance == instance_id).execute()
            if InstanceRow.delete().where(where).execute() != 1:
                self._raise_conflict(project, instance_id, expected_version)

    def _raise_conflict(self, project: str, instance_id: str, expected_version: int | None) -> None:
        row = InstanceRow.get_or_none(
            (InstanceRow.id == instance_id) & (InstanceRow.project == project) & (InstanceRow.state == _READY)
        )
        if row is None or expected_version is None:
            raise not_found(instance_id)
        raise ConcurrentModification(expected_version, row.version)

    # -------------------------------------------------------------------------------- reconciler

    def remove_stale_pending(self, older_than: datetime) -> int:
        """Remove PENDING instances created before ``older_than``; the number removed."""
        with translate_errors(), self._db.atomic():
            ids = [
                row.id for row in InstanceRow.select(InstanceRow.id).where(
                    (InstanceRow.state == _PENDING) & (InstanceRow.create_time < to_micros(older_than))
                )
            ]
            return self._delete_rows(ids, only_pending=True) if ids else 0

    # ---------------------------------------------------------------------------------- helpers

    def _delete_rows(self, ids: Sequence[str], *, only_pending: bool) -> int:
        VariableRow.delete().where(VariableRow.instance.in_(ids)).execute()
        RequestRow.delete().where(RequestRow.instance.in_(ids)).execute()
        ConnectionTestRow.delete().where(ConnectionTestRow.instance.in_(ids)).execute()
        where = InstanceRow.id.in_(ids)
        if only_pending:
            where &= InstanceRow.state == _PENDING
        return InstanceRow.delete().where(where).execute()

    def _insert_variables(self, instance_id: str, variables: Iterable[Variable]) -> None:
        rows = [
            {
                "id": item.id, "instance": instance_id, "position": position, "key": item.key,
                "label": item.label, "secret": item.secret, "locked": item.locked, "alias": item.alias,
                "configurable": item.configurable, "required": item.required, "advanced": item.advanced,
                "value": None if item.secret else (item.value if item.value is not None else ""),
                "ciphertext": item.ciphertext if item.secret else None,
                "fingerprint": item.fingerprint if item.secret else "",
                "value_update_time": item.value_update_time,
            }
            for position, item in enumerate(variables)
        ]
        if rows:
            VariableRow.insert_many(rows).execute()

    def _with_variables(self, rows: Sequence[InstanceRow]) -> list[Instance]:
        by_instance: dict[str, list[Variable]] = {row.id: [] for row in rows}
        if by_instance:
            query = (
                VariableRow.select()
                .where(VariableRow.instance.in_(list(by_instance)))
                .order_by(VariableRow.instance, VariableRow.position)
            )
            for var in query:
                by_instance[var.instance_id].append(_variable(var))
        test_ids = [row.last_test_id for row in rows if row.last_test_id]
        last_tests: dict[str, TestResult] = {}
        if test_ids:
            for test in ConnectionTestRow.select().where(ConnectionTestRow.id.in_(test_ids)):
                last_tests[test.id] = _test_result(test)
        return [
            replace(_instance(row, tuple(by_instance[row.id])), last_test=last_tests.get(row.last_test_id or ""))
            for row in rows
        ]

    # ---------------------------------------------------------------------------------- versions

    def set_upgrade_status(self, instance_id: str, latest_version: int, blocked: tuple[str, ...]) -> None:
        """Record the latest version seen and why a following instance cannot move (no version bump:
        output-only status)."""
        with translate_errors():
            InstanceRow.update(latest_version=latest_version, upgrade_blocked=_blocked_json(blocked)).where(
                (InstanceRow.id == instance_id) & (InstanceRow.state == _READY)
            ).execute()

    def list_for_connector(self, project: str, connector_id: str) -> list[Instance]:
        """Every READY instance of a project using a connector, oldest first."""
        with translate_errors():
            rows = list(
                InstanceRow.select().where(
                    (InstanceRow.project == project) & (InstanceRow.connector_id == connector_id)
                    & (InstanceRow.state == _READY)
                ).order_by(InstanceRow.create_time, InstanceRow.id)
            )
            return self._with_variables(rows)

    # -------------------------------------------------------------------------- connection tests

    def add_test_result(self, project: str, result: TestResult) -> None:
        """Store a result and make it the instance's last one; NOT_FOUND when the instance is gone."""
        with translate_errors(), self._db.atomic():
            changed = InstanceRow.update(last_test_id=result.id, last_test_outcome=result.outcome.value).where(
                (InstanceRow.id == result.instance_id) & (InstanceRow.project == project)
                & (InstanceRow.state == _READY)
            ).execute()
            if changed != 1:
                raise not_found(result.instance_id)
            ConnectionTestRow.insert(
                id=result.id, instance=result.instance_id, outcome=result.outcome.value,
                http_status=result.http_status, latency_ms=result.latency_ms, message=result.message,
                connector_version=result.connector_version, test_time=result.test_time,
            ).execute()

    def list_test_results(self, project: str, instance_id: str, page_size: int,
                          page_token: str) -> tuple[list[TestResult], str]:
        """An instance's results, newest first, by keyset (test_time, id) after ``page_token``."""
        fingerprint = query_fingerprint({"project": project, "instance_id": instance_id})
        with translate_errors():
            exists = InstanceRow.select(InstanceRow.id).where(
                (InstanceRow.id == instance_id) & (InstanceRow.project == project) & (InstanceRow.state == _READY)
            ).exists()
            if not exists:
                raise not_found(instance_id)
            query = (
                ConnectionTestRow.select()
                .where(ConnectionTestRow.instance == instance_id)
                .order_by(ConnectionTestRow.test_time.desc(), ConnectionTestRow.id.desc())
            )
            if page_token:
                after, _ = decode_token(page_token, fingerprint)
                if len(after) != 2 or not isinstance(after[0], int) or not isinstance(after[1], str):
                    raise InvalidArgument.single("page_token", "is not a page token returned by this list")
                time_after, id_after = after
                query = query.where(
                    (ConnectionTestRow.test_time < time_after)
                    | ((ConnectionTestRow.test_time == time_after) & (ConnectionTestRow.id < id_after))
                )
            rows = list(query.limit(page_size + 1))
            token = ""
            if len(rows) > page_size:
                rows = rows[:page_size]
                token = encode_token([to_micros(rows[-1].test_time), rows[-1].id], fingerprint, 0)
            return [_test_result(row) for row in rows], token


# ------------------------------------------------------------------------------------- conversion


def _configuration_json(configuration: Configuration | None) -> str | None:
    if configuration is None or configuration.is_empty:
        return None
    return json.dumps(configuration.to_json(), separators=(",", ":"))


def _blocked_json(blocked: tuple[str, ...]) -> str | None:
    return json.dumps(list(blocked)) if blocked else None


def _test_result(row: ConnectionTestRow) -> TestResult:
    return TestResult(
        id=row.id, instance_id=row.instance_id, outcome=TestOutcome(row.outcome), http_status=row.http_status,
        latency_ms=row.latency_ms, message=row.message, test_time=row.test_time,
        connector_version=row.connector_version,
    )


def _instance_columns(instance: Instance) -> dict[str, object]:
    return {
        "id": instance.id, "project": instance.project, "name": instance.name,
        "connector_id": instance.connector_id, "connector_key": instance.connector_key,
        "connector_version": instance.connector_version, "latest_version": instance.latest_version,
        "version_policy": instance.version_policy.value, "timezone": instance.timezone,
        "date_format": instance.date_format, "rate_limit_unit": instance.rate_limit_unit.value,
        "rate_limit_duration": instance.rate_limit_duration,
        "connection_pool_id": instance.connection_pool_id, "certificate_id": instance.certificate_id,
        "platform_app_key": instance.platform_app_key, "session_id": instance.session_id,
        "type": instance.type, "state": instance.state.value, "version": instance.version,
        "last_test_outcome": instance.last_test_outcome.value,
        "configuration": _configuration_json(instance.configuration),
        "upgrade_blocked": _blocked_json(instance.blocked_reasons),
        "create_time": instance.create_time, "update_time": instance.update_time,
    }


def _instance(row: InstanceRow, variables: tuple[Variable, ...]) -> Instance:
    return Instance(
        id=row.id, project=row.project, name=row.name, connector_id=row.connector_id,
        connector_key=row.connector_key, connector_version=row.connector_version,
        version_policy=VersionPolicy(row.version_policy), timezone=row.timezone,
        date_format=row.date_format, rate_limit_unit=RateLimitUnit(row.rate_limit_unit),
        rate_limit_duration=row.rate_limit_duration, state=InstanceState(row.state),
        version=row.version, create_time=row.create_time, update_time=row.update_time,
        connection_pool_id=row.connection_pool_id, certificate_id=row.certificate_id,
        platform_app_key=row.platform_app_key, session_id=row.session_id, type=row.type,
        variables=variables, latest_version=row.latest_version,
        last_test_outcome=TestOutcome(row.last_test_outcome),
        configuration=Configuration.from_json(json.loads(row.configuration)) if row.configuration else None,
        blocked_reasons=tuple(json.loads(row.upgrade_blocked)) if row.upgrade_blocked else (),
    )


def _variable(row: VariableRow) -> Variable:
    return Variable(
        id=row.id, key=row.key, label=row.label, secret=bool(row.secret), locked=bool(row.locked),
        alias=row.alias, configurable=bool(row.configurable), required=bool(row.required),
        advanced=bool(row.advanced), value=None if row.secret else row.value,
        ciphertext=bytes(row.ciphertext) if row.ciphertext is not None else None,
        fingerprint=row.fingerprint, value_update_time=row.value_update_time,
    )


def _filters(query: ListQuery) -> list[peewee.Expression]:
    where = [InstanceRow.project == query.project, InstanceRow.state == _READY]
    if query.connector_id:
        where.append(InstanceRow.connector_id == query.connector_id)
    if query.connector_key:
        where.append(InstanceRow.connector_key == query.connector_key)
    if query.name_prefix:
        where.append(peewee.fn.SUBSTR(InstanceRow.name, 1, len(query.name_prefix)) == query.name_prefix)
    if query.session_id:
        where.append(InstanceRow.session_id == query.session_id)
    if query.platform_app_key:
        where.append(InstanceRow.platform_app_key == query.platform_app_key)
    if query.last_test_outcome is not TestOutcome.UNSPECIFIED:
        where.append(InstanceRow.last_test_outcome == query.last_test_outcome.value)
    return where
