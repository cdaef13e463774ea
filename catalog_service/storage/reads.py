"""The hot read paths of published connectors: prebuilt statements, cached versions, cached list statistics.

Profiles of GetConnector, CheckConnectorUsable and ListConnectors (issue 6) showed that peewee spent
most of a point lookup building SQL, that every connector read ran a second query (and a JSON decode)
for its latest version, and that every list page counted all visible rows. So:

- ``Statements``: the point lookups rendered once per database at start-up (the database's own param
  style and quoting) and run through ``execute_sql``; rows come back as tuples.
- published versions are immutable, so they are kept in an LRU by ``(connector_id, number)``. A cached
  version is only ever handed out after the connector's row was read (a deleted connector is NOT_FOUND
  before its versions are looked at) and the deletion drops them from this process's cache too.
- ``ListingStats``: the total of a list (and, for deep offset pages, the sort values of every
  ``ANCHOR_STRIDE``-th row) per query fingerprint, valid until this process writes a connector (a
  generation counter) and for at most ``STATS_TTL_SECONDS`` (writes of other catalog processes).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import peewee

from catalog_service.domain.model import Connector, Lifecycle, PublishedVersion
from catalog_service.lru import Lru

from . import codec
from .models import ConnectorRow, VersionRow

# Columns of a connector row read for a Connector, in this order (``connector_from_tuple``).
CONNECTOR_COLUMNS = (
    ConnectorRow.id,
    ConnectorRow.key,
    ConnectorRow.lifecycle,
    ConnectorRow.listed,
    ConnectorRow.certified,
    ConnectorRow.private,
    ConnectorRow.creator_project,
    ConnectorRow.latest_version,
    ConnectorRow.created_at,
    ConnectorRow.updated_at,
    ConnectorRow.name,
)
POSITION = {column.name: index for index, column in enumerate(CONNECTOR_COLUMNS)}
ID, LATEST = POSITION["id"], POSITION["latest_version"]

VERSION_CACHE_SIZE = 10_000
STATS_CACHE_SIZE = 256
STATS_TTL_SECONDS = 2.0
ANCHOR_STRIDE = 100


def _render(db: peewee.Database, query: peewee.Query, params: int) -> str:
    sql, values = db.get_sql_context().sql(query).query()
    if len(values) != params:  # the statement must take exactly the parameters its caller passes
        raise RuntimeError(f"prebuilt statement has {len(values)} parameters, expected {params}")
    return sql


class Statements:
    """The point lookups of the read paths, as SQL text for one database."""

    def __init__(self, db: peewee.Database) -> None:
        columns = ConnectorRow.select(*CONNECTOR_COLUMNS)
        self.connector_by_id = _render(db, columns.where(ConnectorRow.id == ""), 1)
        self.connector_by_key = _render(db, columns.where(ConnectorRow.key == ""), 1)
        self.version = _render(
            db,
            VersionRow.select(VersionRow.published_at, VersionRow.body).where(
                (VersionRow.connector == "") & (VersionRow.number == 0)
            ),
            2,
        )


def connector_from_tuple(row: Sequence[Any], latest: PublishedVersion) -> Connector:
    """A Connector from a row of ``CONNECTOR_COLUMNS`` (raw driver values or peewee-converted ones)."""
    return Connector(
        id=row[0],
        key=row[1],
        lifecycle=Lifecycle(row[2]),
        listed=bool(row[3]),
        certified=bool(row[4]),
        private=bool(row[5]),
        creator_project=row[6],
        created_at=codec._aware(row[8]),
        updated_at=codec._aware(row[9]),
        latest=latest,
    )


class VersionCache:
    """Published versions by ``(connector_id, number)``; see the module docstring for why this is safe."""

    def __init__(self, db: peewee.Database, statements: Statements, size: int = VERSION_CACHE_SIZE) -> None:
        self.db = db
        self.statements = statements
        self._lru: Lru[PublishedVersion] = Lru(size)

    def get(self, connector_id: str, number: int) -> PublishedVersion | None:
        """The version (from the cache or the database), None when there is no such version."""
        version = self._lru.get((connector_id, number))
        if version is not None:
            return version
        row = self.db.execute_sql(self.statements.version, (connector_id, number)).fetchone()
        if row is None:
            return None
        version = codec.version_from_row(connector_id, number, row[0], row[1])
        self._remember(version)
        return version

    def get_many(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], PublishedVersion]:
        """The versions of ``keys`` that exist, with one query for all that are not cached."""
        found: dict[tuple[str, int], PublishedVersion] = {}
        missing = []
        for key in keys:
            version = self._lru.get(key)
            if version is None:
                missing.append(key)
            else:
                found[key] = version
        if missing:
            # Two IN lists (a chain of 500 ORs would pass SQLite's expression depth limit); the few rows
            # of other (connector, number) pairs this selects are skipped.
            wanted = set(missing)
            rows = VersionRow.select(
                VersionRow.connector, VersionRow.number, VersionRow.published_at, VersionRow.body
            ).where(
                VersionRow.connector.in_(sorted({c for c, _ in missing}))
                & VersionRow.number.in_(sorted({n for _, n in missing}))
            ).tuples()
            for connector_id, number, published_at, body in rows:
                if (connector_id, number) not in wanted:
                    continue
                version = codec.version_from_row(connector_id, number, published_at, body)
                found[(connector_id, number)] = version
                self._remember(version)
        return found

    def forget_connector(self, connector_id: str, latest: int) -> None:
        for number in range(1, latest + 1):
            self._lru.discard((connector_id, number))

    def _remember(self, version: PublishedVersion) -> None:
        # Inside a transaction the row may be uncommitted (and be rolled back): never cache it then.
        if not self.db.in_transaction():
            self._lru.put((version.connector_id, version.number), version)


@dataclass
class _Stats:
    generation: int
    expires: float
    total: int
    anchors: list[tuple] | None = field(default=None)


class ListingStats:
    """Totals (and deep-page anchors) of connector lists per query fingerprint; see the module docstring."""

    def __init__(self, db: peewee.Database, ttl_seconds: float = STATS_TTL_SECONDS,
                 size: int = STATS_CACHE_SIZE, clock: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._lru: Lru[_Stats] = Lru(size)
        self._generation = 0
        self._lock = threading.Lock()

    def changed(self) -> None:
        """A connector was written (call after the transaction committed): every cached figure is stale."""
        with self._lock:
            self._generation += 1

    def total(self, fingerprint: str, count: Callable[[], int]) -> int:
        stats = self._valid(fingerprint)
        if stats is not None:
            return stats.total
        generation, total = self._generation, count()
        self._store(fingerprint, _Stats(generation, self.clock() + self.ttl_seconds, total))
        return total

    def anchors(self, fingerprint: str, scan: Callable[[], list[tuple]]) -> list[tuple]:
        """The sort (+ tiebreak) values of rows ANCHOR_STRIDE-1, 2*ANCHOR_STRIDE-1, ... of the list."""
        stats = self._valid(fingerprint)
        if stats is not None and stats.anchors is not None:
            return stats.anchors
        generation = self._generation
        rows = scan()
        anchors = rows[ANCHOR_STRIDE - 1::ANCHOR_STRIDE]
        self._store(fingerprint, _Stats(generation, self.clock() + self.ttl_seconds, len(rows), anchors))
        return anchors

    def _valid(self, fingerprint: str) -> _Stats | None:
        stats = self._lru.get(fingerprint)
        if stats is None or stats.generation != self._generation or stats.expires < self.clock():
            return None
        return stats

    def _store(self, fingerprint: str, stats: _Stats) -> None:
        if not self.db.in_transaction():
            self._lru.put(fingerprint, stats)
