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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

from plugboard import history, signals
from plugboard.errors import (
    ConcurrentModification,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    PlugboardError,
    Validator,
)
from plugboard.history import Change, Record

from . import actions as a
from . import certification as review
from . import changes, drafts
from .credentials import CredentialVault
from .jobs import Job, JobStore
from .listing import Page, check_paging
from .model import Connector, Draft, Lifecycle, Previewable, PublishedVersion, Status, is_creator, offered, project_in
from .publishing import JobRequest

QUEUE_STATUSES = (Status.READY_FOR_CERTIFICATION, Status.IN_CERTIFICATION)
MAX_COMMENT = 4096
MAX_TEXT_QUERY = 256
MAX_FILTER_VALUES = 100  # ids or keys in one marketplace search
NOT_A_REVIEWER = "NOT_A_REVIEWER_PROJECT"
OWN_CONNECTOR = "REVIEWER_IS_CREATOR"
DELETE_ATTEMPTS = 3
VERSIONS_PAGE = 100
NOT_PREVIEWABLE = "CONNECTOR_NOT_PREVIEWABLE"
PREVIEW_SUPERSEDED = "CONNECTOR_PREVIEW_SUPERSEDED"


@dataclass(frozen=True)
class Usable:
    """CheckConnectorUsable's answer: the connector, the version to use and the newest the caller may use."""

    connector_id: str
    key: str
    version: PublishedVersion
    latest_number: int
    creator_project: str = ""


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

    def delete_draft(self, draft_id: str, expected_version: int, record: Record | None = None, *,
                     marked: bool = False) -> bool:
        """Delete the draft and its jobs while its stored version is ``expected_version`` (and, with
        ``marked``, it is marked as being deleted; without, it is not); False when not."""
        ...

    def begin_draft_deletion(self, draft_id: str, expected_version: int, now: datetime) -> bool:
        """Mark the unmarked draft at ``expected_version`` as being deleted; whether it changed."""
        ...

    def cancel_draft_deletion(self, draft_id: str) -> bool:
        """Clear the draft's mark; NotFound when the draft is gone."""
        ...

    def deletion_under_way(self, draft_id: str) -> bool:
        """The draft is marked as being deleted, or its published connector is DELETING."""
        ...

    def query_drafts(self, *, limit: int, offset: int, sorts: Sequence[str], is_private: bool | None,
                     integration_types: Sequence[str], project: str, page_token: str) -> Page: ...
    def certification_queue(self, *, limit: int, offset: int, statuses: Sequence[Status], page_token: str,
                            exclude_project: str = "") -> Page: ...
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
                 on_job_queued: Callable[[], None] = _ignore,
                 vault: CredentialVault | None = None) -> None:
        self.store = store
        self.clock = clock
        self.vault = vault
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
        given = [self._sealed(draft, x) for x in actions if x is not None]
        applied = drafts.apply_actions(draft, given, actor=project or "internal", now=self.clock())
        steps = [changes.action_change(name, action, before, after)
                 for name, (action, before, after) in zip(names, applied.steps)]
        last = applied.steps[-1][2] if applied.steps else draft
        steps += history.changes(history.diff("setStatus", last.status.value, applied.draft.status.value))
        record = changes.draft_updated(draft, applied.draft, steps)
        saved = self.store.save_draft(applied.draft, version, applied.published, applied.job, [record])
        self.on_draft_changed(saved.id)
        if applied.job is not None:
            signals.job_queued(applied.job.kind.value)
            self.on_job_queued()
        return saved

    def _sealed(self, draft: Draft, action: a.Action) -> a.Action:
        """``action``, with repository credentials sealed for ``draft`` (the plaintext goes no further)."""
        if not isinstance(action, a.SetRepositoryCredentials) or action.credentials is None:
            return action
        if self.vault is None:
            raise FailedPrecondition.single("REPOSITORY_CREDENTIALS_UNAVAILABLE", f"connectors/drafts/{draft.id}",
                                            "this catalog has no secret keys to encrypt repository credentials")
        return a.SetRepositoryCredentials(None, self.vault.seal(draft.id, action.credentials))

    def delete_draft(self, *, draft_id: str = "", key: str = "", version: int, project: str) -> Draft:
        """Delete a draft (by id, or by key) that was never published and runs no job; ``version`` 0 means
        any version. This is the catalog's own DeleteConnectorStaged: it cannot see instances, so a draft
        that was ever granted a preview (whose instances may exist) is refused with
        ``DELETE_REQUIRES_REFERENCE_CHECK``; the gateway deletes those with the deletion protocol
        (``begin_draft_deletion``, a count, ``complete_draft_deletion``)."""
        for _ in range(DELETE_ATTEMPTS):  # changed between the read and the delete: check the rules again
            draft = self._deletable(draft_id, key, version, project)
            if draft.preview is not None or draft.preview_number:
                raise FailedPrecondition.single(
                    "DELETE_REQUIRES_REFERENCE_CHECK", f"connectors/drafts/{draft.id}",
                    "the draft's preview may have instances, which the catalog cannot see: delete the draft "
                    "through the gateway, which checks references")
            if self.store.delete_draft(draft.id, draft.version, changes.draft_deleted(draft)):
                self.on_draft_changed(draft.id)
                return draft
            self._refuse_if_marked(draft.id)
        raise ConcurrentModification(expected_version=draft.version,
                                     current_version=self.store.get_draft(draft.id).version)

    def _deletable(self, draft_id: str, key: str, version: int, project: str) -> Draft:
        """The draft, checked against the caller's version and the rules of deleting a draft."""
        draft = self.get_draft(draft_id=draft_id, key=key, project=project)
        if version:
            drafts.check_version(draft, version)
        try:
            drafts.check_deletable(draft)
        except PlugboardError as refusal:
            signals.refused("draft_delete", refusal.reason)
            raise
        return draft

    def _refuse_if_marked(self, draft_id: str) -> None:
        if self.store.deletion_under_way(draft_id):
            raise FailedPrecondition.single(
                "CONNECTOR_DELETING", f"connectors/drafts/{draft_id}", "another delete of this draft is under way")

    # --- the deletion protocol for a never-published draft (its preview's instances) -------------

    def begin_draft_deletion(self, *, draft_id: str = "", key: str = "", version: int, project: str) -> Draft:
        """Step 1 for a draft: the rules of ``delete_draft``, then the draft is marked as being deleted
        (compare-and-swap on its version), so ``check_usable(preview=True)`` refuses its preview from now
        on. The mark is no change of the draft (no version, no change record): the delete writes the one."""
        for _ in range(DELETE_ATTEMPTS):
            draft = self._deletable(draft_id, key, version, project)
            if self.store.begin_draft_deletion(draft.id, draft.version, self.clock()):
                return draft
            self._refuse_if_marked(draft.id)
        raise ConcurrentModification(expected_version=draft.version,
                                     current_version=self.store.get_draft(draft.id).version)

    def cancel_draft_deletion(self, draft_id: str) -> None:
        """Revert: the mark goes; idempotent on an unmarked draft."""
        require(draft_id, "id")
        self.store.cancel_draft_deletion(draft_id)

    def complete_draft_deletion(self, draft_id: str) -> Draft:
        """Step 3 for a draft: delete the marked draft with its change record. A draft changed since it was
        marked is checked again (a publish request made meanwhile refuses the delete)."""
        require(draft_id, "id")
        for _ in range(DELETE_ATTEMPTS):
            draft = self.store.get_draft(draft_id)
            drafts.check_deletable(draft)
            if self.store.delete_draft(draft.id, draft.version, changes.draft_deleted(draft), marked=True):
                self.on_draft_changed(draft.id)
                return draft
            if not self.store.deletion_under_way(draft.id):
                raise FailedPrecondition.single(
                    "CONNECTOR_NOT_DELETING", f"connectors/drafts/{draft_id}",
                    "the draft is not being deleted; begin the deletion first")
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

    def check_usable(self, *, connector_id: str, key: str, project: str, version: int,
                     existing_use: bool = False, preview: bool = False) -> Usable:
        """The connector is ACTIVE, published and visible to ``project``: it and the asked version (0: the
        latest). ``existing_use``: the project already uses the connector (the instance service says so; the
        catalog reads no instance data), so versions once offered to it stay resolvable whatever listing or
        privacy did later (``model.offered``). ``preview``: the draft's current preview instead."""
        v = Validator()
        v.require(bool(connector_id) != bool(key), "id", "exactly one of id and key is required")
        v.require(project, "project", "is required")
        v.require(version >= 0, "version", "must be 0 (latest) or a published version number")
        v.raise_if_any()
        if preview:
            return self._preview(connector_id=connector_id, key=key, project=project, number=version)
        connector = self.store.get_connector(connector_id, key)
        if connector.visible_to(project):
            allowed, latest = None, connector.latest
        elif existing_use:
            allowed = lambda found: offered(found, project, connector.creator_project)  # noqa: E731
            latest = next((found for found in self._versions(connector.id) if allowed(found)), None)
            if latest is None:
                raise NotFound("Connector", connector_id or key)
        else:
            raise NotFound("Connector", connector_id or key)
        if connector.lifecycle != Lifecycle.ACTIVE:
            raise FailedPrecondition.single(
                "CONNECTOR_DELETING", f"connectors/{connector.id}", "the connector is being deleted"
            )
        if not version or version == latest.number:
            return Usable(connector.id, connector.key, latest, latest.number, connector.creator_project)
        try:
            found = self.store.get_version(connector.id, version)
            if allowed is not None and not allowed(found):
                raise NotFound("ConnectorVersion", f"{connector.id}/versions/{version}")
        except NotFound:
            raise FailedPrecondition.single(
                "CONNECTOR_VERSION_NOT_FOUND", f"connectors/{connector.id}/versions/{version}",
                f"the connector has no published version {version}",
            ) from None
        return Usable(connector.id, connector.key, found, latest.number, connector.creator_project)

    def _versions(self, connector_id: str) -> Iterator[PublishedVersion]:
        """The connector's published versions, newest first."""
        token, offset = "", 0
        while True:
            page = self.store.list_versions(connector_id, limit=VERSIONS_PAGE, offset=offset, page_token=token)
            yield from page.items
            if not page.next_page_token:
                return
            token = page.next_page_token

    def _preview(self, *, connector_id: str, key: str, project: str, number: int) -> Usable:
        """Seed 002, Preview Connector: "You can only deploy previewable ConnectorStaged to Projects listed in
        privateProjects" (and the creator); anyone else gets NOT_FOUND, as for a connector it cannot see."""
        try:
            draft = self.store.get_draft_by_key(key) if key else self.store.get_draft(connector_id)
        except NotFound:
            raise NotFound("ConnectorPreview", connector_id or key) from None
        if not (is_creator(project, draft.creator_project) or project_in(project, draft.private_projects)):
            raise NotFound("ConnectorPreview", connector_id or key)
        subject = f"connectors/drafts/{draft.id}/preview"
        if self.store.deletion_under_way(draft.id):  # the deletion protocol's intent, read after the instance's
            raise FailedPrecondition.single(
                "CONNECTOR_DELETING", subject, "the draft (or its connector) is being deleted")
        current = draft.preview
        # isPreviewable true: "ConnectorStaged can be used in a Deployment"; a pending request keeps the
        # granted preview usable until the new one supersedes it.
        if current is None or draft.is_previewable not in (Previewable.TRUE, Previewable.PENDING):
            raise FailedPrecondition.single(
                NOT_PREVIEWABLE, subject,
                f"the draft has no usable preview (isPreviewable is {draft.is_previewable.value}); "
                "request one with the updatePreviewable action")
        if number and number != current.number:
            raise FailedPrecondition.single(
                PREVIEW_SUPERSEDED, f"{subject}s/{number}",
                f"preview {number} was superseded by preview {current.number}")
        return Usable(draft.id, draft.key, current, current.number, draft.creator_project)


