"""Wiring of the catalog process: database, migrations, servicers (the change history's included), the job
worker, the reconciler, the history's retention sweep, gRPC server."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from catalog_service.domain.credentials import CredentialVault
from catalog_service.domain.service import Catalog, Certification
from catalog_service.publishing.worker import JobWorker, ReadSource
from catalog_service.publishing.source import read_connector_source
from catalog_service.storage import open_store
from catalog_service.storage.listener import DraftListener
from catalog_service.transport.servicer import CatalogServicer, CertificationServicer
from catalog_service.watch import DraftNotifier
from plugboard.catalog.v1 import catalog_service_pb2, catalog_service_pb2_grpc
from plugboard.catalog.v1 import certification_service_pb2, certification_service_pb2_grpc
from plugboard.catalog.v1 import change_history_service_pb2, change_history_service_pb2_grpc
from plugboard.history.retention import sweep_forever
from plugboard.history.service import ChangeHistory
from plugboard.history.servicer import add_servicer
from plugboard.errors import PlugboardError
from plugboard.observability import tracing
from plugboard.secrets import Keyring
from plugboard.rpc.server import Served, ServiceSpec, build_server, serve_forever, start
from plugboard.settings import Settings
from plugboard.storage.database import is_postgres
from plugboard.storage.paging import PageTokens

CATALOG_SERVICE = catalog_service_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name
CERTIFICATION_SERVICE = certification_service_pb2.DESCRIPTOR.services_by_name["CertificationService"].full_name
HISTORY_SERVICE = change_history_service_pb2.DESCRIPTOR.services_by_name["CatalogChangeHistoryService"].full_name

_log = logging.getLogger("plugboard.catalog")

# On PostgreSQL, how often a watch stream re-reads its draft in case a notification was lost (the
# listening connection broke): LISTEN/NOTIFY carries every change otherwise.
LISTENING_REREAD_SECONDS = 30.0


async def _reconcile(catalog: Catalog, settings: Settings) -> None:
    """Revert connectors left DELETING, and clear drafts' deletion marks, left by a delete that never
    finished (a crashed gateway)."""
    period = max(1.0, settings.deleting_stale_seconds / 4)
    while True:
        await asyncio.sleep(period)
        try:
            reverted = catalog.revert_stale_deletions(settings.deleting_stale_seconds)
        except PlugboardError as exc:
            _log.warning("reconciler: %s", exc.reason)
            continue
        if reverted:
            _log.warning("reconciler: reverted %d stale deletion(s) (DELETING connectors to ACTIVE, "
                         "draft deletion marks cleared)", reverted)


async def create_server(settings: Settings, *, port: int | None = None,
                        read_source: ReadSource = read_connector_source, poll_seconds: float = 1.0) -> Served:
    """Open and migrate the database, build and start the server (port None: settings.catalog_port).

    ``settings.catalog_job_workers`` job workers run publishing and preview jobs in this process
    (``read_source`` reads a repository; ``poll_seconds`` is how often they and the watch streams look at
    the database for work or changes made by other processes). Stopping the server
    (``plugboard.rpc.server.shutdown``) also stops the workers and the reconciler and closes the database.
    """
    vault = CredentialVault(Keyring.from_settings(settings))  # refuses to start with unusable keys
    store = open_store(settings.catalog_database_url, tokens=PageTokens.from_settings(settings))
    notifier = DraftNotifier()

    def draft_changed(draft_id: str) -> None:
        notifier.notify(draft_id)
        tracing.remember_draft(draft_id)  # a job queued by this change continues the request's trace

    catalog = Catalog(store, on_draft_changed=draft_changed, vault=vault)
    worker = JobWorker(store, settings, clock=catalog.clock, on_draft_changed=notifier.notify,
                       read_source=read_source, concurrency=settings.catalog_job_workers, poll_seconds=poll_seconds,
                       vault=vault)
    catalog.on_job_queued = worker.wake
    certification = Certification(catalog, settings.catalog_reviewer_projects)
    # PostgreSQL: changes committed by other catalog processes arrive by LISTEN/NOTIFY within
    # milliseconds; the streams' re-read is only the net under a broken listening connection.
    listener = DraftListener(settings.catalog_database_url, notifier.notify) if is_postgres(store.db) else None
    reread_seconds = LISTENING_REREAD_SECONDS if listener is not None else poll_seconds
    served = build_server(
        [
            ServiceSpec(CATALOG_SERVICE, lambda s: catalog_service_pb2_grpc.add_CatalogServiceServicer_to_server(
                CatalogServicer(catalog, notifier, reread_seconds=reread_seconds), s)),
            ServiceSpec(CERTIFICATION_SERVICE, lambda s: certification_service_pb2_grpc.add_CertificationServiceServicer_to_server(
                CertificationServicer(certification), s)),
            ServiceSpec(HISTORY_SERVICE, lambda s: add_servicer(
                s, change_history_service_pb2_grpc, "CatalogChangeHistoryService", ChangeHistory(store.history),
                ("ListDraftChanges",))),
        ],
        host=settings.bind_host,
        port=settings.catalog_port if port is None else port,
        max_message_bytes=settings.max_message_bytes,
        max_concurrent_rpcs=settings.max_concurrent_rpcs,
        metrics_port=settings.catalog_metrics_port,
        reuse_port=settings.reuse_port,
    )
    await start(served)
    worker.start()
    if listener is not None:
        listener.start()
    runtime = CatalogRuntime(store.db, worker, asyncio.create_task(_reconcile(catalog, settings)), listener,
                             asyncio.create_task(sweep_forever(store.history, settings)))
    served.cleanups.append(runtime.stop)
    return served


class CatalogRuntime:
    """What runs beside the server: the database, the job worker and the reconciler."""

    def __init__(self, db, worker: JobWorker, reconciler: asyncio.Task,  # type: ignore[no-untyped-def]
                 listener: DraftListener | None = None, sweeper: asyncio.Task | None = None) -> None:
        self.db = db
        self.worker = worker
        self.listener = listener
        self._tasks = [reconciler] + ([sweeper] if sweeper is not None else [])

    async def stop(self) -> None:
        if self.listener is not None:
            await self.listener.stop()
        await self.worker.stop()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.db.close()


async def serve(settings: Settings) -> None:
    """Run the catalog until SIGTERM/SIGINT, then shut down gracefully."""
    served = await create_server(settings)
    await serve_forever(served, grace_seconds=settings.grace_seconds,
                        notice_seconds=settings.shutdown_notice_seconds)
