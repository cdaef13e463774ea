"""The catalog's use cases: each reads through the store, applies the domain rules and writes back.

No grpc here (the servicers adapt requests to these methods) and no SQL (the store owns it).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from collections.abc import Sequence
from typing import Callable

from catalog_service.domain import actions as a
from catalog_service.domain import drafts
from catalog_service.domain.model import Connector, Draft, Lifecycle, PublishedVersion
from catalog_service.storage.repository import CatalogStore, Page
from plugboard.errors import FailedPrecondition, InvalidArgument, NotFound, Validator

MAX_LIMIT = 500
DEFAULT_LIMIT = 20
MAX_FILTER_VALUES = 100  # ids or keys in one marketplace search


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def check_paging(limit: int, offset: int) -> int:
    """Validate seed 002's limit/offset; return the effective limit."""
    v = Validator()
    v.require(0 <= limit <= MAX_LIMIT, "limit", f"must be from 1 to {MAX_LIMIT} (0 means {DEFAULT_LIMIT})")
    v.require(0 <= offset <= 10_000_000, "offset", "must be from 0 to 10000000")
    v.raise_if_any()
    return limit or DEFAULT_LIMIT


def require(value: str, field: str) -> None:
    if not value:
        raise InvalidArgument.single(field, "is required")


def _ignore(*_: object) -> None:
    return None


