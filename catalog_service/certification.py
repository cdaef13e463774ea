"""The reviewer's use cases (CertificationService): the queue, start, comment, approve, reject.

Each reads the draft, checks the caller's version, applies ``domain.certification`` and writes back with a
compare-and-swap on the version, then tells the watchers.
"""

from __future__ import annotations

from catalog_service.catalog import Catalog, check_paging
from catalog_service.domain import certification as rules
from catalog_service.domain import drafts
from catalog_service.domain.model import Draft, Status
from catalog_service.storage.repository import Page
from plugboard.errors import InvalidArgument, Validator

QUEUE_STATUSES = (Status.READY_FOR_CERTIFICATION, Status.IN_CERTIFICATION)
MAX_COMMENT = 4096
DEFAULT_REVIEWER = "reviewer"


class Certification:
    """Certification of drafts submitted with publish{certification: true}."""

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
        return self._save(rules.start_review(draft, now=self.catalog.clock()), version)

    def comment(self, *, draft_id: str, version: int, comment: str, reviewer: str) -> Draft:
        draft = self._current(draft_id, version, comment, comment_required=True)
        changed = rules.add_review_comment(draft, reviewer=reviewer or DEFAULT_REVIEWER, comment=comment,
                                           now=self.catalog.clock())
        return self._save(changed, version)

    def approve(self, *, draft_id: str, version: int, comment: str, reviewer: str) -> Draft:
        draft = self._current(draft_id, version, comment, comment_required=False)
        applied = rules.approve(draft, reviewer=reviewer or DEFAULT_REVIEWER, comment=comment,
                                now=self.catalog.clock())
        return self._save(applied.draft, version, applied.published)

    def reject(self, *, draft_id: str, version: int, comment: str, reviewer: str) -> Draft:
        draft = self._current(draft_id, version, comment, comment_required=True)
        changed = rules.reject(draft, reviewer=reviewer or DEFAULT_REVIEWER, comment=comment,
                               now=self.catalog.clock())
        return self._save(changed, version)

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

    def _save(self, draft: Draft, expected_version: int, published=None) -> Draft:  # type: ignore[no-untyped-def]
        saved = self.store.save_draft(draft, expected_version, published)
        self.catalog.on_draft_changed(saved.id)
        return saved

