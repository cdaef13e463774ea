"""Publishing and preview jobs in the database: inserted with the request, claimed, finished.

A job is ``pending`` until a worker claims it, ``running`` under a lease held by one worker (an owner id
and an expiry), and ``done`` once its outcome is written. Every transition is a compare-and-swap in the
UPDATE's WHERE clause, so several catalog processes on one database never run a job twice:

- claim: ``pending``, or ``running`` with an expired lease (its worker died), becomes ``running`` for the
  claimer; only one UPDATE can match;
- finish: only while the claimer still holds the lease, in the same transaction as the draft's write; a
  worker that lost its lease (it was too slow and another took over) writes nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from catalog_service.domain.jobs import Job
from catalog_service.domain.publishing import JobKind, JobRequest

from . import codec
from .models import JobRow

PENDING = "pending"
RUNNING = "running"
DONE = "done"


def insert_job(draft_id: str, job: JobRequest, now: datetime) -> str:
    """Queue a job (inside the caller's transaction); returns its id."""
    job_id = str(uuid.uuid4())
    JobRow.insert(
        id=job_id, draft_id=draft_id, kind=job.kind.value, certification=job.certification, state=PENDING,
        attempts=0, lease_owner="", created_at=codec.naive_utc(now),
    ).execute()
    return job_id


def claimable_ids(now: datetime, limit: int) -> list[str]:
    """Ids of jobs that may be claimed now, oldest first: pending, or running with an expired lease."""
    at = codec.naive_utc(now)
    query = (
        JobRow.select(JobRow.id)
        .where((JobRow.state == PENDING) | ((JobRow.state == RUNNING) & (JobRow.lease_expires_at < at)))
        .order_by(JobRow.created_at, JobRow.id)
        .limit(limit)
    )
    return [row.id for row in query]


def try_claim(job_id: str, owner: str, now: datetime, lease_seconds: float) -> Job | None:
    """Claim one job by compare-and-swap; None when another worker got it first."""
    at = codec.naive_utc(now)
    claimed = (
        JobRow.update(state=RUNNING, lease_owner=owner, lease_expires_at=at + timedelta(seconds=lease_seconds),
                      attempts=JobRow.attempts + 1)
        .where((JobRow.id == job_id)
               & ((JobRow.state == PENDING) | ((JobRow.state == RUNNING) & (JobRow.lease_expires_at < at))))
        .execute()
    )
    if claimed != 1:
        return None
    row = JobRow.get_by_id(job_id)
    return Job(row.id, row.draft_id, JobKind(row.kind), row.certification, row.attempts, owner)


def finish(job: Job, outcome: str, now: datetime) -> bool:
    """Mark the job done if ``job.owner`` still holds it (inside the caller's transaction)."""
    return (
        JobRow.update(state=DONE, outcome=outcome, finished_at=codec.naive_utc(now), lease_expires_at=None)
        .where((JobRow.id == job.id) & (JobRow.state == RUNNING) & (JobRow.lease_owner == job.owner))
        .execute()
        == 1
    )


def release(job: Job) -> bool:
    """Give a running job back (pending) if ``job.owner`` still holds it: its worker is shutting down."""
    return (
        JobRow.update(state=PENDING, lease_owner="", lease_expires_at=None, attempts=JobRow.attempts - 1)
        .where((JobRow.id == job.id) & (JobRow.state == RUNNING) & (JobRow.lease_owner == job.owner))
        .execute()
        == 1
    )


def delete_jobs(draft_id: str) -> None:
    JobRow.delete().where(JobRow.draft_id == draft_id).execute()

