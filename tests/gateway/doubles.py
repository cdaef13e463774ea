"""A recording stand-in for the catalog backend, for what the real catalog cannot show.

The gateway is the thing under test; this double only plays a backend whose behaviour the tests
control: it records the metadata and deadline each call arrived with, answers slowly on request
(``id="slow"``), streams events (``WatchConnectorStaged``; ``id="forever"`` keeps the stream open), and
records when a call is cancelled. It runs as a real server (``plugboard.rpc.server.build_server``), so
its errors are real rich statuses.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from plugboard.catalog.v1 import catalog_service_pb2, catalog_service_pb2_grpc
from plugboard.catalog.v1 import connector_pb2, connector_staged_pb2
from plugboard.errors import NotFound
from plugboard.rpc.server import Served, ServiceSpec, build_server, start

INITIAL = ("x-backend-initial", "hello")
TRAILING = ("x-backend-trailing", "bye")
STREAMED = 3


@dataclass
class Record:
    """What the double saw, shared with the test thread."""

    calls: list[tuple[str, dict[str, str], float | None]] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)
    cancelled: threading.Event = field(default_factory=threading.Event)

    def last(self) -> tuple[str, dict[str, str], float | None]:
        return self.calls[-1]


class RecordingCatalog(catalog_service_pb2_grpc.CatalogServiceServicer):
    def __init__(self, record: Record) -> None:
        self.record = record

    def _note(self, method: str, context) -> None:  # type: ignore[no-untyped-def]
        metadata = {key: value for key, value in context.invocation_metadata()}
        self.record.calls.append((method, metadata, context.time_remaining()))
        self.record.started.set()

    async def _wait_for_cancellation(self) -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            self.record.cancelled.set()
            raise

    async def GetConnector(self, request, context):  # type: ignore[no-untyped-def]
        self._note("GetConnector", context)
        if request.id == "missing":
            raise NotFound("connector", request.id)
        if request.id == "slow":
            await self._wait_for_cancellation()
        await context.send_initial_metadata((INITIAL,))
        context.set_trailing_metadata((TRAILING,))
        return connector_pb2.Connector(id=request.id, key=f"key-of-{request.id}")

    async def WatchConnectorStaged(self, request, context):  # type: ignore[no-untyped-def]
        self._note("WatchConnectorStaged", context)
        if request.id == "missing":
            raise NotFound("connector staged", request.id)
        await context.send_initial_metadata((INITIAL,))
        for version in range(1, STREAMED + 1):
            yield connector_staged_pb2.ConnectorStagedEvent(
                connector_staged=connector_staged_pb2.ConnectorStaged(id=request.id, version=version),
                type=connector_staged_pb2.CONNECTOR_STAGED_EVENT_TYPE_SNAPSHOT,
            )
        if request.id == "forever":
            await self._wait_for_cancellation()
        context.set_trailing_metadata((TRAILING,))


async def create_double(record: Record) -> Served:
    """The double as a started server on a free port."""
    name = catalog_service_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name
    served = build_server(
        [ServiceSpec(name, lambda s: catalog_service_pb2_grpc.add_CatalogServiceServicer_to_server(
            RecordingCatalog(record), s))],
        host="127.0.0.1", port=0, max_message_bytes=4 * 1024 * 1024, max_concurrent_rpcs=None,
    )
    await start(served)
    return served
