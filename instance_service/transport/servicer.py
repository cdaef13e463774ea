"""The InstanceService servicer: convert, call the use case, convert back.

Errors are raised as ``plugboard.errors`` exceptions; the edge wrapper turns them into rich
statuses. Every downstream call (catalog, third-party test request) gets what is left of the caller's
deadline at most.
"""

from __future__ import annotations

import grpc

from plugboard.instance.v1 import instance_pb2, instance_service_pb2, instance_service_pb2_grpc
from plugboard.rpc.client import remaining_timeout

from ..domain.service import Instances
from ..domain.testing import ConnectionTests
from ..domain.versions import Upgrades
from . import convert

# Time kept back from the caller's deadline to answer after the catalog call.
_ANSWER_MARGIN_SECONDS = 0.05


class InstanceServicer(instance_service_pb2_grpc.InstanceServiceServicer):
    """Adapter between plugboard.instance.v1.InstanceService and the instance use cases."""

    def __init__(self, instances: Instances, tests: ConnectionTests, upgrades: Upgrades, *,
                 default_deadline_seconds: float) -> None:
        self._instances = instances
        self._tests = tests
        self._upgrades = upgrades
        self._default_deadline = default_deadline_seconds

    def _timeout(self, context: grpc.aio.ServicerContext) -> float:
        return remaining_timeout(context, self._default_deadline, margin=_ANSWER_MARGIN_SECONDS)

    async def CreateInstance(
        self, request: instance_service_pb2.CreateInstanceRequest, context: grpc.aio.ServicerContext
    ) -> instance_pb2.Instance:
        instance = await self._instances.create(
            request.project,
            convert.draft_from_proto(request.instance),
            request.request_id,
            timeout=self._timeout(context),
        )
        msg = convert.instance_to_proto(instance)
        if request.test_connection and instance.last_test is None:
            result = await self._tests.test(request.project, instance.id, timeout=self._timeout(context),
                                            instance=instance)
            msg.last_connection_test.CopyFrom(convert.test_result_to_proto(result))
        return msg

    async def GetInstance(
        self, request: instance_service_pb2.GetInstanceRequest, context: grpc.aio.ServicerContext
    ) -> instance_pb2.Instance:
        instance = await self._instances.read(request.project, request.id, timeout=self._timeout(context))
        return convert.instance_to_proto(instance)

    async def ListInstances(
        self, request: instance_service_pb2.ListInstancesRequest, context: grpc.aio.ServicerContext
    ) -> instance_service_pb2.ListInstancesResponse:
        query = convert.list_query_from_request(request)
        page = await self._instances.read_page(query, timeout=self._timeout(context))
        return convert.page_to_proto(page, query.per_page)

    async def UpdateInstance(
        self, request: instance_service_pb2.UpdateInstanceRequest, context: grpc.aio.ServicerContext
    ) -> instance_pb2.Instance:
        instance = await self._instances.update(
            request.project, request.instance.id, request.instance.version, convert.patch_from_request(request),
            timeout=self._timeout(context),
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
        result = await self._tests.test(request.project, request.id, timeout=self._timeout(context))
        return convert.test_result_to_proto(result)

    async def ListConnectionTests(
        self, request: instance_service_pb2.ListConnectionTestsRequest, context: grpc.aio.ServicerContext
    ) -> instance_service_pb2.ListConnectionTestsResponse:
        page = self._tests.list(request.project, request.instance_id, request.page_size, request.page_token)
        return instance_service_pb2.ListConnectionTestsResponse(
            results=[convert.test_result_to_proto(item) for item in page.items],
            next_page_token=page.next_page_token,
        )

    async def UpgradeInstance(
        self, request: instance_service_pb2.UpgradeInstanceRequest, context: grpc.aio.ServicerContext
    ) -> instance_service_pb2.UpgradeInstanceResponse:
        report = await self._upgrades.upgrade(
            request.project, instance_id=request.instance_id, connector_id=request.connector_id,
            target_version=request.target_version, dry_run=request.dry_run,
            policy=convert.version_policy(request.version_policy),
            variables=tuple(convert.variable_input(item) for item in request.variables),
            timeout=self._timeout(context),
        )
        return instance_service_pb2.UpgradeInstanceResponse(
            dry_run=report.dry_run, target_version=report.target_version,
            results=[
                instance_service_pb2.UpgradeResult(instance_id=item.instance_id, from_version=item.from_version,
                                                   upgraded=item.upgraded, problems=list(item.problems))
                for item in report.results
            ],
        )
