"""The history's read use cases (pure Python): ListChanges and GetChange over a ``ChangeReader``.

A query names a project, or none: the gateway always sets the caller's project, so an external caller
sees only the records of its project's resources; a trusted internal caller without a project sees all.
"""

from __future__ import annotations

from dataclasses import replace

from plugboard.errors import NotFound, Validator

from .model import ChangeReader, Query, Record, RecordPage

DEFAULT_LIMIT = 20
MAX_LIMIT = 500
MAX_OFFSET = 100_000
MAX_FILTER = 256


class ChangeHistory:
    """ListChanges / GetChange of one service's records."""

    def __init__(self, reader: ChangeReader) -> None:
        self.reader = reader

    def list(self, query: Query) -> RecordPage:
        v = Validator()
        v.require(0 <= query.limit <= MAX_LIMIT, "limit", f"must be from 1 to {MAX_LIMIT} (0 means {DEFAULT_LIMIT})")
        v.require(0 <= query.offset <= MAX_OFFSET, "offset", f"must be from 0 to {MAX_OFFSET}")
        for name in ("project", "resource_type", "resource_id", "change", "author"):
            v.require(len(getattr(query, name)) <= MAX_FILTER, name, f"must be at most {MAX_FILTER} characters")
        v.require(not query.change or query.change.isalnum(), "change", "must be a change name such as setName")
        if query.from_time is not None and query.to_time is not None:
            v.require(query.from_time < query.to_time, "to_time", "must be after from_time")
        v.raise_if_any()
        return self.reader.query(replace(query, limit=query.limit or DEFAULT_LIMIT))

    def get(self, record_id: str, project: str = "") -> Record:
        v = Validator()
        v.require(bool(record_id), "id", "is required")
        v.require(len(record_id) <= 64, "id", "must be at most 64 characters")
        v.raise_if_any()
        found = self.reader.get(record_id)
        if found is None or (project and found.project != project):
            raise NotFound("ChangeRecord", record_id)  # another project's record: as a missing one
        return found
