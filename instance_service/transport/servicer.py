"""The InstanceService servicer: convert, call the use case, convert back.

Errors are raised as ``plugboard.errors`` exceptions; the edge interceptor turns them into rich
statuses. RPCs that arrive with issue 4 (connection tests, upgrades) answer UNIMPLEMENTED.
"""

from __future__ import annotations

import grpc

from plugboard.errors import Unimplemented
from plugboard.instance.v1 import instance_pb2, instance_service_pb2, instance_service_pb2_grpc
from plugboard.rpc.client import remaining_timeout

from ..domain.service import Instances
from . import convert

# Time kept back from the caller's deadline to answer after the catalog call.
_ANSWER_MARGIN_SECONDS = 0.05


class InstanceServicer(instance_service_pb2_grpc.InstanceServiceServicer):
    """Adapter between plugboard.instance.v1.InstanceService and ``Instances``."""

    def __init__(self, instances: Instances, *, default_deadline_seconds: float) -> None:
        self._instances = instances
        self._default_deadline = default_deadline_seconds

    async def CreateInstance(
        self, request: instance_service_pb2.CreateInstanceRequest, context: grpc.aio.ServicerContext
    ) -> instance_pb2.Instance:
        if request.test_connection:
            raise Unimplemented("test_connection on create is not implemented yet; nothing was created",
                                reason="CONNECTION_TEST_NOT_IMPLEMENTED")
        instance = await self._instances.create(
            request.project,
            convert.draft_from_proto(request.instance),
            request.request_id,
            timeout=remaining_timeout(context, self._default_deadline, margin=_ANSWER_MARGIN_SECONDS),
        )
        return convert.instance_to_proto(instance)

    async def GetInstance(
        self, request: instance_service_pb2.GetInstanceRequest, context: grpc.aio.ServicerContext
    ) -> instance_pb2.Instance:
        return convert.instance_to_proto(self._instances.get(request.project, request.id))

    async def ListInstances(
        self, request: instance_service_pb2.ListInstancesRequest, context: grpc.aio.ServicerContext
    ) -> instance_service_pb2.ListInstancesResponse:
        page = self._instances.list(convert.list_query_from_request(request))
        return convert.page_to_proto(page)

    async def UpdateInstance(
        self, request: instance_service_pb2.UpdateInstanceRequest, context: grpc.aio.ServicerContext
    ) -> instance_pb2.Instance:
        instance = self._instances.update(
            request.project, request.instance.id, request.instance.version, convert.patch_from_request(request)
        )
        return convert.instance_to_proto(instance)

    async def DeleteInstance(
        self, request: instance_service_pb2.DeleteInstanceRequest, context: grpc.aio.ServicerContext
    ) -> instance_service_pb2.DeleteInstanceResponse:
        self._instances.delete(request.project, request.id, request.version)
        return instance_service_pb2.DeleteInstanceResponse(message=f"instance {request.id!r} deleted")

    async def CountConnectorReferences(
        self, request: instance_service_pb2.CountConnectorReferencesRequest, context: grpc.aio.ServicerContext
    ) -> instance_service_pb2.CountConnectorReferencesResponse:
        references = self._instances.count_references(request.connector_id, request.limit)
        return convert.references_to_proto(references)

    async def TestInstanceConnection(
        self, request: instance_service_pb2.TestInstanceConnectionRequest, context: grpc.aio.ServicerContext
    ) -> instance_pb2.ConnectionTestResult:
        raise Unimplemented("TestInstanceConnection is not implemented yet")

    async def ListConnectionTests(
        self, request: instance_service_pb2.ListConnectionTestsRequest, context: grpc.aio.ServicerContext
    ) -> instance_service_pb2.ListConnectionTestsResponse:
        raise Unimplemented("ListConnectionTests is not implemented yet")

    async def UpgradeInstance(
        self, request: instance_service_pb2.UpgradeInstanceRequest, context: grpc.aio.ServicerContext
    ) -> instance_service_pb2.UpgradeInstanceResponse:
        raise Unimplemented("UpgradeInstance is not implemented yet")
