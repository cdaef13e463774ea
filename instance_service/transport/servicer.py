"""The InstanceService servicer: convert, call the use case, convert back.

Errors are raised as ``plugboard.errors`` exceptions; the edge wrapper turns them into rich
statuses. Every downstream call (catalog, third-party test request) gets what is left of the caller's
deadline at most.
"""

from __future__ import annotations

from dataclasses import replace

import grpc

from plugboard.instance.v1 import instance_pb2, instance_service_pb2, instance_service_pb2_grpc
from plugboard.history import actor
from plugboard.rpc.client import remaining_timeout

from ..domain.customising import Customising
from ..domain.installation_model import Actor
from ..domain.installations import Installations, list_installations_query
from ..domain.service import Instances
from ..domain.updating import Updates
from ..domain.testing import ConnectionTests
from ..domain.versions import Upgrades
from . import convert
from . import convert_installations as iconvert

# Metadata the gateway sets with the caller's API key id (and strips from what callers send).

_MODES = {instance_service_pb2.UPDATE_MODE_OVERWRITE: "OVERWRITE", instance_service_pb2.UPDATE_MODE_ALONGSIDE: "ALONGSIDE"}

# Time kept back from the caller's deadline to answer after the catalog call.
_ANSWER_MARGIN_SECONDS = 0.05


class InstanceServicer(instance_service_pb2_grpc.InstanceServiceServicer):
    """Adapter between plugboard.instance.v1.InstanceService and the instance use cases."""

    def __init__(self, instances: Instances, tests: ConnectionTests, upgrades: Upgrades, *,
                 default_deadline_seconds: float, installations: Installations | None = None,
                 updates: Updates | None = None, customising: Customising | None = None) -> None:
        self._customising = customising
        self._installations = installations
        self._updates = updates
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
        msg = convert.references_to_proto(references)
        if self._installations is not None:
            total, refs = self._installations.count_references(request.connector_id, request.limit or 10)
            msg.installation_total = total
            msg.installations.extend(iconvert.installation_reference_to_proto(item) for item in refs)
        return msg

    # ---------------------------------------------------------------------------- installations

    def _actor(self, project: str, context: grpc.aio.ServicerContext) -> Actor:
        """The caller: the key id the gateway sets in the identity metadata (never a caller's own), as the
        server's edge bound it for this call (``plugboard.history.actor``)."""
        return Actor(key_id=actor.current().key_id[:255], project=project)

    def _uses(self) -> Installations:
        assert self._installations is not None
        return self._installations

    async def InstallConnector(self, request, context):  # type: ignore[no-untyped-def]
        item = await self._uses().install(
            request.project, connector_id=request.connector_id, connector_key=request.connector_key,
            version=request.version, alongside=request.alongside, request_id=request.request_id,
            actor=self._actor(request.project, context), timeout=self._timeout(context))
        return iconvert.installation_to_proto(item)

    async def _with_update(self, item, timeout: float):  # type: ignore[no-untyped-def]
        """The installation with the update the catalog offers (what changes, how many instances fail)."""
        if self._updates is None or not item.update_available:
            return item
        latest = await self._uses().latest(item, timeout)
        return replace(item, available_update=await self._updates.available_update(item, latest, timeout))

    async def GetInstallation(self, request, context):  # type: ignore[no-untyped-def]
        item = await self._uses().get(request.project, request.id, timeout=self._timeout(context))
        return iconvert.installation_to_proto(await self._with_update(item, self._timeout(context)))

    async def ListInstallations(self, request, context):  # type: ignore[no-untyped-def]
        query = list_installations_query(
            request.project, page_size=request.page_size, page_token=request.page_token,
            connector_ids=list(request.connector_ids), connector_key=request.connector_key,
            modified=iconvert.modified_filter(request.modified), sort=request.sort)
        page = await self._uses().list(query, timeout=self._timeout(context))
        items = [await self._with_update(item, self._timeout(context)) for item in page.items]
        return instance_service_pb2.ListInstallationsResponse(
            installations=[iconvert.installation_to_proto(item) for item in items], total=page.total or 0,
            next_page_token=page.next_page_token)

    async def CustomiseInstallation(self, request, context):  # type: ignore[no-untyped-def]
        assert self._customising is not None
        item = await self._customising.customise(
            request.project, request.id, request.version, iconvert.customisation_from_proto(request.customisation),
            actor=self._actor(request.project, context), timeout=self._timeout(context))
        return iconvert.installation_to_proto(await self._uses().get(request.project, item.id,
                                                                     timeout=self._timeout(context)))

    async def ListInstallationRevisions(self, request, context):  # type: ignore[no-untyped-def]
        assert self._customising is not None
        page = self._customising.revisions(request.project, request.installation_id, request.page_size,
                                           request.page_token)
        return instance_service_pb2.ListInstallationRevisionsResponse(
            revisions=[iconvert.revision_to_proto(item) for item in page.items],
            next_page_token=page.next_page_token)

    async def UpdateInstallation(self, request, context):  # type: ignore[no-untyped-def]
        assert self._updates is not None
        installation, results, target = await self._updates.update(
            request.project, request.id, expected_version=request.version, target_version=request.target_version,
            mode=_MODES.get(request.mode, ""), dry_run=request.dry_run,
            skip_failing=request.skip_failing_instances, actor=self._actor(request.project, context),
            timeout=self._timeout(context))
        return instance_service_pb2.UpdateInstallationResponse(
            installation=iconvert.installation_to_proto(installation), dry_run=request.dry_run,
            target_version=target, results=[iconvert.move_result_to_proto(item) for item in results])

    async def MoveInstances(self, request, context):  # type: ignore[no-untyped-def]
        assert self._updates is not None
        results = await self._updates.move(
            request.project, request.installation_id, instance_ids=list(request.instance_ids),
            from_installation_id=request.from_installation_id, dry_run=request.dry_run,
            skip_failing=request.skip_failing_instances, timeout=self._timeout(context))
        return instance_service_pb2.MoveInstancesResponse(
            results=[iconvert.move_result_to_proto(item) for item in results], dry_run=request.dry_run)

    async def UninstallConnector(self, request, context):  # type: ignore[no-untyped-def]
        self._uses().uninstall(request.project, request.id, request.version)
        return instance_service_pb2.UninstallConnectorResponse(message=f"installation {request.id!r} removed")

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
