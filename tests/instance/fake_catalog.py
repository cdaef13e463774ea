"""A stand-in CatalogService for answers the real catalog cannot give yet (issue 2 publishes versions
with an empty specification) or on demand: a specification with configuration keys, a slow answer,
a chosen error. A real gRPC server on a free port; only CheckConnectorUsable is answered.

Used only where the real catalog cannot run the case (STYLE.md: fakes where the real part cannot run).
"""

from __future__ import annotations

import asyncio

from plugboard.catalog.v1 import catalog_service_pb2, catalog_service_pb2_grpc, connector_pb2, specification_pb2
from plugboard.errors import FailedPrecondition, PlugboardError
from plugboard.rpc.server import Served, ServiceSpec, build_server, start


def specification(standard=(), secured=(), global_standard=(), global_secured=(), connection=None):  # type: ignore[no-untyped-def]
    """A ConnectorSpecification: ``standard`` items are (key, required, default), ``secured`` (key, required),
    ``connection`` a specification_pb2.ConnectionSpec (see ``connection_section``)."""
    return specification_pb2.ConnectorSpecification(
        connection=connection,
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


def connection_section(base_url: str, auth_type: str = "NONE", path: str = "/ping", method: str = "GET",
                       expected=(200,), headers=None, **auth):  # type: ignore[no-untyped-def]
    """A `connection` section: ``auth_type`` an AuthenticationType name without prefix, ``auth`` the
    ConnectionAuthentication fields (api_key_variable=..., token_url_template=..., scopes=[...])."""
    return specification_pb2.ConnectionSpec(
        base_url_template=base_url,
        authentication=specification_pb2.ConnectionAuthentication(
            type=specification_pb2.AuthenticationType.Value(f"AUTHENTICATION_TYPE_{auth_type}"), **auth),
        test_request=specification_pb2.ConnectionTestRequest(method=method, path=path, expected_status=list(expected),
                                                             headers=headers or {}),
    )


class FakeCatalog(catalog_service_pb2_grpc.CatalogServiceServicer):
    """Answers CheckConnectorUsable with ``spec`` after ``delay`` seconds, or raises ``error``.

    With ``versions`` (number -> specification) set, it serves several published versions instead:
    version 0 means the latest (the highest number), an unknown number is FAILED_PRECONDITION
    CONNECTOR_VERSION_NOT_FOUND, as the real catalog answers.
    """

    def __init__(self) -> None:
        self.spec = specification_pb2.ConnectorSpecification()
        self.delay = 0.0
        self.error: PlugboardError | None = None
        self.version = 2
        self.latest_version = 3
        self.versions: dict[int, specification_pb2.ConnectorSpecification] | None = None
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
        number, latest, spec = self.version, self.latest_version, self.spec
        if self.versions:
            latest = max(self.versions)
            number = request.version or latest
            if number not in self.versions:
                raise FailedPrecondition.single("CONNECTOR_VERSION_NOT_FOUND", f"connectors/{connector_id}/versions/{number}",
                                                f"the connector has no published version {number}")
            spec = self.versions[number]
        return catalog_service_pb2.CheckConnectorUsableResponse(
            connector_id=connector_id, key=key, latest_version=latest,
            version=connector_pb2.ConnectorVersion(connector_id=connector_id, key=key, number=number,
                                                   specification=spec),
            specification=spec,
        )


async def serve_fake_catalog(fake: FakeCatalog) -> Served:
    served = build_server(
        [ServiceSpec("plugboard.catalog.v1.CatalogService",
                     lambda s: catalog_service_pb2_grpc.add_CatalogServiceServicer_to_server(fake, s))],
        host="127.0.0.1", port=0, max_message_bytes=4 * 1024 * 1024, max_concurrent_rpcs=100,
    )
    await start(served)
    return served
