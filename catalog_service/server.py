"""Wiring of the catalog process: database, migrations, servicers, background reconciler, gRPC server."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from catalog_service.catalog import Catalog
from catalog_service.storage.migrations import MIGRATIONS
from catalog_service.storage.models import database_proxy
from catalog_service.storage.repository import CatalogStore
from catalog_service.transport.servicer import CatalogServicer, CertificationServicer
from plugboard.catalog.v1 import catalog_service_pb2, catalog_service_pb2_grpc
from plugboard.catalog.v1 import certification_service_pb2, certification_service_pb2_grpc
from plugboard.errors import PlugboardError
from plugboard.rpc.server import Served, ServiceSpec, build_server, serve_forever, start
from plugboard.settings import Settings
from plugboard.storage.database import open_database
from plugboard.storage.migrations import migrate

CATALOG_SERVICE = catalog_service_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name
CERTIFICATION_SERVICE = certification_service_pb2.DESCRIPTOR.services_by_name["CertificationService"].full_name

_log = logging.getLogger("plugboard.catalog")


async def _reconcile(catalog: Catalog, settings: Settings) -> None:
    """Revert connectors left DELETING by a delete that never finished (a crashed gateway)."""
    period = max(1.0, settings.deleting_stale_seconds / 4)
    while True:
        await asyncio.sleep(period)
        try:
            reverted = catalog.revert_stale_deletions(settings.deleting_stale_seconds)
        except PlugboardError as exc:
            _log.warning("reconciler: %s", exc.reason)
            continue
        if reverted:
            _log.warning("reconciler: reverted %d stale DELETING connector(s) to ACTIVE", reverted)


async def create_server(settings: Settings, *, port: int | None = None) -> Served:
    """Open and migrate the database, build and start the server (port None: settings.catalog_port).

    Stopping it (``plugboard.rpc.server.shutdown``) also stops the reconciler and closes the database.
    """
    db = open_database(settings.catalog_database_url)
    database_proxy.initialize(db)
    applied = migrate(db, "catalog", MIGRATIONS)
    if applied:
        _log.info("catalog database migrated to version %d", applied[-1])
    catalog = Catalog(CatalogStore(db))
    served = build_server(
        [
            ServiceSpec(CATALOG_SERVICE, lambda s: catalog_service_pb2_grpc.add_CatalogServiceServicer_to_server(
                CatalogServicer(catalog), s)),
            ServiceSpec(CERTIFICATION_SERVICE, lambda s: certification_service_pb2_grpc.add_CertificationServiceServicer_to_server(
                CertificationServicer(), s)),
        ],
        host=settings.bind_host,
        port=settings.catalog_port if port is None else port,
        max_message_bytes=settings.max_message_bytes,
        max_concurrent_rpcs=settings.max_concurrent_rpcs,
    )
    await start(served)
    runtime = CatalogRuntime(catalog, db, asyncio.create_task(_reconcile(catalog, settings)))
    served.cleanups.append(runtime.stop)
    return served


class CatalogRuntime:
    """What runs beside the server: the use cases, the database and background tasks."""

    def __init__(self, catalog: Catalog, db, reconciler: asyncio.Task) -> None:
        self.catalog = catalog
        self.db = db
        self._tasks = [reconciler]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.db.close()


async def serve(settings: Settings) -> None:
    """Run the catalog until SIGTERM/SIGINT, then shut down gracefully."""
    served = await create_server(settings)
    await serve_forever(served, grace_seconds=settings.grace_seconds)
