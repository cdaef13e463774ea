"""The reviewer's side of certification (seed 000), as pure transitions of a draft.

ReadyForCertification --start--> InCertification --approve--> Published (a certified, public, listed version)
                                                 --reject---> Failed (with the reviewer's comment)
Comments are allowed while the draft waits or is reviewed. A call in any other status is refused with
FAILED_PRECONDITION naming the status the call needs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from .drafts import NOT_IN_CERTIFICATION, NOT_READY_FOR_CERTIFICATION, Applied, refused
from .model import Comment, Draft, EntryType, ReportEntry, Status
from .publishing import PUBLISHED, new_version, published_draft

APPROVED = "Certification approved"
REJECTED = "Certification rejected"


def _subject(draft: Draft) -> str:
    return f"connectors/drafts/{draft.id}"


def _comment(draft: Draft, reviewer: str, text: str, now: datetime) -> Draft:
    if not text:
        return draft
    return replace(draft, comments=draft.comments + (Comment(user_id=reviewer, datetime=now, comment=text),))


def start_review(draft: Draft, *, now: datetime) -> Draft:
    """ReadyForCertification -> InCertification."""
    if draft.status != Status.READY_FOR_CERTIFICATION:
        raise refused(NOT_READY_FOR_CERTIFICATION, _subject(draft),
                       f"the draft is {draft.status.value}, not ReadyForCertification")
    return replace(draft, status=Status.IN_CERTIFICATION, version=draft.version + 1, updated_at=now)


def add_review_comment(draft: Draft, *, reviewer: str, comment: str, now: datetime) -> Draft:
    """A reviewer's comment on a draft waiting for or under review."""
    if draft.status not in (Status.READY_FOR_CERTIFICATION, Status.IN_CERTIFICATION):
        raise refused(NOT_IN_CERTIFICATION, _subject(draft), f"the draft is {draft.status.value}, not in certification")
    return replace(_comment(draft, reviewer, comment, now), version=draft.version + 1, updated_at=now)


def schedule_meeting(draft: Draft, *, reviewer: str, comment: str, meeting_time: datetime, now: datetime) -> Draft:
    """Seed 000, step 4: "the [Public Marketplace] team will schedule a review meeting with the developers";
    recorded as a reviewer comment with the meeting's time, among the draft's certification comments."""
    if draft.status not in (Status.READY_FOR_CERTIFICATION, Status.IN_CERTIFICATION):
        raise refused(NOT_IN_CERTIFICATION, _subject(draft), f"the draft is {draft.status.value}, not in certification")
    entry = Comment(user_id=reviewer, datetime=now, comment=comment, meeting_time=meeting_time)
    return replace(draft, comments=draft.comments + (entry,), version=draft.version + 1, updated_at=now)


def approve(draft: Draft, *, reviewer: str, comment: str, now: datetime) -> Applied:
    """InCertification -> Published: a certified version, public and listed."""
    _require_in_review(draft)
    draft = _comment(draft, reviewer, comment, now)
    version = new_version(draft, certified=True, now=now)
    report = (draft.publishing_report or ()) + (
        ReportEntry(EntryType.INFORMATION, APPROVED, f"approved by {reviewer}", now),
        ReportEntry(EntryType.INFORMATION, PUBLISHED, f"published as version {version.number}", now),
    )
    return Applied(published_draft(draft, version, private=False, report=report, now=now), version)


def reject(draft: Draft, *, reviewer: str, comment: str, now: datetime) -> Draft:
    """InCertification -> Failed, with the reviewer's comment saying why."""
    _require_in_review(draft)
    draft = _comment(draft, reviewer, comment, now)
    report = (draft.publishing_report or ()) + (ReportEntry(EntryType.ERROR, REJECTED, comment, now),)
    return replace(draft, status=Status.FAILED, publishing_report=report, version=draft.version + 1, updated_at=now)


def _require_in_review(draft: Draft) -> None:
    if draft.status != Status.IN_CERTIFICATION:
        raise refused(NOT_IN_CERTIFICATION, _subject(draft), f"the draft is {draft.status.value}, not InCertification")
