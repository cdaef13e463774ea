"""The publishing and preview job use cases: what a claimed job does to its draft.

The job worker (``catalog_service.publishing.worker``) claims a job, calls ``Jobs.begin``, reads the
repository when told to, and hands what it read to ``Jobs.finish``. Everything else is decided here:

- a job whose draft is gone, or no longer Processing (publish) / pending (preview), is obsolete;
- a job interrupted more than ``MAX_ATTEMPTS`` times (its workers died) fails with a report saying so;
- a draft whose own fields fail ``draft_checks`` fails without its repository being read;
- otherwise ``complete_publish`` / ``complete_preview`` decide the outcome from the repository's findings,
  written with the job's completion in one transaction. A draft edited meanwhile (previews allow edits)
  gets the outcome applied to its new version, up to ``MAX_WRITE_RETRIES`` times.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from plugboard import signals
from plugboard.errors import ConcurrentModification, NotFound
from plugboard.history import Record

from . import changes
from .model import Draft, EntryType, Previewable, PublishedVersion, ReportEntry, Specification, Status
from .publishing import FAILED, Completed, JobKind, complete_preview, complete_publish, draft_checks, has_errors

_log = logging.getLogger("plugboard.catalog.jobs")

MAX_ATTEMPTS = 3  # a job whose worker died this many times is failed rather than retried again
MAX_WRITE_RETRIES = 5
OBSOLETE = "obsolete"


@dataclass(frozen=True)
class Job:
    """A claimed job, as its worker sees it."""

    id: str
    draft_id: str
    kind: JobKind
    certification: bool
    attempts: int
    owner: str


@dataclass(frozen=True)
class Run:
    """A job that needs its draft's repository read: the draft and the report entries so far."""

    draft: Draft
    entries: tuple[ReportEntry, ...]


class JobStore(Protocol):
    """What the job use cases need of the store (see ``service.CatalogStore``)."""

    def get_draft(self, draft_id: str) -> Draft:
        """The draft; NotFound when it does not exist."""
        ...

    def finish_job(self, job: Job, outcome: str, now: datetime, draft: Draft | None = None,
                   expected_version: int = 0, published: PublishedVersion | None = None,
                   records: Sequence[Record] = ()) -> bool:
        """Mark the job done and write ``draft`` (compare-and-swap on ``expected_version``: ConcurrentModification
        when stale) and its change ``records`` in one transaction, while ``job.owner`` holds the lease; False
        (nothing written) when not."""
        ...

    def latest_change(self, resource_id: str, change_names: Sequence[str]) -> Record | None:
        """The newest change record of ``resource_id`` holding one of ``change_names``."""
        ...


def still_wanted(job: Job, draft: Draft) -> bool:
    """The draft still waits for this job's outcome."""
    if job.kind == JobKind.PUBLISH:
        return draft.status == Status.PROCESSING
    return draft.is_previewable == Previewable.PENDING


def complete(job: Job, draft: Draft, entries: tuple[ReportEntry, ...], specification: Specification | None,
             now: datetime) -> Completed | None:
    """The outcome of ``job`` on ``draft``; None when the draft no longer waits for it."""
    if job.kind == JobKind.PUBLISH:
        return complete_publish(draft, certification=job.certification, specification=specification,
                                entries=entries, now=now)
    return complete_preview(draft, specification=specification, entries=entries, now=now)


class Jobs:
    """Publishing and preview jobs over a store. ``on_draft_changed(draft_id)`` is called after each write."""

    def __init__(self, store: JobStore, clock: Callable[[], datetime],
                 on_draft_changed: Callable[[str], None]) -> None:
        self.store = store
        self.clock = clock
        self.on_draft_changed = on_draft_changed

    def _obsolete(self, job: Job, now: datetime) -> None:
        if self.store.finish_job(job, OBSOLETE, now):
            signals.job_finished(job.kind.value, OBSOLETE)

    def begin(self, job: Job) -> Run | None:
        """The run of a claimed job when its repository must be read; None when the job is finished already
        (obsolete, interrupted too often, or refused by the draft's own checks)."""
        now = self.clock()
        try:
            draft = self.store.get_draft(job.draft_id)
        except NotFound:
            self._obsolete(job, now)
            return None
        if not still_wanted(job, draft):
            self._obsolete(job, now)
            return None
        if job.attempts > MAX_ATTEMPTS:
            interrupted = ReportEntry(EntryType.ERROR, FAILED,
                                      f"the job was interrupted {job.attempts - 1} times; request it again", now)
            self.finish(job, draft, (interrupted,), None)
            return None
        entries = draft_checks(draft, now)
        if has_errors(entries):
            self.finish(job, draft, entries, None)
            return None
        return Run(draft, entries)

    def finish(self, job: Job, draft: Draft, entries: tuple[ReportEntry, ...],
               specification: Specification | None) -> None:
        """Write the job's outcome with its completion; apply it to the current draft when it was edited."""
        for _ in range(MAX_WRITE_RETRIES):
            now = self.clock()
            completed = complete(job, draft, entries, specification, now)
            if completed is None:
                self._obsolete(job, now)
                return
            records = self._records(job, draft, completed.draft, completed.published, now)
            try:
                done = self.store.finish_job(job, completed.outcome, now, completed.draft, draft.version,
                                             completed.published, records)
            except ConcurrentModification:  # edited meanwhile (previews allow edits): apply to the new draft
                try:
                    draft = self.store.get_draft(job.draft_id)
                except NotFound:
                    self._obsolete(job, now)
                    return
                continue
            if done:
                signals.job_finished(job.kind.value, completed.outcome)
                _log.info("job %s (%s) of draft %s: %s", job.id, job.kind.value, job.draft_id, completed.outcome)
                self.on_draft_changed(job.draft_id)
            else:
                _log.warning("job %s lost its lease before finishing; its result was discarded", job.id)
            return
        _log.warning("job %s: the draft kept changing; it is retried when its lease expires", job.id)

    def _records(self, job: Job, before: Draft, after: Draft, published: PublishedVersion | None,
                 now: datetime) -> list[Record]:
        """The job's change records: the job is the author, on behalf of whoever requested it."""
        preview = job.kind != JobKind.PUBLISH
        request = "updatePreviewable" if preview else "publish"
        author = changes.job_author(self.store.latest_change(job.draft_id, [request]),
                                    changes.JOB_REQUESTS[request])
        records = [changes.draft_updated(before, after, changes.outcome_changes(
            "previewResult" if preview else "publishResult", before, after, preview=preview), author=author, at=now)]
        if published is not None:
            records.append(changes.version_created(after, published, author=author))
        return records
