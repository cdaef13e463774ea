"""A stand-in CatalogService for answers the real catalog cannot give yet (issue 2 publishes versions
with an empty specification) or on demand: a specification with configuration keys, a slow answer,
a chosen error. A real gRPC server on a free port; only CheckConnectorUsable is answered.

Used only where the real catalog cannot run the case (STYLE.md: fakes where the real part cannot run).
"""

from __future__ import annotations

import asyncio

from plugboard.catalog.v1 import catalog_service_pb2, catalog_service_pb2_grpc, connector_pb2, specification_pb2
from plugboard.errors import PlugboardError
from plugboard.rpc.server import Served, ServiceSpec, build_server, start


def specification(standard=(), secured=(), global_standard=(), global_secured=()):  # type: ignore[no-untyped-def]
    """A ConnectorSpecification: ``standard`` items are (key, required, default), ``secured`` (key, required)."""
    return specification_pb2.ConnectorSpecification(
        applications=[specification_pb2.ConnectorConfigurationApplication(
            application_name="service-app", application_type="service",
            standard_configuration=[
                specification_pb2.StandardConfigurationKey(key=k, required=r, default=d) for k, r, d in standard
            ],
            secured_configuration=[specification_pb2.SecuredConfigurationKey(key=k, required=r) for k, r in secured],
        )],
        global_configuration=specification_pb2.ConnectorGlobalConfiguration(
            standard_configuration=[
                specification_pb2.StandardConfigurationKey(key=k, required=r, default=d) for k, r, d in global_standard
            ],
            secured_configuration=[
                specification_pb2.SecuredConfigurationKey(key=k, required=r) for k, r in global_secured
            ],
        ),
    )


class FakeCatalog(catalog_service_pb2_grpc.CatalogServiceServicer):
    """Answers CheckConnectorUsable with ``spec`` after ``delay`` seconds, or raises ``error``."""

    def __init__(self) -> None:
        self.spec = specification_pb2.ConnectorSpecification()
        self.delay = 0.0
        self.error: PlugboardError | None = None
        self.version = 2
        self.latest_version = 3
        self.requests: list[catalog_service_pb2.CheckConnectorUsableRequest] = []
        self.deadlines: list[float | None] = []

    async def CheckConnectorUsable(self, request, context):  # type: ignore[no-untyped-def]
        self.requests.append(request)
        self.deadlines.append(context.time_remaining())
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        # Connector "id-of-K" has key "K".
        connector_id = request.id or f"id-of-{request.key}"
        key = request.key or request.id.removeprefix("id-of-")
        return catalog_service_pb2.CheckConnectorUsableResponse(
            connector_id=connector_id, key=key, latest_version=self.latest_version,
            version=connector_pb2.ConnectorVersion(connector_id=connector_id, key=key, number=self.version,
                                                   specification=self.spec),
            specification=self.spec,
        )


async def serve_fake_catalog(fake: FakeCatalog) -> Served:
    served = build_server(
        [ServiceSpec("plugboard.catalog.v1.CatalogService",
                     lambda s: catalog_service_pb2_grpc.add_CatalogServiceServicer_to_server(fake, s))],
        host="127.0.0.1", port=0, max_message_bytes=4 * 1024 * 1024, max_concurrent_rpcs=100,
    )
    await start(served)
    return served
