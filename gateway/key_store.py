"""The gateway's own database: API keys (digests only), with its migrations.

SQLite under the data dir by default (``settings.gateway_database_url``), PostgreSQL when configured;
opened with ``plugboard.storage.open_database`` and migrated with ``plugboard.storage.migrate``
(component ``"gateway"``). Statements are written once as SQL and run through peewee's connection
(``execute_sql``): the lookup by key id is on every uncached call.

``KeyStore`` is synchronous (the CLI uses it as is); ``Authenticator`` (``gateway.auth``) calls it from
a worker thread and caches what it found.
"""

from __future__ import annotations

from datetime import datetime, timezone

import peewee

from gateway.keys import KeyRecord, NewKey, generate
from plugboard import history
from plugboard.errors import NotFound
from plugboard.history.storage import HistoryTable, create_table_v1, record_model
from plugboard.storage.database import open_database
from plugboard.storage.errors import translate_errors
from plugboard.storage.migrations import Migration, migrate

TABLE = "api_keys"


def _create_keys(db: peewee.Database) -> None:
    db.execute_sql(
        f"CREATE TABLE {TABLE} ("
        " key_id VARCHAR(32) PRIMARY KEY,"
        " digest VARCHAR(64) NOT NULL,"
        " project VARCHAR(100) NOT NULL,"
        " scopes VARCHAR(500) NOT NULL,"
        " name VARCHAR(200) NOT NULL DEFAULT '',"
        " created_at VARCHAR(40) NOT NULL,"
        " revoked_at VARCHAR(40))"
    )
    db.execute_sql(f"CREATE INDEX {TABLE}_project ON {TABLE} (project, created_at)")


CHANGES = "api_key_change"
MIGRATIONS = [
    Migration(1, "create api_keys", _create_keys),
    Migration(2, "change history records", lambda db: create_table_v1(db, CHANGES)),
]
# Who creates and revokes keys when no call is being served: the ``plugboard keys`` command.
KEYS_COMMAND = "keys-command"
_COLUMNS = "key_id, digest, project, scopes, name, created_at, revoked_at"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _record(row: tuple) -> KeyRecord:  # type: ignore[type-arg]
    key_id, digest, project, scopes, name, created_at, revoked_at = row
    return KeyRecord(key_id=key_id, digest=digest, project=project,
                     scopes=tuple(s for s in scopes.split(",") if s), name=name,
                     created_at=_time(created_at) or utcnow(), revoked_at=_time(revoked_at))


def _author() -> history.Author:
    """The current call's author, or the ``plugboard keys`` command outside a call."""
    current = history.current()
    if current.kind is history.AuthorKind.INTERNAL and current.peer == "-":
        return history.system(KEYS_COMMAND)
    return current


class KeyStore:
    """API keys in one database."""

    def __init__(self, db: peewee.Database) -> None:
        self.db = db
        p = db.param
        self._by_id = f"SELECT {_COLUMNS} FROM {TABLE} WHERE key_id = {p}"
        self._insert = f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES ({', '.join([p] * 7)})"
        self._revoke = f"UPDATE {TABLE} SET revoked_at = {p} WHERE key_id = {p} AND revoked_at IS NULL"
        # The change records of keys (plugboard.history), written with each create and revoke.
        self.history = HistoryTable(db, record_model(CHANGES, db))

    @classmethod
    def open(cls, url: str) -> KeyStore:
        """Open and migrate the database at ``url``."""
        db = open_database(url)
        migrate(db, "gateway", MIGRATIONS)
        return cls(db)

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()

    @translate_errors()
    def create(self, project: str, scopes: list[str] | tuple[str, ...], name: str = "") -> NewKey:
        """A new key (InvalidArgument for a bad project or scope); the full key is in the result only."""
        new = generate(project, scopes, name, utcnow())
        r = new.record
        with self.db.atomic():
            self.db.execute_sql(self._insert, (r.key_id, r.digest, r.project, ",".join(r.scopes), r.name,
                                               r.created_at.isoformat(), None))
            self.history.add(history.record(
                "api-key", r.key_id, project=r.project, type=history.CREATED, author=_author(),
                changes=[history.Change("createApiKey", None, {"name": r.name, "scopes": list(r.scopes)})]))
        return new

    @translate_errors()
    def find(self, key_id: str) -> KeyRecord | None:
        row = self.db.execute_sql(self._by_id, (key_id,)).fetchone()
        return _record(row) if row else None

    @translate_errors()
    def list(self, project: str = "", include_revoked: bool = False) -> list[KeyRecord]:
        where, params = [], []
        if project:
            where.append(f"project = {self.db.param}")
            params.append(project)
        if not include_revoked:
            where.append("revoked_at IS NULL")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        cursor = self.db.execute_sql(
            f"SELECT {_COLUMNS} FROM {TABLE}{clause} ORDER BY created_at, key_id", tuple(params))
        return [_record(row) for row in cursor.fetchall()]

    @translate_errors()
    def revoke(self, key_id: str) -> KeyRecord:
        """Revoke ``key_id`` (idempotent); NotFound when there is no such key."""
        with self.db.atomic():
            revoked = self.db.execute_sql(self._revoke, (utcnow().isoformat(), key_id)).rowcount
            if revoked:
                found = self.find(key_id)
                self.history.add(history.record(
                    "api-key", key_id, project=found.project if found else "", author=_author(),
                    changes=[history.Change("revokeApiKey", None, {"name": found.name if found else ""})]))
        record = self.find(key_id)
        if record is None:
            raise NotFound("api key", key_id, reason="API_KEY_NOT_FOUND")
        return record