class Catalog:
    """The catalog's use cases over a store.

    ``on_draft_changed(draft_id)`` is called after every write of a draft (the watch streams listen) and
    ``on_job_queued()`` after a request queued a publishing or preview job (the job worker wakes up).
    """

    def __init__(self, store: CatalogStore, clock: Callable[[], datetime] = utc_now, *,
                 on_draft_changed: Callable[[str], None] = _ignore,
                 on_job_queued: Callable[[], None] = _ignore) -> None:
        self.store = store
        self.clock = clock
        self.on_draft_changed = on_draft_changed
        self.on_job_queued = on_job_queued

    # --- drafts ---------------------------------------------------------------------------------

    def create_draft(self, draft: drafts.DraftInput, *, project: str, request_id: str) -> Draft:
        new = drafts.new_draft(draft, draft_id=str(uuid.uuid4()), project=project, now=self.clock())
        return self.store.create_draft(new, request_id)

    def get_draft(self, *, draft_id: str = "", key: str = "", project: str = "") -> Draft:
        if key:
            draft = self.store.get_draft_by_key(key)
        else:
            require(draft_id, "id")
            draft = self.store.get_draft(draft_id)
        if project and draft.creator_project != project:
            raise NotFound("ConnectorStaged", draft_id or key)  # same answer as a missing draft
        return draft

    def query_drafts(self, *, limit: int, offset: int, sorts: list[str], is_private: bool | None,
                     integration_types: list[str], project: str, page_token: str) -> tuple[Page, int]:
        limit = check_paging(limit, offset)
        page = self.store.query_drafts(limit=limit, offset=offset, sorts=sorts, is_private=is_private,
                                       integration_types=integration_types, project=project, page_token=page_token)
        return page, limit

    def update_draft(self, *, draft_id: str = "", key: str = "", version: int, actions: list[a.Action | None],
                     names: list[str], project: str) -> Draft:
        v = Validator()
        v.require(version >= 1, "version", "must be the draft's current version (at least 1)")
        a.validate_actions(v, actions, names)
        v.raise_if_any()
        draft = self.get_draft(draft_id=draft_id, key=key, project=project)
        drafts.check_version(draft, version)
        applied = drafts.apply_actions(draft, [x for x in actions if x is not None],
                                       actor=project or "internal", now=self.clock())
        saved = self.store.save_draft(applied.draft, version, applied.published, applied.job)
        self.on_draft_changed(saved.id)
        if applied.job is not None:
            self.on_job_queued()
        return saved

    def delete_draft(self, *, draft_id: str, version: int, project: str) -> Draft:
        draft = self.get_draft(draft_id=draft_id, project=project)
        if version and version != draft.version:
            drafts.check_version(draft, version)
        deleted = self.store.delete_draft(draft.id, version)
        self.on_draft_changed(deleted.id)
        return deleted

    # --- published connectors -----------------------------------------------------------------

    def get_connector(self, *, connector_id: str = "", key: str = "", project: str = "") -> Connector:
        if not key:
            require(connector_id, "id")
        connector = self.store.get_connector(connector_id, key)
        if not connector.visible_to(project):
            raise NotFound("Connector", connector_id or key)
        return connector

    def get_version(self, *, connector_id: str, number: int, project: str) -> PublishedVersion:
        v = Validator()
        v.require(connector_id, "connector_id", "is required")
        v.require(number >= 1, "number", "must be at least 1")
        v.raise_if_any()
        self.get_connector(connector_id=connector_id, project=project)
        return self.store.get_version(connector_id, number)

    def list_versions(self, *, connector_id: str, limit: int, offset: int, page_token: str,
                      project: str) -> tuple[Page, int]:
        require(connector_id, "connector_id")
        limit = check_paging(limit, offset)
        self.get_connector(connector_id=connector_id, project=project)
        return self.store.list_versions(connector_id, limit=limit, offset=offset, page_token=page_token), limit

    def list_connectors(self, *, limit: int, offset: int, sorts: list[str], text: str,
                        integration_types: list[str], certified_only: bool, project: str,
                        page_token: str, private: bool | None = None, creator_company: str = "",
                        ids: Sequence[str] = (), keys: Sequence[str] = ()) -> tuple[Page, int]:
        limit = check_paging(limit, offset)
        v = Validator()
        v.require(len(text) <= 256, "text", "must be at most 256 characters")
        v.require(len(creator_company) <= 256, "creator_company", "must be at most 256 characters")
        v.require(len(ids) <= MAX_FILTER_VALUES, "ids", f"must hold at most {MAX_FILTER_VALUES} ids")
        v.require(len(keys) <= MAX_FILTER_VALUES, "keys", f"must hold at most {MAX_FILTER_VALUES} keys")
        v.raise_if_any()
        page = self.store.list_connectors(limit=limit, offset=offset, sorts=sorts, text=text,
                                          integration_types=integration_types, certified_only=certified_only,
                                          project=project, page_token=page_token, private=private,
                                          creator_company=creator_company, ids=ids, connector_keys=keys)
        return page, limit

    # --- deletion protocol and usability ------------------------------------------------------

    def begin_deletion(self, connector_id: str) -> Connector:
        require(connector_id, "id")
        return self.store.begin_deletion(connector_id, self.clock())

    def cancel_deletion(self, connector_id: str) -> Connector:
        require(connector_id, "id")
        return self.store.cancel_deletion(connector_id)

    def complete_deletion(self, connector_id: str) -> tuple[Connector, int]:
        require(connector_id, "id")
        connector, versions = self.store.complete_deletion(connector_id)
        self.on_draft_changed(connector.id)
        return connector, versions

    def revert_stale_deletions(self, stale_after_seconds: float) -> int:
        return self.store.revert_stale_deletions(self.clock() - timedelta(seconds=stale_after_seconds))

    def check_usable(self, *, connector_id: str, key: str, project: str, version: int) -> tuple[Connector, PublishedVersion]:
        """The connector is ACTIVE, published and visible to ``project``; return it and the asked version."""
        v = Validator()
        v.require(bool(connector_id) != bool(key), "id", "exactly one of id and key is required")
        v.require(project, "project", "is required")
        v.require(version >= 0, "version", "must be 0 (latest) or a published version number")
        v.raise_if_any()
        connector = self.get_connector(connector_id=connector_id, key=key, project=project)
        if connector.lifecycle != Lifecycle.ACTIVE:
            raise FailedPrecondition.single(
                "CONNECTOR_DELETING", f"connectors/{connector.id}", "the connector is being deleted"
            )
        if not version or version == connector.latest.number:
            return connector, connector.latest
        try:
            return connector, self.store.get_version(connector.id, version)
        except NotFound:
            raise FailedPrecondition.single(
                "CONNECTOR_VERSION_NOT_FOUND", f"connectors/{connector.id}/versions/{version}",
                f"the connector has no published version {version}",
            ) from None
