"""gRPC servicers of the catalog: adapters from requests to ``Catalog`` use cases and back.

Handlers raise domain errors; the server's edge wrapper turns them into rich statuses.
"""

from __future__ import annotations


from catalog_service.domain.service import Catalog, Certification, require
from catalog_service.domain.validation import check_create_request
from catalog_service.watch import DraftNotifier, watch_draft
from plugboard.catalog.v1 import catalog_service_pb2 as pb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as pb_grpc
from plugboard.catalog.v1 import connector_pb2
from plugboard.catalog.v1 import certification_service_pb2 as cert_pb
from plugboard.catalog.v1 import certification_service_pb2_grpc as cert_grpc
from plugboard.errors import FailedPrecondition

from . import convert


class CatalogServicer(pb_grpc.CatalogServiceServicer):
    """plugboard.catalog.v1.CatalogService."""

    def __init__(self, catalog: Catalog, notifier: DraftNotifier, reread_seconds: float = 1.0) -> None:
        self.catalog = catalog
        self.notifier = notifier
        self.reread_seconds = reread_seconds
        self.protos = convert.ConnectorProtos()

    async def CreateConnectorStaged(self, request, context):
        check_create_request(request.project, request.request_id)
        draft = self.catalog.create_draft(
            convert.draft_input_from_proto(request.draft), project=request.project, request_id=request.request_id
        )
        return convert.draft_to_proto(draft)

    async def GetConnectorStaged(self, request, context):
        return convert.draft_to_proto(self.catalog.get_draft(draft_id=request.id, project=request.project))

    async def GetConnectorStagedByKey(self, request, context):
        require(request.key, "key")
        return convert.draft_to_proto(self.catalog.get_draft(key=request.key, project=request.project))

    async def QueryConnectorStaged(self, request, context):
        page, limit = self.catalog.query_drafts(
            limit=request.limit,
            offset=request.offset,
            sorts=list(request.sort),
            is_private=request.is_private if request.HasField("is_private") else None,
            integration_types=list(request.integration_types),
            project=request.project,
            page_token=request.page_token,
        )
        return pb.ConnectorStagedPagedQueryResponse(
            limit=limit,
            offset=page.offset,
            count=len(page.items),
            total=page.total,
            results=[convert.draft_to_proto(d) for d in page.items],
            next_page_token=page.next_page_token,
        )

    async def UpdateConnectorStaged(self, request, context):
        return self._update(request, draft_id=request.id)

    async def UpdateConnectorStagedByKey(self, request, context):
        require(request.key, "key")
        return self._update(request, key=request.key)

    def _update(self, request, *, draft_id: str = "", key: str = ""):
        pairs = [convert.action_from_proto(action) for action in request.actions]
        draft = self.catalog.update_draft(
            draft_id=draft_id,
            key=key,
            version=request.version,
            actions=[action for action, _ in pairs],
            names=[name for _, name in pairs],
            project=request.project,
        )
        return convert.draft_to_proto(draft)

    async def DeleteConnectorStaged(self, request, context):
        draft = self.catalog.delete_draft(draft_id=request.id, version=request.version, project=request.project)
        return convert.draft_to_proto(draft)

    async def DeleteConnectorStagedByKey(self, request, context):
        require(request.key, "key")
        draft = self.catalog.delete_draft(key=request.key, version=request.version, project=request.project)
        return convert.draft_to_proto(draft)

    async def WatchConnectorStaged(self, request, context):
        require(request.id, "id")

        def read():
            return self.catalog.get_draft(draft_id=request.id, project=request.project)

        async for kind, draft in watch_draft(request.id, read, self.notifier, self.reread_seconds):
            yield convert.event_to_proto(kind, draft)

    async def GetConnector(self, request, context):
        return self.protos.connector(self.catalog.get_connector(connector_id=request.id, project=request.project))

    async def GetConnectorByKey(self, request, context):
        require(request.key, "key")
        return self.protos.connector(self.catalog.get_connector(key=request.key, project=request.project))

    async def ListConnectors(self, request, context):
        page, limit = self.catalog.list_connectors(
            limit=request.limit,
            offset=request.offset,
            sorts=list(request.sort),
            text=request.text,
            integration_types=list(request.integration_types),
            certified_only=request.certified_only,
            project=request.project,
            page_token=request.page_token,
            private=request.private if request.HasField("private") else None,
            creator_company=request.creator_company,
            ids=list(request.ids),
            keys=list(request.keys),
        )
        return pb.ListConnectorsResponse(
            limit=limit,
            offset=page.offset,
            count=len(page.items),
            total=page.total,
            results=[self.protos.connector(c) for c in page.items],
            next_page_token=page.next_page_token,
        )

    async def ListConnectorVersions(self, request, context):
        page, limit = self.catalog.list_versions(
            connector_id=request.connector_id,
            limit=request.limit,
            offset=request.offset,
            page_token=request.page_token,
            project=request.project,
        )
        return pb.ListConnectorVersionsResponse(
            limit=limit,
            offset=page.offset,
            count=len(page.items),
            total=page.total,
            results=[self.protos.version(v) for v in page.items],
            next_page_token=page.next_page_token,
        )

    async def GetConnectorVersion(self, request, context):
        version = self.catalog.get_version(
            connector_id=request.connector_id, number=request.number, project=request.project
        )
        return self.protos.version(version)

    async def DeleteConnector(self, request, context):
        raise FailedPrecondition.single(
            "DELETE_REQUIRES_REFERENCE_CHECK",
            f"connectors/{request.id}",
            "the catalog cannot see instances: delete connectors through the gateway, which checks references",
        )

    async def BeginConnectorDeletion(self, request, context):
        if request.staged:
            if not request.id:
                require(request.key, "key")
            draft = self.catalog.begin_draft_deletion(draft_id=request.id, key=request.key,
                                                      version=request.version, project=request.project)
            return connector_pb2.Connector(id=draft.id, key=draft.key)
        return convert.connector_to_proto(self.catalog.begin_deletion(request.id))

    async def CancelConnectorDeletion(self, request, context):
        if request.staged:
            self.catalog.cancel_draft_deletion(request.id)
            return connector_pb2.Connector(id=request.id)
        return convert.connector_to_proto(self.catalog.cancel_deletion(request.id))

    async def CompleteConnectorDeletion(self, request, context):
        if request.staged:
            draft = self.catalog.complete_draft_deletion(request.id)
            return pb.CompleteConnectorDeletionResponse(id=draft.id, key=draft.key,
                                                        connector_staged=convert.draft_to_proto(draft))
        connector, versions = self.catalog.complete_deletion(request.id)
        return pb.CompleteConnectorDeletionResponse(id=connector.id, key=connector.key, deleted_versions=versions)

    async def CheckConnectorUsable(self, request, context):
        usable = self.catalog.check_usable(
            connector_id=request.id, key=request.key, project=request.project, version=request.version,
            existing_use=request.existing_use, preview=request.preview,
        )
        return self.protos.usable(usable)


