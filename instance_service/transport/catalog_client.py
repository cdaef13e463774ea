"""The catalog as the instance service sees it: ``CatalogPort`` over gRPC (CheckConnectorUsable).

The catalog's refusals (NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT) pass through with their
reason and details (``from_rpc_error``); an unreachable or failing catalog becomes UNAVAILABLE with a
safe message (the channel's own text may name internal addresses).
"""

from __future__ import annotations

import grpc

from plugboard.catalog.v1 import catalog_service_pb2, catalog_service_pb2_grpc
from plugboard.errors import Cancelled, DeadlineExceeded, PlugboardError, Unavailable
from plugboard.rpc.status import from_rpc_error

from ..domain.model import UsableConnector
from .convert import usable_from_response

CHECK_METHOD = "plugboard.catalog.v1.CatalogService/CheckConnectorUsable"
_PASSED_THROUGH = (
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.INVALID_ARGUMENT,
)


def catalog_error(exc: grpc.RpcError) -> PlugboardError:
    """The domain error for a failed catalog call."""
    code = exc.code() if hasattr(exc, "code") else None
    if code in _PASSED_THROUGH:
        return from_rpc_error(exc)
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return DeadlineExceeded("the catalog service did not answer before the deadline; nothing was created",
                                reason="CATALOG_DEADLINE_EXCEEDED")
    if code == grpc.StatusCode.CANCELLED:
        return Cancelled("the call to the catalog service was cancelled; nothing was created")
    return Unavailable("the catalog service is unavailable; nothing was created, retry later",
                       reason="CATALOG_UNAVAILABLE")


class CatalogClient:
    """``instance_service.domain.service.CatalogPort`` on a grpc.aio channel to the catalog."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = catalog_service_pb2_grpc.CatalogServiceStub(channel)

    async def check_connector_usable(
        self, *, connector_id: str, connector_key: str, project: str, version: int, timeout: float
    ) -> UsableConnector:
        request = catalog_service_pb2.CheckConnectorUsableRequest(
            id=connector_id, key=connector_key, project=project, version=version,
        )
        try:
            response = await self._stub.CheckConnectorUsable(request, timeout=timeout)
        except grpc.RpcError as exc:
            raise catalog_error(exc) from exc
        return usable_from_response(response)
