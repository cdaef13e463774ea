"""The change record: who changed which resource, when, from what to what (pure Python).

A ``Record`` is one mutation of one resource (commercetools' Change History Record): its type
(created, updated, deleted), the ``Change``s named like the update action that caused them with their
previous and next values (JSON values: str, int, float, bool, None, lists and dicts of them), the
resource's version before and after, its author (``Author``, from ``plugboard.history.actor``) and time.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Protocol


class RecordType(str, Enum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


class AuthorKind(str, Enum):
    KEY = "key"  # an external caller through the gateway, with an API key
    INTERNAL = "internal"  # a service on the trusted network calling the backend directly
    SYSTEM = "system"  # Plugboard itself: a job, a reconciler, a command


@dataclass(frozen=True)
class Author:
    """Who made a change (commercetools' modifiedBy)."""

    kind: AuthorKind
    key_id: str = ""
    key_name: str = ""
    project: str = ""
    peer: str = ""
    system: str = ""
    on_behalf_of: Author | None = None

    @property
    def name(self) -> str:
        """What the ``author`` filter matches: the key id, the system actor's name or the peer."""
        if self.kind is AuthorKind.KEY:
            return self.key_id
        if self.kind is AuthorKind.SYSTEM:
            return self.system
        return self.peer

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind.value}
        for name in ("key_id", "key_name", "project", "peer", "system"):
            if getattr(self, name):
                data[name] = getattr(self, name)
        if self.on_behalf_of is not None:
            data["on_behalf_of"] = self.on_behalf_of.to_json()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Author:
        behalf = data.get("on_behalf_of")
        return cls(kind=AuthorKind(data.get("kind", "internal")), key_id=data.get("key_id", ""),
                   key_name=data.get("key_name", ""), project=data.get("project", ""),
                   peer=data.get("peer", ""), system=data.get("system", ""),
                   on_behalf_of=cls.from_json(behalf) if behalf else None)


def system(name: str, on_behalf_of: Author | None = None) -> Author:
    """A system actor (``publishing-job``, ``deletion-reconciler``, ``secrets-rotate``...)."""
    if on_behalf_of is not None and on_behalf_of.kind is AuthorKind.SYSTEM:
        on_behalf_of = on_behalf_of.on_behalf_of
    return Author(AuthorKind.SYSTEM, system=name,
                  project=on_behalf_of.project if on_behalf_of is not None else "", on_behalf_of=on_behalf_of)


@dataclass(frozen=True)
class Change:
    """One change, named like the update action that caused it."""

    name: str
    previous: Any = None
    next: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"change": self.name, "previousValue": self.previous, "nextValue": self.next}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        return cls(data["change"], data.get("previousValue"), data.get("nextValue"))


@dataclass(frozen=True)
class Record:
    """One mutation of one resource."""

    id: str
    resource_type: str
    resource_id: str
    project: str
    type: RecordType
    changes: tuple[Change, ...]
    version: int
    previous_version: int
    author: Author
    modified_at: datetime

    @property
    def change_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.name for c in self.changes))

    def to_json(self) -> dict[str, Any]:
        """The record as one JSON object (the export's line, commercetools' field names)."""
        return {
            "id": self.id, "resourceType": self.resource_type, "resourceId": self.resource_id,
            "project": self.project, "type": self.type.value,
            "changes": [c.to_json() for c in self.changes],
            "version": self.version, "previousVersion": self.previous_version,
            "modifiedBy": self.author.to_json(),
            "modifiedAt": self.modified_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
        }


def diff(name: str, previous: Any, next: Any) -> Change | None:
    """``Change(name, previous, next)``, or None when the value did not change."""
    return None if previous == next else Change(name, previous, next)


def changes(*items: Change | None | Iterable[Change | None]) -> tuple[Change, ...]:
    """The changes among ``items`` (None dropped; iterables flattened), in order."""
    found: list[Change] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, Change):
            found.append(item)
        else:
            found.extend(c for c in item if c is not None)
    return tuple(found)


def secret_change(name: str, previous_fingerprint: str, next_fingerprint: str) -> Change:
    """A secret's change: only that it changed and the fingerprints, never a value."""
    return Change(name, {"changed": True, "fingerprint": previous_fingerprint or None},
                  {"changed": True, "fingerprint": next_fingerprint or None})


@dataclass(frozen=True)
class Query:
    """ListChanges' filters (empty: any) and paging."""

    project: str = ""
    resource_type: str = ""
    resource_id: str = ""
    change: str = ""
    author: str = ""
    type: RecordType | None = None
    from_time: datetime | None = None
    to_time: datetime | None = None
    limit: int = 20
    offset: int = 0
    page_token: str = ""
    resource_ids: Sequence[str] = field(default=())

    def filters(self) -> dict[str, Any]:
        """What a page token is bound to."""
        return {"p": self.project, "rt": self.resource_type, "r": self.resource_id, "c": self.change,
                "a": self.author, "t": self.type.value if self.type else "",
                "f": self.from_time.isoformat() if self.from_time else "",
                "u": self.to_time.isoformat() if self.to_time else ""}


@dataclass(frozen=True)
class RecordPage:
    items: tuple[Record, ...]
    total: int
    offset: int
    next_page_token: str


class ChangeReader(Protocol):
    """What the history's use cases read (``plugboard.history.storage.HistoryTable``)."""

    def query(self, query: Query) -> RecordPage: ...
    def get(self, record_id: str) -> Record | None: ...


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch (UTC; a naive time is UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def id_prefix(moment: datetime) -> str:
    """The first 13 characters of the ids of records modified at ``moment``: its microseconds in hex."""
    return f"{max(micros(moment), 0):013x}"


def new_id(at: datetime | None = None) -> str:
    """A record id (36 characters) that sorts by modification time: ``id_prefix(at)``, "-", 22 random hex
    digits. Ids written in time order keep the table's primary-key index append-only."""
    return f"{id_prefix(at or utcnow())}-{secrets.token_hex(11)}"
