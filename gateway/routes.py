"""What the gateway does with each method of the services it serves.

Every method listed in the service descriptors gets a handler (``gateway.policy`` derives the rules):

- internal methods (no ``google.api.http`` annotation: the deletion lifecycle, the usability check, the
  reference count) answer PERMISSION_DENIED with reason ``INTERNAL_METHOD``: only services on the
  trusted network call them, directly on the backend;
- ``CatalogService.DeleteConnector`` runs the deletion protocol here (``gateway.deletion``), because the
  catalog alone cannot see instances; so do ``DeleteConnectorStaged`` and ``DeleteConnectorStagedByKey``
  (a draft's preview may have instances);
- everything else is forwarded as raw bytes to its backend (``gateway.forwarding``), but for the
  services the gateway serves itself (backend ``LOCAL``: the API-key history, ``gateway.key_history``),
  whose handlers ``gateway.server`` adds.

``build_handlers`` returns the generic handler of each service, registered under the service's own name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from gateway import deletion
from gateway.backends import Backend, CallScope, GrpcCatalog, GrpcInstances, split_metadata
from gateway.forwarding import Guard, abort_with_error, forwarding_handler, method_path
from gateway.key_history import KEY_HISTORY_SERVICE, LOCAL
from gateway.policy import internal_method, rules_of
from gateway.quotas import UNLIMITED
from plugboard.catalog.v1 import change_history_service_pb2 as catalog_history_pb2
from plugboard.catalog.v1 import (
    catalog_service_pb2,
    catalog_service_pb2_grpc,
    certification_service_pb2,
    connector_pb2,
    connector_staged_pb2,
)
from plugboard.errors import InvalidArgument, PlugboardError
from plugboard.instance.v1 import change_history_service_pb2 as instance_history_pb2
from plugboard.instance.v1 import instance_service_pb2, instance_service_pb2_grpc
from plugboard.rpc.status import to_status

CATALOG_SERVICE = catalog_service_pb2.DESCRIPTOR.services_by_name["CatalogService"]
CERTIFICATION_SERVICE = certification_service_pb2.DESCRIPTOR.services_by_name["CertificationService"]
INSTANCE_SERVICE = instance_service_pb2.DESCRIPTOR.services_by_name["InstanceService"]
CATALOG_HISTORY_SERVICE = catalog_history_pb2.DESCRIPTOR.services_by_name["CatalogChangeHistoryService"]
INSTANCE_HISTORY_SERVICE = instance_history_pb2.DESCRIPTOR.services_by_name["InstanceChangeHistoryService"]

# The services the gateway serves, and the backend ("catalog" / "instance") each goes to (LOCAL: the
# gateway answers it itself).
SERVICES: tuple[tuple[ServiceDescriptor, str], ...] = (
    (CATALOG_SERVICE, "catalog"),
    (CERTIFICATION_SERVICE, "catalog"),
    (INSTANCE_SERVICE, "instance"),
    (CATALOG_HISTORY_SERVICE, "catalog"),
    (INSTANCE_HISTORY_SERVICE, "instance"),
    (KEY_HISTORY_SERVICE, LOCAL),
)
SERVICE_NAMES: tuple[str, ...] = tuple(service.full_name for service, _ in SERVICES)

# How the gateway treats each method, by path; derived from the descriptors.
RULES = rules_of([service for service, _ in SERVICES])
BACKEND_OF: dict[str, str] = {
    method_path(method): backend for service, backend in SERVICES for method in service.methods
}
INTERNAL_METHODS = frozenset(path for path, rule in RULES.items() if rule.internal)
DELETE_CONNECTOR = "/plugboard.catalog.v1.CatalogService/DeleteConnector"
DELETE_STAGED = "/plugboard.catalog.v1.CatalogService/DeleteConnectorStaged"
DELETE_STAGED_BY_KEY = "/plugboard.catalog.v1.CatalogService/DeleteConnectorStagedByKey"
# The methods whose calls run the deletion protocol, and their request messages.
PROTOCOL_METHODS: dict[str, type] = {
    DELETE_CONNECTOR: catalog_service_pb2.DeleteConnectorRequest,
    DELETE_STAGED: catalog_service_pb2.DeleteConnectorStagedRequest,
    DELETE_STAGED_BY_KEY: catalog_service_pb2.DeleteConnectorStagedByKeyRequest,
}


def internal_method_handler(method: MethodDescriptor) -> grpc.RpcMethodHandler:
    """PERMISSION_DENIED ``INTERNAL_METHOD`` for a method external callers may not call."""
    status = to_status(internal_method(method))

    async def behaviour(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        await context.abort_with_status(status)
        return b""  # not reached: abort raises

    return grpc.unary_unary_rpc_method_handler(behaviour)


@dataclass
class DeleteConnectorHandler:
    """``CatalogService.DeleteConnector`` and the draft deletes: the deletion protocol over the two
    backends."""

    catalog: Backend
    instance: Backend
    default_deadline: float
    guard: Guard | None = None

    def __post_init__(self) -> None:
        self._catalog = catalog_service_pb2_grpc.CatalogServiceStub(self.catalog.channel)
        self._instances = instance_service_pb2_grpc.InstanceServiceStub(self.instance.channel)

    async def run(self, request: Any, scope: CallScope) -> Any:
        """The protocol for an admitted request (gRPC and HTTP alike): a ``DeleteConnectorRequest``
        answers a ``DeleteConnectorResponse``, a draft delete the deleted ``ConnectorStaged``."""
        catalog, instances = GrpcCatalog(self._catalog, scope), GrpcInstances(self._instances, scope)
        if isinstance(request, catalog_service_pb2.DeleteConnectorRequest):
            return to_response(await deletion.delete_connector(
                catalog, instances, request.id, project=request.project, dry_run=request.dry_run))
        target = deletion.DraftTarget(id=getattr(request, "id", ""), key=getattr(request, "key", ""),
                                      version=request.version, project=request.project)
        if isinstance(request, catalog_service_pb2.DeleteConnectorStagedByKeyRequest) and not target.key:
            raise InvalidArgument.single("key", "is required")
        return await deletion.delete_draft(catalog, instances, target)

    async def handle(self, path: str, request: bytes, context: grpc.aio.ServicerContext) -> Any:
        try:
            metadata, credential = split_metadata(context.invocation_metadata())
            slot = UNLIMITED
            if self.guard is not None:
                admission = await self.guard(path, request, credential)
                request, slot = admission.request, admission.slot
                metadata += admission.identity
            try:
                request_class = PROTOCOL_METHODS[path]
                try:
                    message = request_class.FromString(request)
                except Exception:
                    raise InvalidArgument.single(
                        "", f"the request is not a valid {request_class.__name__}") from None
                remaining = context.time_remaining()
                return await self.run(message, CallScope(
                    metadata, self.default_deadline if remaining is None else remaining))
            finally:
                slot.release()
        except PlugboardError as err:
            await abort_with_error(context, err)

    def method_handler(self, path: str = DELETE_CONNECTOR) -> grpc.RpcMethodHandler:
        response = (catalog_service_pb2.DeleteConnectorResponse if path == DELETE_CONNECTOR
                    else connector_staged_pb2.ConnectorStaged)

        async def behaviour(request: bytes, context: grpc.aio.ServicerContext) -> Any:
            return await self.handle(path, request, context)

        return grpc.unary_unary_rpc_method_handler(behaviour, response_serializer=response.SerializeToString)


def to_response(result: deletion.DeletionResult) -> catalog_service_pb2.DeleteConnectorResponse:
    return catalog_service_pb2.DeleteConnectorResponse(
        deleted=result.deleted,
        dry_run=result.dry_run,
        referencing_instance_count=result.referencing_instance_count,
        referencing_instances=[
            connector_pb2.ReferencingInstance(project=ref.project, instance_id=ref.id, name=ref.name)
            for ref in result.referencing_instances
        ],
    )


def build_handlers(
    backends: Mapping[str, Backend],
    *,
    default_deadline: float,
    guard: Guard | None = None,
    delete: DeleteConnectorHandler | None = None,
) -> dict[str, grpc.GenericRpcHandler]:
    """The generic handler of each forwarded service, by full service name; ``backends`` maps
    "catalog" and "instance" to their ``Backend``. The ``LOCAL`` services are not among them."""
    if delete is None:
        delete = DeleteConnectorHandler(backends["catalog"], backends["instance"], default_deadline, guard)
    handlers: dict[str, grpc.GenericRpcHandler] = {}
    for service, backend_name in SERVICES:
        if backend_name == LOCAL:
            continue
        methods: dict[str, grpc.RpcMethodHandler] = {}
        for method in service.methods:
            path = method_path(method)
            if path in INTERNAL_METHODS:
                methods[method.name] = internal_method_handler(method)
            elif path in PROTOCOL_METHODS:
                methods[method.name] = delete.method_handler(path)
            else:
                methods[method.name] = forwarding_handler(
                    backends[backend_name], method, default_deadline=default_deadline, guard=guard)
        handlers[service.full_name] = grpc.method_handlers_generic_handler(service.full_name, methods)
    return handlers
