"""The change history, one mechanism for every service: who changed what, when, from what to what.

A use case that mutates a resource builds its record with ``record(...)`` (the author is the current
call's, see ``actor``) and hands it to its store method, which writes it with ``HistoryTable.add`` in
the same transaction as the mutation (``plugboard.history.storage``). Reads go through
``ChangeHistory`` (``service``), served by each service's ``ChangeHistoryService``
(``plugboard.history.servicer``). See docs/history.md.

This package's top level is pure Python (no grpc, no peewee): domains import it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from . import actor
from .actor import acting_as, current
from .model import (
    Author,
    AuthorKind,
    Change,
    ChangeReader,
    Query,
    Record,
    RecordPage,
    RecordType,
    changes,
    diff,
    new_id,
    secret_change,
    system,
    utcnow,
)

CREATED, UPDATED, DELETED = RecordType.CREATED, RecordType.UPDATED, RecordType.DELETED


def record(resource_type: str, resource_id: str, *, project: str, type: RecordType = RecordType.UPDATED,
           changes: Iterable[Change] = (), version: int = 0, previous_version: int = 0,
           author: Author | None = None, at: datetime | None = None) -> Record:
    """The record of one mutation, by the current author (``actor.current()``) unless ``author`` is given."""
    at = at or utcnow()
    return Record(id=new_id(at), resource_type=resource_type, resource_id=resource_id, project=project,
                  type=type, changes=tuple(changes), version=version, previous_version=previous_version,
                  author=author or actor.current(), modified_at=at)


__all__ = [
    "CREATED", "DELETED", "UPDATED", "Author", "AuthorKind", "Change", "ChangeReader", "Query", "Record",
    "RecordPage", "RecordType", "acting_as", "actor", "changes", "current", "diff", "record",
    "secret_change", "system",
]
