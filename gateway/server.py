"""Wiring of the gateway process: key store, backend channels, the services' handlers, health
that follows the backends, the HTTP/JSON facade, the gRPC server.

The gateway serves ``plugboard.catalog.v1.CatalogService``, ``plugboard.catalog.v1.CertificationService``,
``plugboard.instance.v1.InstanceService`` and the two backends' change-history services under their own
names, and answers ``plugboard.gateway.v1.KeyChangeHistoryService`` (its API keys' records) itself
(``gateway.key_history``), with the standard health service (a status per served service, following
its backend's; the gateway's own stays SERVING) and server reflection. The forwarded services
are served by generic handlers, so reflection describes them from the generated file descriptors, which
importing the ``*_pb2`` modules (``gateway.routes`` does) registers in the default descriptor pool.
The HTTP/JSON facade listens on ``settings.http_port`` in the same process and event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

import grpc

from gateway.auth import Authenticator, Gatekeeper
from gateway.backends import Backend, open_backend
from gateway.health import BackendHealth
from gateway.http_api import HttpFacade, start_http
from gateway.http_rules import routes as http_routes
from gateway.key_history import LOCAL, KeyHistory
from gateway.key_store import KeyStore
from gateway.quotas import Quotas, TenantLimits
from gateway.routes import (
    BACKEND_OF,
    RULES,
    SERVICE_NAMES,
    SERVICES,
    DeleteConnectorHandler,
    build_handlers,
)
from plugboard.history.retention import sweep_forever
from plugboard.rpc.server import Served, ServiceSpec, build_server, serve_forever, start
from plugboard.settings import Settings

_log = logging.getLogger("plugboard.gateway")


@dataclass(eq=False)
class GatewayServed(Served):
    """The gateway's ``Served``, with the port of its HTTP/JSON facade and its per-tenant counts."""

    http_port: int = 0
    quotas: Quotas | None = None


def _spec(name: str, handler: grpc.GenericRpcHandler) -> ServiceSpec:
    def register(server: grpc.aio.Server) -> None:
        server.add_generic_rpc_handlers((handler,))

    return ServiceSpec(name, register)


async def create_server(
    settings: Settings,
    *,
    port: int | None = None,
    http_port: int | None = None,
    key_cache_seconds: float | None = None,
    health_interval: float = 1.0,
) -> GatewayServed:
    """Open the key database and the backend channels, build and start the gateway (gRPC on ``port``,
    None: settings.gateway_port; HTTP on ``http_port``, None: settings.http_port; 0: a free port).

    Stopping it (``plugboard.rpc.server.shutdown``) also stops HTTP and closes channels and database.
    SettingsError when the per-tenant limits do not fit ``settings.max_concurrent_rpcs``.
    """
    settings.check_gateway_limits()
    store = KeyStore.open(settings.gateway_database_url)
    backends: dict[str, Backend] = {
        "catalog": open_backend("catalog", settings.catalog_target,
                                max_message_bytes=settings.max_message_bytes),
        "instance": open_backend("instance", settings.instance_target,
                                 max_message_bytes=settings.max_message_bytes),
    }
    cleanups = []

    async def close_backends() -> None:
        for backend in backends.values():
            await backend.close()
        store.close()

    try:
        quotas = Quotas(TenantLimits.of(settings))
        cache_seconds = settings.gateway_key_cache_seconds if key_cache_seconds is None else key_cache_seconds
        gatekeeper = Gatekeeper(Authenticator(store, cache_seconds=cache_seconds), RULES, quotas)
        deadline = settings.default_deadline_seconds
        delete = DeleteConnectorHandler(backends["catalog"], backends["instance"], deadline,
                                        gatekeeper.admit_key)
        handlers = build_handlers(backends, default_deadline=deadline, guard=gatekeeper.admit_key,
                                  delete=delete)
        key_history = KeyHistory(store)
        for service, backend in SERVICES:
            if backend == LOCAL:
                handlers[service.full_name] = key_history.handler(gatekeeper.admit_key)
        specs = [_spec(name, handlers[name]) for name in SERVICE_NAMES]
        built = build_server(
            specs,
            host=settings.bind_host,
            port=settings.gateway_port if port is None else port,
            max_message_bytes=settings.max_message_bytes,
            max_concurrent_rpcs=settings.max_concurrent_rpcs,
            metrics_port=settings.gateway_metrics_port,
            reuse_port=settings.reuse_port,
        )
        facade = HttpFacade(
            http_routes([m for service, _ in SERVICES for m in service.methods]), RULES, BACKEND_OF,
            backends, gatekeeper, delete, local_calls=key_history.calls(), default_deadline=deadline,
            max_body_bytes=settings.max_message_bytes,
            metrics=built.metrics.http() if built.metrics is not None else None)
        runner, bound_http = await start_http(
            facade.application(), settings.bind_host,
            settings.http_port if http_port is None else http_port, grace_seconds=settings.grace_seconds,
            reuse_port=settings.reuse_port)
        cleanups.append(runner.cleanup)
    except BaseException:
        for cleanup in cleanups:
            await cleanup()
        await close_backends()
        raise
    served = GatewayServed(server=built.server, port=built.port, health=built.health,
                           service_names=built.service_names, metrics=built.metrics, http_port=bound_http,
                           quotas=quotas)
    services_of = {name: [service.full_name for service, backend in SERVICES if backend == name]
                   for name in backends}
    watcher = BackendHealth(served.health, backends, services_of, interval=health_interval)
    sweeper: list[asyncio.Task] = []

    async def stop_sweeper() -> None:
        for task in sweeper:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    served.cleanups.extend([runner.cleanup, watcher.stop, stop_sweeper, close_backends])
    await start(served)
    watcher.start()
    sweeper.append(asyncio.create_task(sweep_forever(store.history, settings)))  # API-key change records
    _log.info("forwarding to catalog at %s and instance at %s; HTTP/JSON on port %d",
              settings.catalog_target, settings.instance_target, bound_http)
    return served


async def serve(settings: Settings) -> None:
    """Run the gateway until SIGTERM/SIGINT, then shut down gracefully."""
    served = await create_server(settings)
    await serve_forever(served, grace_seconds=settings.grace_seconds,
                        notice_seconds=settings.shutdown_notice_seconds)