class CertificationServicer(cert_grpc.CertificationServiceServicer):
    """plugboard.catalog.v1.CertificationService: the reviewer's side."""

    def __init__(self, certification: Certification) -> None:
        self.certification = certification

    async def ListCertificationQueue(self, request, context):
        page, limit = self.certification.queue(
            limit=request.limit, offset=request.offset, status=convert.STATUS_FROM_PROTO.get(request.status),
            page_token=request.page_token, reviewer=request.reviewer,
        )
        return cert_pb.ListCertificationQueueResponse(
            limit=limit, offset=page.offset, count=len(page.items), total=page.total,
            results=[convert.draft_to_proto(d) for d in page.items], next_page_token=page.next_page_token,
        )

    async def StartCertificationReview(self, request, context):
        return convert.draft_to_proto(self.certification.start(
            draft_id=request.id, version=request.version, reviewer=request.reviewer))

    async def AddReviewComment(self, request, context):
        return convert.draft_to_proto(self.certification.comment(
            draft_id=request.id, version=request.version, comment=request.comment, reviewer=request.reviewer))

    async def ScheduleReviewMeeting(self, request, context):
        meeting = convert.meeting_time(request.meeting_time) if request.HasField("meeting_time") else None
        return convert.draft_to_proto(self.certification.schedule_meeting(
            draft_id=request.id, version=request.version, comment=request.comment, reviewer=request.reviewer,
            meeting_time=meeting))

    async def ApproveCertification(self, request, context):
        return convert.draft_to_proto(self.certification.approve(
            draft_id=request.id, version=request.version, comment=request.comment, reviewer=request.reviewer))

    async def RejectCertification(self, request, context):
        return convert.draft_to_proto(self.certification.reject(
            draft_id=request.id, version=request.version, comment=request.comment, reviewer=request.reviewer))
