"""Building, starting and gracefully stopping a grpc.aio server.

``build_server`` assembles a server from ``ServiceSpec``s with the stock parts every Plugboard
server has: the health service (grpcio-health-checking), server reflection (grpcio-reflection),
the access log and error translation (``EdgeRegistrar`` wraps every
method handler once, at registration), message-size and concurrency limits, and, when given a
``metrics_port``, Prometheus metrics of every call on that port (``plugboard.observability.metrics``).
``serve_forever`` runs it until SIGTERM/SIGINT; ``shutdown`` is the same graceful sequence without signals (for tests and
embedding): health NOT_SERVING, drain in-flight calls, stop, then ``Served.cleanups`` and
``on_stop``.

Create the server inside the event loop that will run it (grpc.aio binds to the running loop).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2_grpc

from plugboard.logs import exception_summary
from plugboard.observability.metrics import MetricsEndpoint
from plugboard.rpc.handlers import EdgeRegistrar

_log = logging.getLogger("plugboard.server")

OnStop = Callable[[], Awaitable[None]]

# A health status of the process alone, SERVING from start to shutdown whatever its dependencies say
# (the gateway's other statuses follow its backends'): what liveness probes check.
LIVENESS_SERVICE = "liveness"


@dataclass(frozen=True)
class ServiceSpec:
    """A service to serve: its full proto name and a function adding its servicer to a server
    (typically ``lambda s: add_XServicer_to_server(servicer, s)``)."""

    name: str
    register: Callable[[grpc.aio.Server], None]


@dataclass(eq=False)
class Served:
    """A built server: the grpc.aio server, the port it is bound to and its health servicer."""

    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    service_names: tuple[str, ...]
    # The /metrics endpoint (None: this server exports no metrics); started with the server.
    metrics: MetricsEndpoint | None = None
    # Run after the server stopped (background workers, database): ``shutdown`` awaits each in order.
    cleanups: list[OnStop] = field(default_factory=list)
    _started: bool = field(default=False, init=False, repr=False)
    _stopped: bool = field(default=False, init=False, repr=False)


def _address(host: str, port: int) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


def build_server(
    specs: Sequence[ServiceSpec],
    *,
    host: str,
    port: int,
    max_message_bytes: int,
    max_concurrent_rpcs: int | None,
    metrics_port: int = 0,
    reuse_port: bool = False,
) -> Served:
    """Build (not start) a server for ``specs`` bound to ``host:port`` (port 0: a free port).

    ``metrics_port`` (0: none) serves Prometheus metrics from ``start`` on; ``reuse_port`` lets
    several processes listen on one port (SO_REUSEPORT: ``plugboard serve --workers``).
    Health statuses become SERVING in ``start``.
    """
    names = tuple(spec.name for spec in specs)
    if len(set(names)) != len(names) or "" in names:
        raise ValueError(f"service names must be unique and non-empty: {names}")
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            # Fail loudly when the port is taken instead of sharing it with another process, unless
            # sharing is what is asked (several worker processes on one port).
            ("grpc.so_reuseport", 1 if reuse_port else 0),
            # Accept the client keepalive pings of plugboard.rpc.client.channel().
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.min_recv_ping_interval_without_data_ms", 10_000),
            ("grpc.http2.max_ping_strikes", 0),
        ],
        maximum_concurrent_rpcs=max_concurrent_rpcs,
    )
    metrics = MetricsEndpoint(metrics_port, host) if metrics_port else None
    registrar = EdgeRegistrar(server, metrics.rpc if metrics is not None else None)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, registrar)
    for spec in specs:
        spec.register(registrar)  # type: ignore[arg-type]
    # grpc_reflection picks its asyncio servicer only for a real grpc.aio.Server: name it here.
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(
        reflection.aio.ReflectionServicer((*names, health.SERVICE_NAME, reflection.SERVICE_NAME)), registrar
    )
    registrar.finish()
    address = _address(host, port)
    try:
        bound = server.add_insecure_port(address)
    except RuntimeError as exc:
        raise OSError(f"cannot listen on {address}") from exc
    if not bound:
        raise OSError(f"cannot listen on {address}")
    return Served(server=server, port=bound, health=health_servicer, service_names=names, metrics=metrics)


async def start(served: Served) -> None:
    """Mark every service (and "") SERVING, then start accepting calls. Idempotent."""
    if served._started:
        return
    for name in (*served.service_names, health.OVERALL_HEALTH, LIVENESS_SERVICE):
        await served.health.set(name, health_pb2.HealthCheckResponse.SERVING)
    await served.server.start()
    if served.metrics is not None:
        served.metrics.start()
    served._started = True
    _log.info("serving %s on port %d", ", ".join(served.service_names) or "-", served.port)


async def shutdown(
    served: Served,
    grace_seconds: float,
    *,
    on_stop: OnStop | None = None,
    notice_seconds: float = 0.0,
) -> None:
    """Graceful stop: health NOT_SERVING for every service; after ``notice_seconds`` (time for
    health checkers to notice while calls are still accepted) refuse new calls and let in-flight
    ones finish for up to ``grace_seconds``; then run ``served.cleanups`` in order and
    ``on_stop``. A failing cleanup is logged (class and location only) and the others still run.
    Idempotent."""
    if served._stopped:
        return
    served._stopped = True
    await served.health.enter_graceful_shutdown()
    _log.info("shutting down: NOT_SERVING, draining for up to %.1fs", grace_seconds)
    if notice_seconds > 0:
        await asyncio.sleep(notice_seconds)
    await served.server.stop(grace_seconds)
    if served.metrics is not None:
        await asyncio.to_thread(served.metrics.stop)
    _log.info("server stopped")
    for cleanup in [*served.cleanups, *([on_stop] if on_stop is not None else [])]:
        try:
            await cleanup()
        except Exception as exc:
            _log.error("cleanup %s failed: %s", getattr(cleanup, "__qualname__", cleanup),
                       exception_summary(exc))


async def serve_forever(
    served: Served,
    *,
    grace_seconds: float,
    on_stop: OnStop | None = None,
    notice_seconds: float = 0.0,
) -> None:
    """Start (if needed) and serve until SIGTERM or SIGINT, then ``shutdown`` gracefully."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGTERM, signal.SIGINT)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        await start(served)
        stopped = asyncio.ensure_future(stop.wait())
        terminated = asyncio.ensure_future(served.server.wait_for_termination())
        try:
            await asyncio.wait({stopped, terminated}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            # Also on cancellation of serve_forever itself: always stop gracefully. The
            # termination waiter is left alone until the server has stopped: cancelling it
            # would cancel grpc's shutdown future that server.stop() awaits.
            stopped.cancel()
            if stop.is_set():
                _log.info("signal received")
            await shutdown(served, grace_seconds, on_stop=on_stop, notice_seconds=notice_seconds)
            terminated.cancel()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