class Certification:
    """The reviewer's use cases (CertificationService): the queue, start, comment, review meeting, approve,
    reject.

    Separation of duties: only a project of ``reviewer_projects`` reviews (any other caller is
    PERMISSION_DENIED ``NOT_A_REVIEWER_PROJECT``; an empty set means nobody can certify), and it never
    reviews a connector its own project created (PERMISSION_DENIED ``REVIEWER_IS_CREATOR``); its queue
    leaves those out. The reviewer is the caller's project: the gateway sets it from the API key, an
    internal caller names the project it acts for. Each call reads the draft, checks the caller's version,
    applies ``certification`` and writes back with a compare-and-swap on the version, then tells the watchers.
    """

    def __init__(self, catalog: Catalog, reviewer_projects: Sequence[str] = ()) -> None:
        self.catalog = catalog
        self.store = catalog.store
        self.reviewer_projects = frozenset(reviewer_projects)

    def queue(self, *, limit: int, offset: int, status: Status | None, page_token: str,
              reviewer: str) -> tuple[Page, int]:
        self._require_reviewer(reviewer)
        limit = check_paging(limit, offset)
        if status is not None and status not in QUEUE_STATUSES:
            raise InvalidArgument.single("status", "must be READY_FOR_CERTIFICATION, IN_CERTIFICATION or unset")
        statuses = (status,) if status else QUEUE_STATUSES
        return self.store.certification_queue(limit=limit, offset=offset, statuses=statuses,
                                              page_token=page_token, exclude_project=reviewer), limit

    def start(self, *, draft_id: str, version: int, reviewer: str) -> Draft:
        draft = self._current(draft_id, version, "", reviewer, comment_required=False)
        return self._save(draft, review.start_review(draft, now=self.catalog.clock()), version,
                          "startCertificationReview")

    def comment(self, *, draft_id: str, version: int, comment: str, reviewer: str) -> Draft:
        draft = self._current(draft_id, version, comment, reviewer, comment_required=True)
        changed = review.add_review_comment(draft, reviewer=reviewer, comment=comment, now=self.catalog.clock())
        return self._save(draft, changed, version, "addReviewComment",
                          Change("addReviewComment", None, {"reviewer": reviewer, "comment": comment}))

    def schedule_meeting(self, *, draft_id: str, version: int, comment: str, reviewer: str,
                         meeting_time: datetime | None) -> Draft:
        if meeting_time is None:
            self._current(draft_id, version, comment, reviewer, comment_required=True,
                          extra=("meeting_time", "is required"))
            raise AssertionError("not reached")
        draft = self._current(draft_id, version, comment, reviewer, comment_required=True)
        changed = review.schedule_meeting(draft, reviewer=reviewer, comment=comment,
                                          meeting_time=meeting_time, now=self.catalog.clock())
        return self._save(draft, changed, version, "scheduleReviewMeeting",
                          Change("scheduleReviewMeeting", None, {"reviewer": reviewer, "comment": comment,
                                                                 "meetingTime": meeting_time.isoformat()}))

    def approve(self, *, draft_id: str, version: int, comment: str, reviewer: str) -> Draft:
        draft = self._current(draft_id, version, comment, reviewer, comment_required=False)
        applied = review.approve(draft, reviewer=reviewer, comment=comment, now=self.catalog.clock())
        return self._save(draft, applied.draft, version, "approveCertification", published=applied.published)

    def reject(self, *, draft_id: str, version: int, comment: str, reviewer: str) -> Draft:
        draft = self._current(draft_id, version, comment, reviewer, comment_required=True)
        changed = review.reject(draft, reviewer=reviewer, comment=comment, now=self.catalog.clock())
        return self._save(draft, changed, version, "rejectCertification")

    def _require_reviewer(self, reviewer: str) -> None:
        if not reviewer:
            raise InvalidArgument.single("reviewer", "is required: the project reviewing (the gateway sets it "
                                                     "from the API key)")
        if reviewer not in self.reviewer_projects:
            raise PermissionDenied(
                f"project {reviewer[:128]!r} is not a reviewer project (PLUGBOARD_CATALOG_REVIEWER_PROJECTS)",
                reason=NOT_A_REVIEWER, metadata={"project": reviewer[:128]})

    def _current(self, draft_id: str, version: int, comment: str, reviewer: str, *, comment_required: bool,
                 extra: tuple[str, str] | None = None) -> Draft:
        """The draft at the caller's version, after checking every request field at once (``extra``: one
        more violation the caller found) and that the caller may review it."""
        v = Validator()
        if extra is not None:
            v.add(*extra)
        v.require(bool(draft_id), "id", "is required")
        v.require(version >= 1, "version", "must be the draft's current version (at least 1)")
        if comment_required:
            v.require(bool(comment.strip()), "comment", "is required")
        v.require(len(comment) <= MAX_COMMENT, "comment", f"must be at most {MAX_COMMENT} characters")
        v.raise_if_any()
        self._require_reviewer(reviewer)
        draft = self.store.get_draft(draft_id)
        if draft.creator_project == reviewer:
            raise PermissionDenied(
                f"project {reviewer!r} created this connector and cannot review it: another reviewer project must",
                reason=OWN_CONNECTOR, metadata={"project": reviewer, "connector": draft.id})
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
