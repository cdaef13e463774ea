"""A stand-in CatalogService for the answers a healthy catalog never gives: a slow answer, a chosen error,
or a specification the real catalog would refuse to publish (a broken catalog, or one of another version).
A real gRPC server on a free port; only CheckConnectorUsable is answered.

Everything the real catalog can give (specifications with configuration keys and `connection` sections,
several published versions) comes from the real catalog: ``tests.instance.helpers.publish`` publishes a
connect.yaml from a real git repository.
"""

from __future__ import annotations

import asyncio

from plugboard.catalog.v1 import catalog_service_pb2, catalog_service_pb2_grpc, connector_pb2, specification_pb2
from plugboard.errors import PlugboardError
from plugboard.rpc.server import Served, ServiceSpec, build_server, start


def connection_spec(base_url: str, path: str = "/ping") -> specification_pb2.ConnectorSpecification:
    """A specification with one standard key BASE and a `connection` section (no authentication) that the
    real catalog may refuse to publish (e.g. a base URL that is not http(s) or has a broken placeholder)."""
    return specification_pb2.ConnectorSpecification(
        applications=[specification_pb2.ConnectorConfigurationApplication(
            application_name="service-app", application_type="service",
            standard_configuration=[specification_pb2.StandardConfigurationKey(key="BASE", required=True)],
        )],
        connection=specification_pb2.ConnectionSpec(
            base_url_template=base_url,
            authentication=specification_pb2.ConnectionAuthentication(
                type=specification_pb2.AUTHENTICATION_TYPE_NONE),
            test_request=specification_pb2.ConnectionTestRequest(method="GET", path=path, expected_status=[200]),
        ),
    )


class FaultyCatalog(catalog_service_pb2_grpc.CatalogServiceServicer):
    """Answers CheckConnectorUsable after ``delay`` seconds with ``spec`` (connector "id-of-K" has key "K";
    version 1, the latest; built by the project asking, so it is installed for it automatically), or
    raises ``error``. Records each request and the deadline it came with."""

    def __init__(self) -> None:
        self.spec = specification_pb2.ConnectorSpecification()
        self.delay = 0.0
        self.error: PlugboardError | None = None
        self.requests: list[catalog_service_pb2.CheckConnectorUsableRequest] = []
        self.deadlines: list[float | None] = []

    async def CheckConnectorUsable(self, request, context):  # type: ignore[no-untyped-def]
        self.requests.append(request)
        self.deadlines.append(context.time_remaining())
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        connector_id = request.id or f"id-of-{request.key}"
        key = request.key or request.id.removeprefix("id-of-")
        return catalog_service_pb2.CheckConnectorUsableResponse(
            connector_id=connector_id, key=key, latest_version=1,
            version=connector_pb2.ConnectorVersion(connector_id=connector_id, key=key, number=1,
                                                   specification=self.spec),
            specification=self.spec, creator_project=request.project,
        )


async def serve_faulty_catalog(fake: FaultyCatalog) -> Served:
    served = build_server(
        [ServiceSpec("plugboard.catalog.v1.CatalogService",
                     lambda s: catalog_service_pb2_grpc.add_CatalogServiceServicer_to_server(fake, s))],
        host="127.0.0.1", port=0, max_message_bytes=4 * 1024 * 1024, max_concurrent_rpcs=100,
    )
    await start(served)
    return served
