"""The gateway's health reflects its backends'.

``BackendHealth`` polls each backend's standard health service (overall status ``""``) every
``interval`` seconds, without ``wait_for_ready``, and sets the gateway's own statuses: the services a
backend serves are SERVING only while that backend answers SERVING, and the gateway as a whole
(``""``) only while every backend does. A backend that is down or answers NOT_SERVING makes its
services NOT_SERVING within one interval; a load balancer checking the gateway then stops sending it
calls it could not complete. After the gateway's graceful shutdown began, statuses stay NOT_SERVING
(the health servicer ignores further changes).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from gateway.backends import Backend

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
_log = logging.getLogger("plugboard.gateway.health")


class BackendHealth:
    """Polls the backends and mirrors their health onto the gateway's health servicer."""

    def __init__(self, servicer: health.aio.HealthServicer, backends: Mapping[str, Backend],
                 services_of: Mapping[str, Sequence[str]], *, interval: float = 1.0,
                 timeout: float = 1.0) -> None:
        self.servicer = servicer
        self.backends = backends
        self.services_of = services_of  # backend name -> gateway service names it serves
        self.interval = interval
        self.timeout = timeout
        self.status: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    async def check(self, backend: Backend) -> int:
        stub = health_pb2_grpc.HealthStub(backend.channel)
        try:
            response = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=self.timeout)
        except grpc.aio.AioRpcError:
            return NOT_SERVING
        return SERVING if response.status == SERVING else NOT_SERVING

    async def poll_once(self) -> None:
        names = list(self.backends)
        results = await asyncio.gather(*(self.check(self.backends[name]) for name in names))
        for name, status in zip(names, results):
            if self.status.get(name) != status:
                _log.info("backend %s is %s", name, health_pb2.HealthCheckResponse.ServingStatus.Name(status))
            self.status[name] = status
            for service in self.services_of.get(name, ()):
                await self.servicer.set(service, status)
        overall = SERVING if all(s == SERVING for s in results) else NOT_SERVING
        await self.servicer.set(health.OVERALL_HEALTH, overall)

    async def _run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never let the watcher die
                _log.warning("health poll failed: %s", type(exc).__name__)
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
