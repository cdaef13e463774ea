"""Wiring of the gateway process: one channel per backend, the three services' handlers, the server.

The gateway serves ``plugboard.catalog.v1.CatalogService``, ``plugboard.catalog.v1.CertificationService``
and ``plugboard.instance.v1.InstanceService`` under their own names, with the standard health service
(a status per served service) and server reflection. The forwarded services are served by generic
handlers, so reflection describes them from the generated file descriptors, which importing the
``*_pb2`` modules (``gateway.routes`` does) registers in the default descriptor pool.
"""

from __future__ import annotations

import logging

import grpc

from gateway.backends import Backend, open_backend
from gateway.forwarding import Guard
from gateway.routes import SERVICE_NAMES, build_handlers
from plugboard.rpc.server import Served, ServiceSpec, build_server, serve_forever, start
from plugboard.settings import Settings

_log = logging.getLogger("plugboard.gateway")


def _spec(name: str, handler: grpc.GenericRpcHandler) -> ServiceSpec:
    def register(server: grpc.aio.Server) -> None:
        server.add_generic_rpc_handlers((handler,))

    return ServiceSpec(name, register)


async def create_server(
    settings: Settings, *, port: int | None = None, guard: Guard | None = None
) -> Served:
    """Open the backend channels, build and start the gateway (port None: settings.gateway_port).

    Stopping it (``plugboard.rpc.server.shutdown``) also closes the backend channels.
    """
    backends: dict[str, Backend] = {
        "catalog": open_backend("catalog", settings.catalog_target,
                                max_message_bytes=settings.max_message_bytes),
        "instance": open_backend("instance", settings.instance_target,
                                 max_message_bytes=settings.max_message_bytes),
    }

    async def close_backends() -> None:
        for backend in backends.values():
            await backend.close()

    try:
        handlers = build_handlers(
            backends, default_deadline=settings.default_deadline_seconds, guard=guard)
        specs = [_spec(name, handlers[name]) for name in SERVICE_NAMES]
        served = build_server(
            specs,
            host=settings.bind_host,
            port=settings.gateway_port if port is None else port,
            max_message_bytes=settings.max_message_bytes,
            max_concurrent_rpcs=settings.max_concurrent_rpcs,
        )
    except BaseException:
        await close_backends()
        raise
    served.cleanups.append(close_backends)
    await start(served)
    _log.info("forwarding to catalog at %s and instance at %s",
              settings.catalog_target, settings.instance_target)
    return served


async def serve(settings: Settings) -> None:
    """Run the gateway until SIGTERM/SIGINT, then shut down gracefully."""
    served = await create_server(settings)
    await serve_forever(served, grace_seconds=settings.grace_seconds)
