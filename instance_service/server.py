"""Wiring of the instance process: database, migrations, secret keys, catalog channel, reconciler, server."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import peewee

from plugboard.errors import PlugboardError
from plugboard.history.retention import sweep_forever
from plugboard.history.service import ChangeHistory
from plugboard.history.servicer import add_servicer
from plugboard.instance.v1 import change_history_service_pb2, change_history_service_pb2_grpc
from plugboard.instance.v1 import instance_service_pb2, instance_service_pb2_grpc
from plugboard.logs import exception_summary
from plugboard.observability.metrics import GaugeCallback
from plugboard.rpc.client import channel
from plugboard.rpc.server import Served, ServiceSpec, build_server, serve_forever, start
from plugboard.settings import Settings
from plugboard.storage.database import open_database
from plugboard.storage.migrations import migrate
from plugboard.storage.paging import PageTokens

from .domain.customising import Customising
from .domain.installations import Installations
from .domain.secrets import Keyring
from .domain.updating import Placement, Updates
from .domain.service import Instances, utcnow
from .domain.testing import ConnectionTests
from .domain.versions import Follower, Upgrades
from .probe import AddressPolicy, Prober
from .storage.migrations import COMPONENT, MIGRATIONS
from .storage.models import database_proxy
from .storage.installations import InstallationRepository
from .storage.moves import MoveRepository
from .storage.repository import InstanceRepository
from .storage.secret_counts import SecretsByKey
from .transport.catalog_client import CHECK_METHOD, CatalogClient
from .transport.servicer import InstanceServicer

INSTANCE_SERVICE = instance_service_pb2.DESCRIPTOR.services_by_name["InstanceService"].full_name
HISTORY_SERVICE = change_history_service_pb2.DESCRIPTOR.services_by_name["InstanceChangeHistoryService"].full_name

_log = logging.getLogger("plugboard.instance")


def close_database(db: peewee.Database) -> None:
    """Close the database; a connection pool closes every pooled connection."""
    close_all = getattr(db, "close_all", None)
    if callable(close_all):
        close_all()
    else:
        db.close()


def reconcile_period(pending_stale_seconds: float) -> float:
    """How often the reconciler looks for stale PENDING instances."""
    return min(max(pending_stale_seconds / 4, 0.05), 30.0)


async def _reconcile(instances: Instances, period: float) -> None:
    """Remove PENDING instances left by creates that never finished (a crashed process)."""
    while True:
        try:
            instances.remove_stale_pending()
            instances.reconcile_installations()
        except PlugboardError as exc:
            _log.warning("reconciler: %s", exc.reason)
        except Exception as exc:  # keep reconciling; class and location only (messages may hold secrets)
            _log.error("reconciler failed: %s", exception_summary(exc))
        await asyncio.sleep(period)


class InstanceRuntime:
    """What runs beside the server: the use cases, the database, the catalog channel, the reconciler."""

    def __init__(self, instances: Instances, db: peewee.Database, catalog_channel, reconciler: asyncio.Task) -> None:  # type: ignore[no-untyped-def]
        self.instances = instances
        self.db = db
        self._channel = catalog_channel
        self._tasks = [reconciler]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._channel.close()
        close_database(self.db)


async def create_server(settings: Settings, *, port: int | None = None) -> Served:
    """Open and migrate the database, load the secret keys, build and start the server.

    ``port`` None: ``settings.instance_port``; 0: a free port. Stopping the server
    (``plugboard.rpc.server.shutdown``) also stops the reconciler, closes the catalog channel and the
    database.
    """
    keyring = Keyring.from_settings(settings)  # refuses to start with unusable keys
    try:
        policy = AddressPolicy(settings.connection_test_allow_cidrs)
    except ValueError as exc:
        raise PlugboardError(str(exc), reason="BAD_SETTING") from None
    db = open_database(settings.instance_database_url)
    database_proxy.initialize(db)  # the models' one binding in this process
    applied = migrate(db, COMPONENT, MIGRATIONS)
    if applied:
        _log.info("instance database migrated to version %d", applied[-1])
    store = InstanceRepository(db, tokens=PageTokens.from_settings(settings))
    catalog_channel = channel(
        settings.catalog_target, max_message_bytes=settings.max_message_bytes, retry_unavailable_for=[CHECK_METHOD],
    )
    catalog = CatalogClient(catalog_channel)
    follower = Follower(store, catalog, cache_seconds=settings.version_check_seconds, clock=utcnow)
    installation_store = InstallationRepository(db, tokens=PageTokens.from_settings(settings), history=store.history)
    installations = Installations(installation_store, catalog, pending_stale_seconds=settings.pending_stale_seconds,
                                  latest=follower.latest)
    updates = Updates(installation_store, MoveRepository(store, installation_store), catalog, clock=utcnow)
    instances = Instances(
        store, catalog, keyring, pending_stale_seconds=settings.pending_stale_seconds, follower=follower,
        installations=installations, updates=updates,
    )
    tests = ConnectionTests(
        store, catalog, keyring, Prober(policy), timeout_seconds=settings.connection_test_timeout_seconds,
        clock=utcnow, installations=installation_store,
    )
    servicer = InstanceServicer(
        instances, tests, Upgrades(store, catalog, keyring, clock=utcnow, placement=Placement(updates)),
        default_deadline_seconds=settings.default_deadline_seconds, installations=installations, updates=updates,
        customising=Customising(installation_store, catalog, clock=utcnow),
    )
    try:
        served = build_server(
            [ServiceSpec(INSTANCE_SERVICE,
                         lambda s: instance_service_pb2_grpc.add_InstanceServiceServicer_to_server(servicer, s)),
             ServiceSpec(HISTORY_SERVICE, lambda s: add_servicer(
                 s, change_history_service_pb2_grpc, "InstanceChangeHistoryService", ChangeHistory(store.history),
                 ("ListInstanceChanges",)))],
            host=settings.bind_host,
            port=settings.instance_port if port is None else port,
            max_message_bytes=settings.max_message_bytes,
            max_concurrent_rpcs=settings.max_concurrent_rpcs,
            metrics_port=settings.instance_metrics_port,
            reuse_port=settings.reuse_port,
        )
        if served.metrics is not None:
            served.metrics.add(GaugeCallback(
                "plugboard_secrets", "Secret variables stored, by the id of the key encrypting them.",
                ("key_id",), SecretsByKey(db)))
        await start(served)
    except BaseException:
        await catalog_channel.close()
        close_database(db)
        raise
    reconciler = asyncio.create_task(_reconcile(instances, reconcile_period(settings.pending_stale_seconds)))
    runtime = InstanceRuntime(instances, db, catalog_channel, reconciler)
    runtime._tasks.append(asyncio.create_task(sweep_forever(store.history, settings)))
    served.cleanups.append(runtime.stop)
    return served


async def serve(settings: Settings) -> None:
    """Run the instance service until SIGTERM/SIGINT, then shut down gracefully."""
    served = await create_server(settings)
    await serve_forever(served, grace_seconds=settings.grace_seconds,
                        notice_seconds=settings.shutdown_notice_seconds)
