"""The instance store: domain objects in and out, one transaction per use case.

- Uniqueness is decided by constraints inside the transaction (a create's request id), never by a
  check-then-insert.
- Updates and deletes compare-and-swap the version in the statement's WHERE clause.
- Reads of another project's instance, and of PENDING instances, answer NOT_FOUND exactly as a missing
  one does; only ``count_references`` and ``find_by_request`` see PENDING rows.
- Database failures become ``Unavailable`` (``translate_errors``); no SQL or driver text reaches callers.
- The hot paths (the create's two writes, GetInstance, ListInstances) run the prebuilt statements of
  ``statements.py``; a write of several statements is one transaction on SQLite and one statement
  (data-modifying WITH) on PostgreSQL, atomic either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

import peewee

from plugboard.errors import Aborted, ConcurrentModification, FailedPrecondition, instance_not_found
from plugboard.history import Record
from plugboard.history.storage import HistoryTable
from plugboard.page import Page
from plugboard.storage.database import is_postgres
from plugboard.storage.errors import translate_errors
from plugboard.storage.paging import PageTokens, Pager, SortKey, parse_sorts, query_fingerprint

from ..domain.outcomes import TestResult
from ..domain.listing import ListQuery
from ..domain.model import (
    Instance,
    InstanceReference,
    InstanceState,
    References,
    TestOutcome,
    Variable,
)
from .models import ChangeRow, ConnectionTestRow, InstanceRow, RequestRow, VariableRow, to_micros
from .statements import (
    LAST_TEST_ID,
    Statements,
    blocked_json,
    configuration_json,
    instance_from_row,
    instance_params,
    test_from_row,
    variable_from_row,
    variables_params,
)

_SORT_COLUMNS = {"name": InstanceRow.name}
_READY = InstanceState.READY.value
_PENDING = InstanceState.PENDING.value


class InstanceRepository:
    """Implements ``instance_service.domain.service.InstanceStore`` on ``db``, to which the models'
    ``database_proxy`` is bound at start-up (``instance_service.server``)."""

    def __init__(self, db: peewee.Database, *, tokens: PageTokens | None = None) -> None:
        """``tokens`` signs page tokens: the server passes the configured key (``PageTokens.from_settings``),
        shared by every process on this database; without one, a key of this process only."""
        self._db = db
        self._tokens = tokens or PageTokens.ephemeral()
        # The hot paths (create, get, list) run prebuilt SQL (statements.py); the rest uses the models.
        self._sql = Statements(db.param, postgres=is_postgres(db))
        # The change records (plugboard.history): each write below adds its record in its transaction.
        self.history = HistoryTable(db, ChangeRow, tokens=self._tokens)
        self._record_insert = self.history.insert_where()

    @property
    def db(self) -> peewee.Database:
        return self._db

    # ------------------------------------------------------------------------------------ create

    def insert_pending(self, instance: Instance, request_id: str) -> bool:
        """Commit the PENDING instance with its request id; False when the request id is taken."""
        db, sql = self._db, self._sql
        try:
            with translate_errors():
                if not request_id:  # one statement: autocommit, no explicit transaction
                    db.execute_sql(sql.insert_instance, instance_params(instance))
                elif sql.postgres:
                    db.execute_sql(sql.insert_instance_and_request, instance_params(instance) + (
                        instance.project, request_id, to_micros(instance.create_time)))
                else:
                    with db.atomic():
                        db.execute_sql(sql.insert_instance, instance_params(instance))
                        db.execute_sql(sql.insert_request, (instance.project, request_id, instance.id,
                                                            to_micros(instance.create_time)))
        except peewee.IntegrityError:
            if instance.installation_id and not self._installation_exists(instance.installation_id):
                # Removed between the choice of the installation and this write (the foreign key said so).
                raise FailedPrecondition.single(
                    "INSTALLATION_REMOVING", f"projects/{instance.project}/installations/{instance.installation_id}",
                    "the installation was removed meanwhile") from None
            if request_id:
                return False
            raise
        return True

    def _installation_exists(self, installation_id: str) -> bool:
        with translate_errors():
            return self._db.execute_sql('SELECT 1 FROM installations WHERE "id" = ' + self._db.param,
                                        (installation_id,)).fetchone() is not None

    def find_by_request(self, project: str, request_id: str) -> Instance | None:
        """The instance (PENDING or READY) a project's request id created, if it still exists."""
        with translate_errors():
            row = self._db.execute_sql(self._sql.find_by_request, (project, request_id)).fetchone()
            return None if row is None else self._with_variables([row])[0]

    def mark_ready(self, instance: Instance, record: Record | None = None) -> Instance:
        """PENDING -> READY with the catalog's answer, the sealed variables and the change record, in one
        transaction."""
        db, sql = self._db, self._sql
        update = (
            instance.connector_id, instance.connector_key, instance.connector_version,
            instance.latest_version, configuration_json(instance.configuration), _READY,
            to_micros(instance.update_time), instance.id, _PENDING,
        )
        variables = instance.variables
        if sql.postgres and record is not None:  # one statement writing all three (statements.py)
            with translate_errors():
                changed = db.execute_sql(
                    sql.mark_ready_recorded(len(variables), self._record_insert),
                    update + tuple(variables_params(instance.id, variables)) + self.history.params(record),
                ).fetchone()[0]
            if changed != 1:
                raise Aborted(
                    "the instance was not confirmed in time and was removed; retry the request",
                    reason="PENDING_INSTANCE_EXPIRED",
                )
            return instance
        with translate_errors(), db.atomic():
            if not variables:
                changed = db.execute_sql(sql.mark_ready, update).rowcount
            elif sql.postgres:  # one statement writing both (statements.py)
                changed = db.execute_sql(sql.mark_ready_with_variables(len(variables)),
                                         update + tuple(variables_params(instance.id, variables))).fetchone()[0]
            else:
                changed = db.execute_sql(sql.mark_ready, update).rowcount
                if changed == 1:
                    self._insert_variables(instance.id, variables)
            if changed == 1:
                self.history.add(record)
        if changed != 1:
            raise Aborted(
                "the instance was not confirmed in time and was removed; retry the request",
                reason="PENDING_INSTANCE_EXPIRED",
            )
        return instance

    def discard_pending(self, instance_id: str) -> None:
        """Remove a PENDING instance and its request id (a failed create)."""
        with translate_errors(), self._db.atomic():
            self._delete_rows([instance_id], only_pending=True)

    # -------------------------------------------------------------------------------------- read

    def get(self, project: str, instance_id: str) -> Instance:
        with translate_errors():
            rows = self._db.execute_sql(self._sql.get_with_variables, (instance_id, project, _READY)).fetchall()
            if not rows:
                raise instance_not_found(instance_id)
            first = rows[0]
            start = LAST_TEST_ID + 1
            variables = () if first[start] is None else tuple(variable_from_row(row, start) for row in rows)
            last_test = self._last_tests([first[LAST_TEST_ID]]) if first[LAST_TEST_ID] else {}
            return instance_from_row(first, variables, last_tests_get(last_test, first[LAST_TEST_ID]))

    def list(self, query: ListQuery) -> Page:
        """One page of a project's READY instances: page/per_page, or keyset after a page token."""
        parse_sorts([query.sort], _SORT_COLUMNS, default=["name"])  # validates the sort
        pager = Pager(self._tokens, [SortKey("name", InstanceRow.name, query.descending)], InstanceRow.id,
                      query_fingerprint(query.filters()))
        cursor = pager.open(query.page_token)
        filters, params = _filters(query)
        offset = skip = (query.page - 1) * query.per_page
        keyset: list[object] = []
        if cursor is not None:
            offset, skip, keyset = cursor.offset, 0, list(cursor.values)
        count_sql, page_sql = self._sql.list_page(filters, query.descending, cursor is not None)
        db = self._db
        with translate_errors():
            total = db.execute_sql(count_sql, params).fetchone()[0]
            rows = db.execute_sql(page_sql, params + keyset + [query.per_page + 1, skip]).fetchall()
            rows, offset, token = pager.finish(rows, query.per_page, offset, lambda row: (row[2], row[0]))
            return Page(tuple(self._with_variables(rows)), total, offset, token)

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

    def update(self, current: Instance, changed: Instance, variables_changed: bool,
               record: Record | None = None) -> Instance:
        """Write ``changed`` (and its change record) if the row is still at ``current.version``; the version
        goes up by one."""
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
                    installation=changed.installation_id or None,
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
            self.history.add(record)
        return replace(changed, version=new_version)

    def delete(self, project: str, instance_id: str, expected_version: int | None,
               record: Callable[[Instance], Record] | None = None) -> None:
        """Delete a READY instance with its variables and request id (version-checked when given), with
        ``record(the instance as it was)``."""
        with translate_errors(), self._db.atomic():
            before = self.get(project, instance_id) if record is not None else None
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
            if record is not None and before is not None:
                self.history.add(record(before))

    def _raise_conflict(self, project: str, instance_id: str, expected_version: int | None) -> None:
        row = InstanceRow.get_or_none(
            (InstanceRow.id == instance_id) & (InstanceRow.project == project) & (InstanceRow.state == _READY)
        )
        if row is None or expected_version is None:
            raise instance_not_found(instance_id)
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

    def _insert_variables(self, instance_id: str, variables: Sequence[Variable]) -> None:
        """All of an instance's variables in one multi-row INSERT."""
        variables = tuple(variables)
        if variables:
            self._db.execute_sql(self._sql.insert_variables(len(variables)),
                                 variables_params(instance_id, variables))

    def _with_variables(self, rows: Sequence[Sequence[object]]) -> list[Instance]:
        """Instances from rows in ``INSTANCE_COLUMNS`` order, with their variables and last test results."""
        if not rows:
            return []
        by_instance: dict[str, list[Variable]] = {row[0]: [] for row in rows}  # type: ignore[misc]
        ids = list(by_instance)
        for var in self._db.execute_sql(self._sql.variables_of(len(ids)), ids).fetchall():
            by_instance[var[1]].append(variable_from_row(var))
        last_tests = self._last_tests([row[LAST_TEST_ID] for row in rows if row[LAST_TEST_ID]])
        return [
            instance_from_row(row, tuple(by_instance[row[0]]),  # type: ignore[index]
                              last_tests_get(last_tests, row[LAST_TEST_ID]))
            for row in rows
        ]

    def _last_tests(self, test_ids: Sequence[object]) -> dict[object, TestResult]:
        if not test_ids:
            return {}
        rows = self._db.execute_sql(self._sql.tests(len(test_ids)), list(test_ids)).fetchall()
        return {row[0]: test_from_row(row) for row in rows}

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
            rows = self._db.execute_sql(self._sql.for_connector, (project, connector_id, _READY)).fetchall()
            return self._with_variables(rows)

    # -------------------------------------------------------------------------- connection tests

    def add_test_result(self, project: str, result: TestResult, record: Record | None = None) -> None:
        """Store a result and make it the instance's last one (with its change record); NOT_FOUND when the
        instance is gone."""
        with translate_errors(), self._db.atomic():
            changed = InstanceRow.update(last_test_id=result.id, last_test_outcome=result.outcome.value).where(
                (InstanceRow.id == result.instance_id) & (InstanceRow.project == project)
                & (InstanceRow.state == _READY)
            ).execute()
            if changed != 1:
                raise instance_not_found(result.instance_id)
            ConnectionTestRow.insert(
                id=result.id, instance=result.instance_id, outcome=result.outcome.value,
                http_status=result.http_status, latency_ms=result.latency_ms, message=result.message,
                connector_version=result.connector_version, test_time=result.test_time,
            ).execute()
            self.history.add(record)

    def list_test_results(self, project: str, instance_id: str, page_size: int, page_token: str) -> Page:
        """An instance's results, newest first, by keyset (test_time, id) after ``page_token`` (no total)."""
        keys = [SortKey("testTime", ConnectionTestRow.test_time, descending=True)]
        pager = Pager(self._tokens, keys, ConnectionTestRow.id,
                      query_fingerprint({"project": project, "instance_id": instance_id}))
        with translate_errors():
            cursor = pager.open(page_token)
            exists = InstanceRow.select(InstanceRow.id).where(
                (InstanceRow.id == instance_id) & (InstanceRow.project == project) & (InstanceRow.state == _READY)
            ).exists()
            if not exists:
                raise instance_not_found(instance_id)
            query = ConnectionTestRow.select().where(ConnectionTestRow.instance == instance_id)
            if cursor is not None:
                query = query.where(pager.after(cursor.values))
            rows = list(query.order_by(*pager.order()).limit(page_size + 1))
            rows, _, token = pager.finish(rows, page_size, 0, lambda row: (row.test_time, row.id))
            return Page(tuple(_test_result(row) for row in rows), None, 0, token)


