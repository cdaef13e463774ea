"""The catalog's use cases: drafts, published connectors, the deletion protocol, certification.

``Catalog`` and ``Certification`` depend on one port, ``CatalogStore`` (the store in
``catalog_service.storage``), a plain Python interface. Each use case validates the request, reads
through the store, applies the rules (``drafts``, ``certification``, ``publishing``) and writes back with
a compare-and-swap on the version; the store reports only what it knows (not found, a stale version,
nothing changed) and the use case turns that into the rule's answer. The publishing and preview jobs
are ``jobs.Jobs``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Protocol

from plugboard import history
from plugboard.errors import ConcurrentModification, FailedPrecondition, InvalidArgument, NotFound, Validator
from plugboard.history import Change, Record

from . import actions as a
from . import certification as review
from . import changes, drafts
from .jobs import Job, JobStore
from .listing import Page, check_paging
from .model import Connector, Draft, Lifecycle, PublishedVersion, Status
from .publishing import JobRequest

QUEUE_STATUSES = (Status.READY_FOR_CERTIFICATION, Status.IN_CERTIFICATION)
MAX_COMMENT = 4096
MAX_TEXT_QUERY = 256
MAX_FILTER_VALUES = 100  # ids or keys in one marketplace search
DEFAULT_REVIEWER = "reviewer"
DELETE_ATTEMPTS = 3


class CatalogStore(JobStore, Protocol):
    """The store (see catalog_service.storage.repository.CatalogStore). Every method is one transaction."""

    def create_draft(self, draft: Draft, request_id: str = "", record: Record | None = None) -> Draft:
        """Insert a draft and its change record; a replayed (project, request_id) returns the first one;
        AlreadyExists on its key."""
        ...

    def get_draft_by_key(self, key: str) -> Draft: ...

    def save_draft(self, draft: Draft, expected_version: int, published: PublishedVersion | None = None,
                   job: JobRequest | None = None, records: Sequence[Record] = ()) -> Draft:
        """Write ``draft`` (and the new version, job and change records) while its stored version is ``expected_version``;
        ConcurrentModification when not, NotFound when it is gone."""
        ...

    def delete_draft(self, draft_id: str, expected_version: int, record: Record | None = None) -> bool:
        """Delete the draft and its jobs while its stored version is ``expected_version``; False when not."""
        ...

    def query_drafts(self, *, limit: int, offset: int, sorts: Sequence[str], is_private: bool | None,
                     integration_types: Sequence[str], project: str, page_token: str) -> Page: ...
    def certification_queue(self, *, limit: int, offset: int, statuses: Sequence[Status], page_token: str) -> Page: ...
    def claim_job(self, owner: str, now: datetime, lease_seconds: float, batch: int = 5) -> Job | None: ...
    def release_job(self, job: Job) -> bool: ...
    def get_connector(self, connector_id: str = "", key: str = "") -> Connector: ...
    def get_version(self, connector_id: str, number: int) -> PublishedVersion: ...
    def list_versions(self, connector_id: str, *, limit: int, offset: int, page_token: str) -> Page: ...
    def list_connectors(self, *, limit: int, offset: int, sorts: Sequence[str], text: str,
                        integration_types: Sequence[str], certified_only: bool, project: str,
                        page_token: str, private: bool | None = None, creator_company: str = "",
                        ids: Sequence[str] = (), connector_keys: Sequence[str] = ()) -> Page: ...

    def begin_deletion(self, connector_id: str, now: datetime,
                       record: Callable[[Connector], Record] | None = None) -> tuple[Connector, bool]:
        """ACTIVE -> DELETING by compare-and-swap: the connector and whether it changed (``record``: the
        change record of the changed connector, written in the same transaction)."""
        ...

    def cancel_deletion(self, connector_id: str, record: Callable[[Connector], Record] | None = None) -> Connector:
        """DELETING -> ACTIVE; nothing changes (and nothing is recorded) on an ACTIVE connector."""
        ...

    def complete_deletion(self, connector_id: str, record: Callable[[Connector, int], Record] | None = None
                          ) -> tuple[Connector, int] | None:
        """Delete a DELETING connector with its versions and draft: it and its version count; None (nothing
        deleted) when it is not DELETING."""
        ...

    def revert_stale_deletions(self, older_than: datetime,
                               record: Callable[[Connector], Record] | None = None) -> int: ...


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


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
        return self.store.create_draft(new, request_id, changes.draft_created(new))

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
        steps = [changes.action_change(name, action, before, after)
                 for name, (action, before, after) in zip(names, applied.steps)]
        last = applied.steps[-1][2] if applied.steps else draft
        steps += history.changes(history.diff("setStatus", last.status.value, applied.draft.status.value))
        record = changes.draft_updated(draft, applied.draft, steps)
        saved = self.store.save_draft(applied.draft, version, applied.published, applied.job, [record])
        self.on_draft_changed(saved.id)
        if applied.job is not None:
            self.on_job_queued()
        return saved

    def delete_draft(self, *, draft_id: str, version: int, project: str) -> Draft:
        """Delete a draft that was never published and runs no job; ``version`` 0 means any version."""
        for _ in range(DELETE_ATTEMPTS):  # changed between the read and the delete: check the rules again
            draft = self.get_draft(draft_id=draft_id, project=project)
            if version:
                drafts.check_version(draft, version)
            drafts.check_deletable(draft)
            if self.store.delete_draft(draft.id, draft.version, changes.draft_deleted(draft)):
                self.on_draft_changed(draft.id)
                return draft
        raise ConcurrentModification(expected_version=draft.version,
                                     current_version=self.store.get_draft(draft_id).version)

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
        v.require(len(text) <= MAX_TEXT_QUERY, "text", f"must be at most {MAX_TEXT_QUERY} characters")
        v.require(len(creator_company) <= MAX_TEXT_QUERY, "creator_company",
                  f"must be at most {MAX_TEXT_QUERY} characters")
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
        """ACTIVE -> DELETING; refused while another delete of the connector is under way."""
        require(connector_id, "id")
        connector, changed = self.store.begin_deletion(connector_id, self.clock(), lambda c: changes.lifecycle(
            c, "beginConnectorDeletion", Lifecycle.ACTIVE.value, Lifecycle.DELETING.value))
        if not changed:
            raise FailedPrecondition.single(
                "CONNECTOR_DELETING", f"connectors/{connector_id}", "another delete of this connector is under way"
            )
        return connector

    def cancel_deletion(self, connector_id: str) -> Connector:
        require(connector_id, "id")
        return self.store.cancel_deletion(connector_id, lambda c: changes.lifecycle(
            c, "cancelConnectorDeletion", Lifecycle.DELETING.value, Lifecycle.ACTIVE.value))

    def complete_deletion(self, connector_id: str) -> tuple[Connector, int]:
        """Delete a DELETING connector; refused when its deletion was not begun."""
        require(connector_id, "id")
        deleted = self.store.complete_deletion(connector_id, changes.connector_deleted)
        if deleted is None:
            raise FailedPrecondition.single(
                "CONNECTOR_NOT_DELETING", f"connectors/{connector_id}",
                "the connector is not being deleted; begin the deletion first",
            )
        self.on_draft_changed(connector_id)
        return deleted

    def revert_stale_deletions(self, stale_after_seconds: float) -> int:
        reconciler = history.system(changes.DELETION_RECONCILER)
        return self.store.revert_stale_deletions(
            self.clock() - timedelta(seconds=stale_after_seconds),
            lambda c: changes.lifecycle(c, "revertConnectorDeletion", Lifecycle.DELETING.value,
                                        Lifecycle.ACTIVE.value, author=reconciler))

    def check_usable(self, *, connector_id: str, key: str, project: str,
                     version: int) -> tuple[Connector, PublishedVersion]:
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


class Certification:
    """The reviewer's use cases (CertificationService): the queue, start, comment, approve, reject.

    Each reads the draft, checks the caller's version, applies ``certification`` and writes back with a
    compare-and-swap on the version, then tells the watchers.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.store = catalog.store

    def queue(self, *, limit: int, offset: int, status: Status | None, page_token: str) -> tuple[Page, int]:
        limit = check_paging(limit, offset)
        if status is not None and status not in QUEUE_STATUSES:
            raise InvalidArgument.single("status", "must be READY_FOR_CERTIFICATION, IN_CERTIFICATION or unset")
        statuses = (status,) if status else QUEUE_STATUSES
        return self.store.certification_queue(limit=limit, offset=offset, statuses=statuses,
                                              page_token=page_token), limit

    def start(self, *, draft_id: str, version: int) -> Draft:
        draft = self._current(draft_id, version, "", comment_required=False)
        return self._save(draft, review.start_review(draft, now=self.catalog.clock()), version,
                          "startCertificationReview")

    def comment(self, *, draft_id: str, version: int, comment: str, reviewer: str) -> Draft:
        draft = self._current(draft_id, version, comment, comment_required=True)
        changed = review.add_review_comment(draft, reviewer=reviewer or DEFAULT_REVIEWER, comment=comment,
                                            now=self.catalog.clock())
        return self._save(draft, changed, version, "addReviewComment",
                          Change("addReviewComment", None, {"reviewer": reviewer or DEFAULT_REVIEWER,
                                                            "comment": comment}))

    def approve(self, *, draft_id: str, version: int, comment: str, reviewer: str) -> Draft:
        draft = self._current(draft_id, version, comment, comment_required=False)
        applied = review.approve(draft, reviewer=reviewer or DEFAULT_REVIEWER, comment=comment,
                                 now=self.catalog.clock())
        return self._save(draft, applied.draft, version, "approveCertification", published=applied.published)

    def reject(self, *, draft_id: str, version: int, comment: str, reviewer: str) -> Draft:
        draft = self._current(draft_id, version, comment, comment_required=True)
        changed = review.reject(draft, reviewer=reviewer or DEFAULT_REVIEWER, comment=comment,
                                now=self.catalog.clock())
        return self._save(draft, changed, version, "rejectCertification")

    def _current(self, draft_id: str, version: int, comment: str, *, comment_required: bool) -> Draft:
        """The draft at the caller's version, after checking every request field at once."""
        v = Validator()
        v.require(bool(draft_id), "id", "is required")
        v.require(version >= 1, "version", "must be the draft's current version (at least 1)")
        if comment_required:
            v.require(bool(comment.strip()), "comment", "is required")
        v.require(len(comment) <= MAX_COMMENT, "comment", f"must be at most {MAX_COMMENT} characters")
        v.raise_if_any()
        draft = self.store.get_draft(draft_id)
        drafts.check_version(draft, version)
        return draft

    def _save(self, before: Draft, draft: Draft, expected_version: int, name: str, *extra: Change,
              published: PublishedVersion | None = None) -> Draft:
        found = extra or tuple(changes.outcome_changes(name, before, draft))
        records = [changes.draft_updated(before, draft, found)]
        if published is not None:
            records.append(changes.version_created(draft, published))
        saved = self.store.save_draft(draft, expected_version, published, records=records)
        self.catalog.on_draft_changed(saved.id)
        return saved
