"""Jobs survive restarts and never run twice: a job pending when its server stopped runs on the next one;
a job claimed by a process that died is re-claimed when its lease expires; claims race safely."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from catalog_service.domain.publishing import JobKind, JobRequest
from catalog_service.server import create_server
from catalog_service.storage import jobs, open_store
from plugboard.catalog.v1 import catalog_service_pb2 as pb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.storage.database import open_database
from tests.catalog.conftest import POLL_SECONDS
from tests.catalog.gitrepos import settled
from tests.catalog.test_drafts_rpc import Action, create, update
from tests.harness import start_server


def job_rows(database_url: str, draft_id: str) -> list[tuple]:
    db = open_database(database_url)
    try:
        cursor = db.execute_sql(f"SELECT state, attempts, outcome, id FROM connector_staged_job "
                                f"WHERE draft_id = {db.param}", (draft_id,))
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        db.close()


def claim_as_dead_process(database_url: str, lease_seconds: float) -> str:
    """Claim the oldest pending job as a process that then dies (never finishes or releases it)."""
    store = open_store(database_url)  # no server runs meanwhile; the next one binds the models again
    try:
        job = store.claim_job("dead-process", datetime.now(timezone.utc), lease_seconds)
        assert job is not None
        return job.id
    finally:
        store.db.close()


def start_catalog(settings, workers: int):
    settings = settings.with_overrides(catalog_job_workers=workers)
    server = start_server(lambda: create_server(settings, port=0, poll_seconds=POLL_SECONDS))
    return server, cgrpc.CatalogServiceStub(server.channel)


def test_a_restart_in_the_middle_of_publishing_completes_each_job_exactly_once(
        catalog_settings, database_url, unique, repo_url):
    # Server A queues two publishes but runs no jobs, then stops: both are pending in the database.
    first, catalog = start_catalog(catalog_settings, workers=0)
    repo = spb.Repository(url=repo_url, tag="v1.0.0")
    pending = create(catalog, f"pending-{unique}", repository=repo)
    claimed = create(catalog, f"claimed-{unique}", repository=repo)  # one of the two is claimed below
    for draft in (pending, claimed):
        assert update(catalog, draft, Action(publish=Action.Publish())).status == spb.CONNECTOR_STATUS_PROCESSING
    first.stop()
    # A process that died while running the second job: it holds a lease that expires in a moment.
    dead_job = claim_as_dead_process(database_url, lease_seconds=1.0)
    assert sorted(r[0] for r in job_rows(database_url, pending.id) + job_rows(database_url, claimed.id)) == [
        "pending", "running"]

    # Server B on the same database runs the pending job at once and re-claims the other after the lease.
    second, catalog = start_catalog(catalog_settings, workers=1)
    try:
        for draft in (pending, claimed):
            done = settled(catalog, draft.id)
            assert done.status == spb.CONNECTOR_STATUS_PUBLISHED and done.published_version == 1
            titles = [e.title for e in done.publishing_report.entries]
            assert titles.count("Connector published") == 1
            versions = catalog.ListConnectorVersions(pb.ListConnectorVersionsRequest(connector_id=draft.id))
            assert [v.number for v in versions.results] == [1]
        rows = job_rows(database_url, pending.id) + job_rows(database_url, claimed.id)
        assert [(state, outcome) for state, _, outcome, _ in rows] == [("done", "published")] * 2
        attempts = {job_id: attempts for _, attempts, _, job_id in rows}
        assert attempts.pop(dead_job) == 2 and list(attempts.values()) == [1]  # re-claimed once; the other ran once
    finally:
        second.stop()


def test_concurrent_claims_take_each_job_once(database_url):
    """Four workers on their own connections race for twelve jobs: each job is claimed exactly once."""
    store = open_store(database_url)
    db = store.db
    now = datetime.now(timezone.utc)
    with db.atomic():
        job_ids = {jobs.insert_job(f"draft-{n}", JobRequest(JobKind.PUBLISH), now + timedelta(microseconds=n))
                   for n in range(12)}
    claims: list[tuple[str, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def work(owner: str) -> None:
        start.wait()
        while True:
            job = store.claim_job(owner, datetime.now(timezone.utc), lease_seconds=60, batch=3)
            if job is None:
                break
            with lock:
                claims.append((job.id, owner))
            assert store.finish_job(job, "done", datetime.now(timezone.utc))
        db.close()

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    claimed_ids = [job_id for job_id, _ in claims]
    assert sorted(claimed_ids) == sorted(job_ids)  # every job once, none twice
    # a finished job is never claimed again, and a stranger cannot finish or release a job
    assert store.claim_job("late", datetime.now(timezone.utc) + timedelta(hours=1), 60) is None
    db.close()
