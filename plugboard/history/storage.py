"""Change records in a service's own database: the table, the one INSERT, the queries, the sweep.

Each service keeps its records in its own table (``catalog_change``, ``instance_change``,
``api_key_change``), created by that service's migration from ``create_table_v1`` (frozen DDL) and
described by a peewee model from ``record_model`` (for the schema tests and the list queries).

``HistoryTable.add(record)`` is what a store calls inside the transaction of the mutation it writes:
one prebuilt INSERT (several records: still one multi-row INSERT), so the record commits or rolls back
with its change. Timestamps are integer microseconds since the epoch (UTC), on both dialects.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Any

import peewee

from plugboard.errors import InvalidArgument
from plugboard.storage import paging
from plugboard.storage.errors import translate_errors

from .model import Author, Change, Query, Record, RecordPage, RecordType, id_prefix, micros

COLUMNS = ("id", "resource_type", "resource_id", "project", "type", "change_names", "author", "version",
           "previous_version", "modified_at", "body")


to_micros = micros


def from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros // 1_000_000, tz=timezone.utc).replace(microsecond=micros % 1_000_000)


def create_table_v1(db: peewee.Database, table: str) -> None:
    """Frozen DDL of a change-record table (version 1 of the record schema): never edit, add a new one."""
    for statement in (
        f'CREATE TABLE "{table}" ("id" VARCHAR(36) NOT NULL PRIMARY KEY,'
        ' "resource_type" VARCHAR(64) NOT NULL, "resource_id" VARCHAR(256) NOT NULL,'
        ' "project" VARCHAR(128) NOT NULL, "type" VARCHAR(16) NOT NULL, "change_names" TEXT NOT NULL,'
        ' "author" VARCHAR(256) NOT NULL, "version" BIGINT NOT NULL, "previous_version" BIGINT NOT NULL,'
        ' "modified_at" BIGINT NOT NULL, "body" TEXT NOT NULL)',
        f'CREATE INDEX "{table}_project_id" ON "{table}" ("project", "id")',
        f'CREATE INDEX "{table}_resource_id_id" ON "{table}" ("resource_id", "id")',
    ):
        db.execute_sql(statement)


def record_model(table: str, database: Any) -> type[peewee.Model]:
    """The peewee model of ``table`` on ``database`` (a ``DatabaseProxy`` or a database)."""

    class ChangeRow(peewee.Model):
        id = peewee.CharField(primary_key=True, max_length=36)
        resource_type = peewee.CharField(max_length=64)
        resource_id = peewee.CharField(max_length=256)
        project = peewee.CharField(max_length=128)
        type = peewee.CharField(max_length=16)
        change_names = peewee.TextField()
        author = peewee.CharField(max_length=256)
        version = peewee.BigIntegerField()
        previous_version = peewee.BigIntegerField()
        modified_at = peewee.BigIntegerField()
        body = peewee.TextField()

        class Meta:
            table_name = table
            indexes = ((("project", "id"), False), (("resource_id", "id"), False))

    ChangeRow._meta.database = database
    ChangeRow.__name__ = f"ChangeRow_{table}"
    return ChangeRow


def _params(record: Record) -> tuple[Any, ...]:
    body = json.dumps({"changes": [c.to_json() for c in record.changes], "modifiedBy": record.author.to_json()},
                      separators=(",", ":"), sort_keys=True)
    names = "," + ",".join(record.change_names) + "," if record.changes else ""
    return (record.id, record.resource_type, record.resource_id[:256], record.project[:128], record.type.value,
            names, record.author.name[:256], record.version, record.previous_version,
            to_micros(record.modified_at), body)


def record_from_row(row: Sequence[Any]) -> Record:
    (record_id, resource_type, resource_id, project, kind, _names, _author, version, previous, modified,
     body) = row
    data = json.loads(body)
    return Record(id=record_id, resource_type=resource_type, resource_id=resource_id, project=project,
                  type=RecordType(kind), changes=tuple(Change.from_json(c) for c in data.get("changes", ())),
                  version=int(version), previous_version=int(previous),
                  author=Author.from_json(data.get("modifiedBy", {})), modified_at=from_micros(int(modified)))


class HistoryTable:
    """One service's change records on ``db`` (``model``: ``record_model(table, ...)`` bound to ``db``)."""

    def __init__(self, db: peewee.Database, model: type[peewee.Model], *,
                 tokens: paging.PageTokens | None = None) -> None:
        self.db = db
        self.model = model
        self.table = model._meta.table_name
        self._tokens = tokens or paging.PageTokens.ephemeral()
        p = db.param
        self._columns = ", ".join(f'"{c}"' for c in COLUMNS)
        self._row = "(" + ", ".join([p] * len(COLUMNS)) + ")"
        self._insert = f'INSERT INTO "{self.table}" ({self._columns}) VALUES {self._row}'
        self._get = f'SELECT {self._columns} FROM "{self.table}" WHERE "id" = {p}'
        self._insert_where = self.insert_where()

    # --- writing (inside the caller's transaction) ------------------------------------------------

    def add(self, *records: Record | None) -> None:
        """Write ``records`` (None skipped) with ONE INSERT, in the transaction the caller holds."""
        found = [r for r in records if r is not None]
        if not found:
            return
        if len(found) == 1:
            self.db.execute_sql(self._insert, _params(found[0]))
            return
        sql = f'INSERT INTO "{self.table}" ({self._columns}) VALUES ' + ", ".join([self._row] * len(found))
        self.db.execute_sql(sql, [value for r in found for value in _params(r)])

    def insert_where(self) -> str:
        """``INSERT`` of one record's parameters (``params``) when ``{ready}`` holds: for a store that folds
        the record into a data-modifying WITH (PostgreSQL), one statement instead of a transaction."""
        p = self.db.param
        return (f'INSERT INTO "{self.table}" ({self._columns}) SELECT ' + ", ".join([p] * len(COLUMNS))
                + " WHERE {ready}")

    @staticmethod
    def params(record: Record) -> tuple[Any, ...]:
        return _params(record)

    # --- reading ----------------------------------------------------------------------------------

    @translate_errors()
    def get(self, record_id: str) -> Record | None:
        row = self.db.execute_sql(self._get, (record_id,)).fetchone()
        return None if row is None else record_from_row(row)

    def _where(self, query: Query) -> peewee.Select:
        m = self.model
        select = m.select(*[getattr(m, c) for c in COLUMNS])
        if query.project:
            select = select.where(m.project == query.project)
        if query.resource_type:
            select = select.where(m.resource_type == query.resource_type)
        if query.resource_id:
            select = select.where(m.resource_id == query.resource_id)
        if query.resource_ids:
            select = select.where(m.resource_id.in_(list(query.resource_ids)))
        if query.change:
            select = select.where(m.change_names.contains(f",{query.change},"))
        if query.author:
            select = select.where(m.author == query.author)
        if query.type is not None:
            select = select.where(m.type == query.type.value)
        # Ids sort by modification time (``model.new_id``): a time range is a range of ids (the index).
        if query.from_time is not None:
            select = select.where(m.id >= id_prefix(query.from_time))
        if query.to_time is not None:
            select = select.where(m.id < id_prefix(query.to_time))
        return select

    @translate_errors()
    def query(self, query: Query) -> RecordPage:
        """A page of the records matching ``query``, newest first."""
        m = self.model
        keys = [paging.SortKey("id", m.id, descending=True)]  # newest first: ids sort by time
        pager = paging.Pager(self._tokens, keys, None, paging.query_fingerprint(query.filters()))
        select = self._where(query)
        rows, offset, token = pager.fetch(select, limit=query.limit, offset=query.offset,
                                          page_token=query.page_token)
        total = self._where(query).count()
        return RecordPage(tuple(record_from_row([getattr(r, c) for c in COLUMNS]) for r in rows), total, offset,
                          token)

    def latest(self, resource_id: str, change_names: Sequence[str]) -> Record | None:
        """The newest record of ``resource_id`` holding one of ``change_names`` (who requested a job)."""
        m = self.model
        condition = None
        for name in change_names:
            term = m.change_names.contains(f",{name},")
            condition = term if condition is None else condition | term
        select = self._where(Query(resource_id=resource_id))
        if condition is not None:
            select = select.where(condition)
        with translate_errors():
            row = select.order_by(m.id.desc()).limit(1).tuples().first()
        return None if row is None else record_from_row(row)

    def scan(self, from_time: datetime | None, to_time: datetime | None, *, batch: int = 500
             ) -> Iterator[Record]:
        """Every record in [from_time, to_time), oldest first, read ``batch`` at a time (the export)."""
        m = self.model
        after: str | None = None
        while True:
            select = self._where(Query(from_time=from_time, to_time=to_time))
            if after is not None:
                select = select.where(m.id > after)
            with translate_errors():
                rows = list(select.order_by(m.id.asc()).limit(batch).tuples())
            for row in rows:
                yield record_from_row(row)
            if len(rows) < batch:
                return
            after = rows[-1][0]

    def count(self, from_time: datetime | None = None, to_time: datetime | None = None) -> int:
        with translate_errors():
            return self._where(Query(from_time=from_time, to_time=to_time)).count()

    # --- retention ----------------------------------------------------------------------------------

    def sweep(self, older_than: datetime, batch: int = 1000) -> int:
        """Delete at most ``batch`` records modified before ``older_than`` (oldest first); how many."""
        p = self.db.param
        sql = (f'DELETE FROM "{self.table}" WHERE "id" IN (SELECT "id" FROM "{self.table}"'
               f' WHERE "id" < {p} ORDER BY "id" LIMIT {int(batch)})')
        with translate_errors(), self.db.atomic():
            return self.db.execute_sql(sql, (id_prefix(older_than),)).rowcount


def check_query(query: Query) -> None:
    """InvalidArgument for a query the store cannot run."""
    if query.change and not query.change.isalnum():
        raise InvalidArgument.single("change", "must be a change name such as setName")
