"""The job worker: runs publishing and preview jobs stored in the database, in the catalog process.

Each worker loop claims the oldest claimable job (``storage.jobs``: compare-and-swap with a lease, so two
catalog processes on one database never run a job twice) and runs it: ``domain.jobs`` decides whether the
repository must be read and what the outcome does to the draft; the worker reads the repository with
``read_connector_source`` in a thread. This module holds the I/O and the loop, no rule.

It wakes when a request in this process queued a job (``wake()``) and otherwise looks for jobs every
``poll_seconds``: jobs queued by another process, jobs left pending by a restart, and jobs whose worker
died (their lease expired). On shutdown a job being run is released (pending again) so the next process
takes it at once; a job whose process died is re-claimed when its lease expires.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Callable

from catalog_service.domain.credentials import CredentialsUnreadable, CredentialVault, GitCredentials
from catalog_service.domain.jobs import Job, Jobs
from catalog_service.domain.model import Draft, EntryType, ReportEntry
from catalog_service.domain.publishing import FAILED
from catalog_service.domain.service import CatalogStore
from catalog_service.publishing.source import SourceResult, read_connector_source
from plugboard import signals
from plugboard.errors import PlugboardError
from plugboard.observability import tracing
from plugboard.logs import exception_summary
from plugboard.settings import Settings

_log = logging.getLogger("plugboard.catalog.jobs")

ReadSource = Callable[..., SourceResult]
CREDENTIALS_UNREADABLE = "Git repository credentials not readable"


def worker_id() -> str:
    """An owner id unique to this worker (host, process, and a random part for several per process)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class JobWorker:
    """Claims and runs jobs until stopped; ``concurrency`` jobs at a time."""

    def __init__(self, store: CatalogStore, settings: Settings, *, clock: Callable[[], datetime],
                 on_draft_changed: Callable[[str], None], read_source: ReadSource = read_connector_source,
                 concurrency: int = 1, poll_seconds: float = 1.0, owner: str = "",
                 vault: CredentialVault | None = None) -> None:
        self.store = store
        self.vault = vault
        self.settings = settings
        self.clock = clock
        self.jobs = Jobs(store, clock, on_draft_changed)
        self.read_source = read_source
        self.concurrency = max(0, concurrency)
        self.poll_seconds = poll_seconds
        self.owner = owner or worker_id()
        self._wake = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=max(1, self.concurrency), thread_name_prefix="publish")
        self._tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._loop(), name=f"jobs-{n}") for n in range(self.concurrency)]

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _loop(self) -> None:
        while True:
            try:
                job = self.store.claim_job(self.owner, self.clock(), self.settings.job_lease_seconds)
            except PlugboardError as exc:
                _log.warning("claiming a job failed: %s", exc.reason)
                job = None
            if job is None:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
                except asyncio.TimeoutError:
                    pass
                self._wake.clear()
                continue
            try:
                await self.run(job)
            except asyncio.CancelledError:
                self._release(job)
                raise
            except Exception as exc:  # a bug or the database: leave the job to be re-claimed after its lease
                _log.error("job %s of draft %s failed: %s", job.id, job.draft_id, exception_summary(exc))

    def _release(self, job: Job) -> None:
        try:
            self.store.release_job(job)
            _log.info("job %s released at shutdown", job.id)
        except Exception as exc:
            _log.warning("releasing job %s failed (it is re-claimed when its lease expires): %s", job.id,
                         exception_summary(exc))

    async def run(self, job: Job) -> None:
        """Run one claimed job to its outcome (``domain.jobs`` decides it; this reads the repository)."""
        kind = job.kind.value
        signals.job_started(kind)
        started = time.perf_counter()
        try:
            with tracing.job_span(job.draft_id, kind):
                run = self.jobs.begin(job)
                if run is not None:
                    source = await self._read(run.draft, self.clock())
                    self.jobs.finish(job, run.draft, run.entries + source.entries, source.specification)
        finally:
            signals.job_stopped(kind, time.perf_counter() - started)

    def _credentials(self, draft: Draft) -> GitCredentials | None:
        """The draft's repository credentials in plaintext, for this job's git only; CredentialsUnreadable."""
        if draft.repository_credentials is None:
            return None
        if self.vault is None:
            raise CredentialsUnreadable("no secret keys are configured")
        return self.vault.open(draft.id, draft.repository_credentials)

    async def _read(self, draft: Draft, now: datetime) -> SourceResult:
        loop = asyncio.get_running_loop()
        try:
            credentials = self._credentials(draft)
        except CredentialsUnreadable as exc:
            _log.warning("the repository credentials of draft %s cannot be decrypted: %s", draft.id, exc)
            return SourceResult(None, (ReportEntry(
                EntryType.ERROR, CREDENTIALS_UNREADABLE,
                "the repository credentials cannot be decrypted with the configured secret keys; set them again "
                "(setRepositoryCredentials)", now),))
        try:
            return await loop.run_in_executor(self._executor, lambda: self.read_source(
                draft.repository, settings=self.settings, now=now,
                timeout_seconds=self.settings.publish_timeout_seconds, credentials=credentials))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in reading: the report says so, the draft does not hang in Processing
            _log.error("reading the repository of draft %s failed: %s", draft.id, exception_summary(exc))
            return SourceResult(None, (ReportEntry(
                EntryType.ERROR, FAILED, "the repository could not be read (internal error)", now),))
