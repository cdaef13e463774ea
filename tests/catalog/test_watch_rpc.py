"""WatchConnectorStaged over a real channel: the snapshot first, one event per change (from requests, from
the job worker, and from another process writing the database), the end when the draft is deleted."""

from __future__ import annotations

import queue
import threading

import grpc

from plugboard.catalog.v1 import catalog_service_pb2 as pb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.storage.database import open_database
from tests.catalog.test_drafts_rpc import Action, create, update
from tests.rich import expect_error

SNAPSHOT = spb.CONNECTOR_STAGED_EVENT_TYPE_SNAPSHOT
UPDATED = spb.CONNECTOR_STAGED_EVENT_TYPE_UPDATED
DELETED = spb.CONNECTOR_STAGED_EVENT_TYPE_DELETED


class Watch:
    """A watch stream read by a background thread into a queue."""

    def __init__(self, catalog, draft_id: str, project: str = "") -> None:
        self.stream = catalog.WatchConnectorStaged(pb.WatchConnectorStagedRequest(id=draft_id, project=project),
                                                   timeout=30)
        self.events: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for event in self.stream:
                self.events.put(event)
        except grpc.RpcError as exc:
            self.events.put(exc)
        self.events.put(None)

    def next(self, timeout: float = 15):
        return self.events.get(timeout=timeout)

    def close(self) -> None:
        self.stream.cancel()
        self.thread.join(5)


def test_snapshot_then_one_event_per_change_then_deleted(catalog, unique):
    draft = create(catalog, f"watch-{unique}")
    watch = Watch(catalog, draft.id, project="acme")
    try:
        first = watch.next()
        assert first.type == SNAPSHOT and first.connector_staged == draft
        renamed = update(catalog, draft, Action(set_name=Action.SetName(name="Renamed")))
        event = watch.next()
        assert event.type == UPDATED and event.connector_staged.name == "Renamed" and event.connector_staged.version == 2
        catalog.DeleteConnectorStaged(pb.DeleteConnectorStagedRequest(id=draft.id, version=renamed.version))
        gone = watch.next()
        assert gone.type == DELETED and gone.connector_staged.id == draft.id
        assert watch.next() is None  # the stream ended
    finally:
        watch.close()


def test_the_job_worker_changes_are_streamed(catalog, unique, repo_url):
    draft = create(catalog, f"wjob-{unique}", repository=spb.Repository(url=repo_url, tag="v1.0.0"))
    watch = Watch(catalog, draft.id)
    try:
        assert watch.next().type == SNAPSHOT
        update(catalog, draft, Action(publish=Action.Publish()))
        statuses = []
        while not statuses or statuses[-1] == spb.CONNECTOR_STATUS_PROCESSING:
            event = watch.next()
            assert event.type == UPDATED
            statuses.append(event.connector_staged.status)
        assert statuses == [spb.CONNECTOR_STATUS_PROCESSING, spb.CONNECTOR_STATUS_PUBLISHED]
    finally:
        watch.close()


def test_a_change_written_by_another_process_is_seen(catalog, unique, database_url):
    draft = create(catalog, f"wext-{unique}")
    watch = Watch(catalog, draft.id)
    try:
        assert watch.next().type == SNAPSHOT
        other = open_database(database_url)  # another process's write: no in-process notification
        try:
            other.execute_sql(f"UPDATE connector_staged SET version = version + 1, name = {other.param} "
                              f"WHERE id = {other.param}", ("Written elsewhere", draft.id))
        finally:
            other.close()
        event = watch.next()
        assert event.type == UPDATED and event.connector_staged.name == "Written elsewhere"
    finally:
        watch.close()


def test_watching_a_missing_or_foreign_draft_is_not_found(catalog, unique):
    draft = create(catalog, f"wnf-{unique}")
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: next(iter(catalog.WatchConnectorStaged(
        pb.WatchConnectorStagedRequest(id="missing")))), reason="CONNECTOR_STAGED_NOT_FOUND")
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: next(iter(catalog.WatchConnectorStaged(
        pb.WatchConnectorStagedRequest(id=draft.id, project="other")))))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: next(iter(catalog.WatchConnectorStaged(
        pb.WatchConnectorStagedRequest()))))
