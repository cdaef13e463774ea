"""The catalog as the instance service sees it: ``CatalogPort`` over gRPC (CheckConnectorUsable).

The catalog's refusals (NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT) pass through with their
reason and details; an unreachable or failing catalog becomes CATALOG_UNAVAILABLE, a spent deadline
CATALOG_DEADLINE_EXCEEDED, with safe messages (``plugboard.rpc.status.from_rpc_error``, the one converter).
"""

from __future__ import annotations

import grpc

from plugboard.catalog.v1 import catalog_service_pb2, catalog_service_pb2_grpc
from plugboard.rpc.status import from_rpc_error

from ..domain.model import UsableConnector
from .convert import usable_from_response

CHECK_METHOD = "plugboard.catalog.v1.CatalogService/CheckConnectorUsable"
# The catalog's refusals a caller acts on; any other failure of the catalog is CATALOG_UNAVAILABLE.
PASSED_THROUGH = frozenset({
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.INVALID_ARGUMENT,
})


class CatalogClient:
    """``instance_service.domain.service.CatalogPort`` on a grpc.aio channel to the catalog."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = catalog_service_pb2_grpc.CatalogServiceStub(channel)

    async def check_connector_usable(
        self, *, connector_id: str, connector_key: str, project: str, version: int, timeout: float,
        existing_use: bool = False, preview: bool = False,
    ) -> UsableConnector:
        request = catalog_service_pb2.CheckConnectorUsableRequest(
            id=connector_id, key=connector_key, project=project, version=version, existing_use=existing_use,
            preview=preview,
        )
        try:
            response = await self._stub.CheckConnectorUsable(request, timeout=timeout)
        except grpc.RpcError as exc:
            raise from_rpc_error(exc, "catalog", keep=PASSED_THROUGH, reason_prefix="CATALOG") from exc
        return usable_from_response(response)