# ------------------------------------------------------------------------------------- conversion


_configuration_json = configuration_json
_blocked_json = blocked_json


def last_tests_get(tests: dict[object, TestResult], test_id: object) -> TestResult | None:
    return tests.get(test_id) if test_id else None


def _test_result(row: ConnectionTestRow) -> TestResult:
    return TestResult(
        id=row.id, instance_id=row.instance_id, outcome=TestOutcome(row.outcome), http_status=row.http_status,
        latency_ms=row.latency_ms, message=row.message, test_time=row.test_time,
        connector_version=row.connector_version,
    )


def _filters(query: ListQuery) -> tuple[tuple[str, ...], list[object]]:
    """The ListInstances filters given (``statements.LIST_FILTERS`` order) and the statement's parameters."""
    names: list[str] = []
    params: list[object] = [query.project, _READY]
    for name, value in (("connector_id", query.connector_id), ("connector_key", query.connector_key),
                        ("name_prefix", query.name_prefix), ("session_id", query.session_id),
                        ("platform_app_key", query.platform_app_key)):
        if value:
            names.append(name)
            params += (len(value), value) if name == "name_prefix" else (value,)
    if query.last_test_outcome is not TestOutcome.UNSPECIFIED:
        names.append("last_test_outcome")
        params.append(query.last_test_outcome.value)
    return tuple(names), params
