"""Conversion between the catalog's protobuf messages and its domain objects.

``ConnectorProtos`` keeps the serialized form of published versions (immutable) so that a Connector is
built per call from a few scalars plus cached bytes (issue 6: ``version_to_proto`` was 5-9% of a
GetConnector and of a CheckConnectorUsable).
"""

from __future__ import annotations

from datetime import datetime, timezone

from google.protobuf.timestamp_pb2 import Timestamp

from catalog_service.domain import actions as a
from catalog_service.domain import credentials as creds
from catalog_service.domain.drafts import DraftInput
from catalog_service.domain.service import Usable
from catalog_service.domain.model import (
    Application,
    Comment,
    Connector,
    Creator,
    Draft,
    EntryType,
    Lifecycle,
    MediaLink,
    MediaType,
    Previewable,
    PublishedVersion,
    ReportEntry,
    Repository,
    SecuredKey,
    Specification,
    StandardKey,
    Status,
    SupportContact,
)
from catalog_service.lru import Lru
from plugboard.catalog.v1 import catalog_service_pb2 as catpb
from plugboard.catalog.v1 import connector_pb2 as cpb
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.catalog.v1 import specification_pb2 as specpb
from plugboard.catalog.v1 import update_actions_pb2 as apb
from plugboard.rpc.timestamps import datetime_of

STATUS = {
    Status.DRAFT: spb.CONNECTOR_STATUS_DRAFT,
    Status.PROCESSING: spb.CONNECTOR_STATUS_PROCESSING,
    Status.READY_FOR_CERTIFICATION: spb.CONNECTOR_STATUS_READY_FOR_CERTIFICATION,
    Status.IN_CERTIFICATION: spb.CONNECTOR_STATUS_IN_CERTIFICATION,
    Status.PUBLISHED: spb.CONNECTOR_STATUS_PUBLISHED,
    Status.FAILED: spb.CONNECTOR_STATUS_FAILED,
}
STATUS_FROM_PROTO = {value: key for key, value in STATUS.items()}
PREVIEWABLE = {
    Previewable.NONE: spb.IS_PREVIEWABLE_NONE,
    Previewable.PENDING: spb.IS_PREVIEWABLE_PENDING,
    Previewable.TRUE: spb.IS_PREVIEWABLE_TRUE,
    Previewable.FALSE: spb.IS_PREVIEWABLE_FALSE,
}
ENTRY_TYPE = {
    EntryType.INFORMATION: spb.CONNECTOR_REPORT_ENTRY_TYPE_INFORMATION,
    EntryType.WARNING: spb.CONNECTOR_REPORT_ENTRY_TYPE_WARNING,
    EntryType.ERROR: spb.CONNECTOR_REPORT_ENTRY_TYPE_ERROR,
}
CREDENTIALS_TYPE = {
    creds.HTTPS: spb.REPOSITORY_CREDENTIALS_TYPE_HTTPS_TOKEN,
    creds.SSH: spb.REPOSITORY_CREDENTIALS_TYPE_SSH_KEY,
}
LIFECYCLE = {
    Lifecycle.ACTIVE: cpb.CONNECTOR_LIFECYCLE_STATE_ACTIVE,
    Lifecycle.DELETING: cpb.CONNECTOR_LIFECYCLE_STATE_DELETING,
}
AUTH_TYPE = {
    "none": specpb.AUTHENTICATION_TYPE_NONE,
    "api_key_header": specpb.AUTHENTICATION_TYPE_API_KEY_HEADER,
    "api_key_query": specpb.AUTHENTICATION_TYPE_API_KEY_QUERY,
    "basic": specpb.AUTHENTICATION_TYPE_BASIC,
    "bearer": specpb.AUTHENTICATION_TYPE_BEARER,
    "oauth2_client_credentials": specpb.AUTHENTICATION_TYPE_OAUTH2_CLIENT_CREDENTIALS,
}


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def meeting_time(value: Timestamp) -> datetime:
    """A request's timestamp as a datetime; INVALID_ARGUMENT on ``meeting_time`` when it names no moment a
    datetime holds (seconds outside years 1-9999, nanos outside 0-999 999 999)."""
    return datetime_of(value, "meeting_time")


def timestamp(value: datetime) -> Timestamp:
    """``Timestamp.FromDatetime`` (naive means UTC) without its pure-Python calendar arithmetic."""
    delta = (value if value.tzinfo else value.replace(tzinfo=timezone.utc)) - _EPOCH
    return Timestamp(seconds=delta.days * 86400 + delta.seconds, nanos=delta.microseconds * 1000)


def creator_from_proto(msg: spb.Creator) -> Creator:
    return Creator(
        name=msg.name,
        title=msg.title,
        email=msg.email,
        company=msg.company,
        logo_url=msg.logo_url,
        no_of_contributors=msg.no_of_contributors,
        support_url=msg.support_url,
    )


def creator_to_proto(creator: Creator) -> spb.Creator:
    return spb.Creator(
        name=creator.name,
        title=creator.title,
        email=creator.email,
        company=creator.company,
        logo_url=creator.logo_url,
        no_of_contributors=creator.no_of_contributors,
        support_url=creator.support_url,
    )


def draft_input_from_proto(msg: spb.ConnectorStagedDraft) -> DraftInput:
    return DraftInput(
        key=msg.key,
        name=msg.name,
        description=msg.description,
        integration_types=tuple(msg.integration_types),
        creator=creator_from_proto(msg.creator),
        repository=Repository(url=msg.repository.url, tag=msg.repository.tag),
        supported_regions=tuple(msg.supported_regions),
        private_projects=tuple(msg.private_projects),
        documentation_url=msg.documentation_url,
        media=media_from_proto(msg.media),
        support_contact=SupportContact(email=msg.support_contact.email, url=msg.support_contact.url),
        declaration_of_intent=msg.declaration_of_intent,
    )


MEDIA_TYPE = {MediaType.SCREENSHOT: spb.MEDIA_TYPE_SCREENSHOT, MediaType.DEMO_VIDEO: spb.MEDIA_TYPE_DEMO_VIDEO}
MEDIA_TYPE_FROM_PROTO = {value: key for key, value in MEDIA_TYPE.items()}


def media_from_proto(links) -> tuple[MediaLink, ...]:  # type: ignore[no-untyped-def]
    """Media links; an unspecified type stays None for validation to name."""
    return tuple(MediaLink(MEDIA_TYPE_FROM_PROTO.get(link.type), link.url, link.title)  # type: ignore[arg-type]
                 for link in links)


def media_to_proto(media: tuple[MediaLink, ...]) -> list[spb.MediaLink]:
    return [spb.MediaLink(type=MEDIA_TYPE[m.type], url=m.url, title=m.title) for m in media]


def comment_to_proto(c: Comment) -> spb.CertificationInfoComment:
    msg = spb.CertificationInfoComment(user_id=c.user_id, datetime=timestamp(c.datetime), comment=c.comment)
    if c.meeting_time is not None:
        msg.meeting_time.CopyFrom(timestamp(c.meeting_time))
    return msg


def report_to_proto(entries: tuple[ReportEntry, ...]) -> spb.ConnectorReport:
    return spb.ConnectorReport(
        entries=[
            spb.ConnectorReportEntry(
                type=ENTRY_TYPE[e.type],
                title=e.title,
                message=e.message,
                create_time=timestamp(e.created_at),
                application=e.application,
            )
            for e in entries
        ]
    )


def _standard(keys: tuple[StandardKey, ...]) -> list[specpb.StandardConfigurationKey]:
    return [
        specpb.StandardConfigurationKey(key=k.key, description=k.description, default=k.default, required=k.required)
        for k in keys
    ]


def _secured(keys: tuple[SecuredKey, ...]) -> list[specpb.SecuredConfigurationKey]:
    return [specpb.SecuredConfigurationKey(key=k.key, description=k.description, required=k.required) for k in keys]


def application_to_proto(app: Application) -> specpb.ConnectorConfigurationApplication:
    msg = specpb.ConnectorConfigurationApplication(
        application_name=app.name,
        application_type=app.type,
        standard_configuration=_standard(app.standard),
        secured_configuration=_secured(app.secured),
        endpoint=app.endpoint,
    )
    if app.post_deploy or app.pre_undeploy:
        msg.scripts.CopyFrom(specpb.ApplicationScripts(post_deploy=app.post_deploy, pre_undeploy=app.pre_undeploy))
    if app.schedule:
        msg.properties.CopyFrom(specpb.ApplicationProperties(schedule=app.schedule))
    if app.health_check is not None:
        check = app.health_check
        msg.health_check.CopyFrom(specpb.ApplicationHealthCheck(
            path=check.path, interval_seconds=check.interval_seconds, timeout_seconds=check.timeout_seconds,
            unhealthy_threshold=check.unhealthy_threshold))
    if app.retry_policy is not None:
        retry = app.retry_policy
        msg.retry_policy.CopyFrom(specpb.ApplicationRetryPolicy(
            strategy=retry.strategy, min_backoff_seconds=retry.min_backoff_seconds,
            max_backoff_seconds=retry.max_backoff_seconds, max_attempts=retry.max_attempts))
    return msg


def specification_to_proto(spec: Specification) -> specpb.ConnectorSpecification:
    msg = specpb.ConnectorSpecification(
        applications=[application_to_proto(app) for app in spec.applications],
        global_configuration=specpb.ConnectorGlobalConfiguration(
            standard_configuration=_standard(spec.global_standard),
            secured_configuration=_secured(spec.global_secured),
        ),
        api_client=specpb.ConnectorApiClient(scopes=list(spec.api_client_scopes)),
    )
    if spec.connection is not None:
        auth, test = spec.connection.authentication, spec.connection.test_request
        msg.connection.CopyFrom(
            specpb.ConnectionSpec(
                base_url_template=spec.connection.base_url_template,
                authentication=specpb.ConnectionAuthentication(
                    type=AUTH_TYPE[auth.type],
                    parameter_name=auth.parameter_name,
                    api_key_variable=auth.api_key_variable,
                    username_variable=auth.username_variable,
                    password_variable=auth.password_variable,
                    token_variable=auth.token_variable,
                    token_url_template=auth.token_url_template,
                    client_id_variable=auth.client_id_variable,
                    client_secret_variable=auth.client_secret_variable,
                    scopes=list(auth.scopes),
                ),
                test_request=specpb.ConnectionTestRequest(
                    method=test.method,
                    path=test.path,
                    expected_status=list(test.expected_status),
                    headers=dict(test.headers),
                ),
            )
        )
    return msg


def draft_to_proto(draft: Draft) -> spb.ConnectorStaged:
    spec = draft.specification
    msg = spb.ConnectorStaged(
        id=draft.id,
        version=draft.version,
        key=draft.key,
        name=draft.name,
        description=draft.description,
        integration_types=list(draft.integration_types),
        creator=creator_to_proto(draft.creator),
        repository=spb.Repository(url=draft.repository.url, tag=draft.repository.tag),
        configurations=[application_to_proto(app) for app in spec.applications],
        private=draft.private,
        private_projects=list(draft.private_projects),
        supported_regions=list(draft.supported_regions),
        certification_info=spb.CertificationInfo(
            comments=[comment_to_proto(c) for c in draft.comments]
        ),
        status=STATUS[draft.status],
        already_listed=draft.already_listed,
        has_changes=draft.has_changes,
        is_previewable=PREVIEWABLE[draft.is_previewable],
        documentation_url=draft.documentation_url,
        certified=draft.certified,
        creator_project=draft.creator_project,
        published_version=draft.published_version,
        create_time=timestamp(draft.created_at),
        update_time=timestamp(draft.updated_at),
        media=media_to_proto(draft.media),
        declaration_of_intent=draft.declaration_of_intent,
        preview_number=draft.preview_number if draft.preview is not None else 0,
    )
    if draft.support_contact != SupportContact():
        msg.support_contact.CopyFrom(spb.SupportContact(email=draft.support_contact.email,
                                                        url=draft.support_contact.url))
    if spec.global_standard or spec.global_secured:
        msg.global_configuration.standard_configuration.extend(_standard(spec.global_standard))
        msg.global_configuration.secured_configuration.extend(_secured(spec.global_secured))
    if spec.api_client_scopes:
        msg.api_client.scopes.extend(spec.api_client_scopes)
    if draft.repository_credentials is not None:  # what is set, never the value
        msg.repository_credentials.type = CREDENTIALS_TYPE[draft.repository_credentials.type]
        msg.repository_credentials.fingerprint = draft.repository_credentials.fingerprint
    if draft.publishing_report is not None:
        msg.publishing_report.CopyFrom(report_to_proto(draft.publishing_report))
    if draft.previewable_report is not None:
        msg.previewable_report.CopyFrom(report_to_proto(draft.previewable_report))
    return msg


def version_to_proto(version: PublishedVersion) -> cpb.ConnectorVersion:
    return cpb.ConnectorVersion(
        connector_id=version.connector_id,
        number=version.number,
        key=version.key,
        name=version.name,
        description=version.description,
        integration_types=list(version.integration_types),
        creator=creator_to_proto(version.creator),
        repository=spb.Repository(url=version.repository.url, tag=version.repository.tag),
        supported_regions=list(version.supported_regions),
        private_projects=list(version.private_projects),
        documentation_url=version.documentation_url,
        specification=specification_to_proto(version.specification),
        certified=version.certified,
        draft_version=version.draft_version,
        publish_time=timestamp(version.published_at),
        preview=version.preview,
    )


def connector_to_proto(connector: Connector, latest: bytes | None = None) -> cpb.Connector:
    """The Connector message; ``latest`` is the serialized latest version when the caller has it."""
    msg = cpb.Connector(
        id=connector.id,
        key=connector.key,
        lifecycle_state=LIFECYCLE[connector.lifecycle],
        listed=connector.listed,
        certified=connector.certified,
        private=connector.private,
        creator_project=connector.creator_project,
        create_time=timestamp(connector.created_at),
        update_time=timestamp(connector.updated_at),
    )
    if latest is None:
        msg.latest.CopyFrom(version_to_proto(connector.latest))
    else:
        msg.latest.MergeFromString(latest)
    return msg


PROTO_CACHE_SIZE = 10_000


class ConnectorProtos:
    """Converts connectors and versions with the serialized versions cached by ``(connector_id, number)``.

    Only versions handed out by the store reach here, and the store reads a connector's row before its
    versions: a deleted connector never gets this far, so the cache needs no invalidation.
    """

    def __init__(self, size: int = PROTO_CACHE_SIZE) -> None:
        self._versions: Lru[bytes] = Lru(size)
        self._usable: Lru[bytes] = Lru(size)

    def version_bytes(self, version: PublishedVersion) -> bytes:
        if version.preview:  # numbered apart from the published versions: never cached with them
            return version_to_proto(version).SerializeToString()
        key = (version.connector_id, version.number)
        data = self._versions.get(key)
        if data is None:
            data = version_to_proto(version).SerializeToString()
            self._versions.put(key, data)
        return data

    def version(self, version: PublishedVersion) -> cpb.ConnectorVersion:
        return cpb.ConnectorVersion.FromString(self.version_bytes(version))

    def connector(self, connector: Connector) -> cpb.Connector:
        return connector_to_proto(connector, self.version_bytes(connector.latest))

    def usable(self, usable: Usable) -> catpb.CheckConnectorUsableResponse:
        """CheckConnectorUsable's answer: all of it is immutable given the connector and the two numbers."""
        version = usable.version
        key = (usable.connector_id, usable.key, version.number, usable.latest_number, version.preview,
               usable.creator_project)
        data = self._usable.get(key)
        if data is None:
            proto_version = self.version(version)
            data = catpb.CheckConnectorUsableResponse(
                connector_id=usable.connector_id,
                key=usable.key,
                version=proto_version,
                latest_version=usable.latest_number,
                specification=proto_version.specification,
                creator_project=usable.creator_project,
            ).SerializeToString()
            self._usable.put(key, data)
        return catpb.CheckConnectorUsableResponse.FromString(data)


def action_from_proto(msg: apb.ConnectorStagedUpdateAction) -> tuple[a.Action | None, str]:
    """The domain action of one protobuf action and its oneof field name ("" when none is set)."""
    name = msg.WhichOneof("action") or ""
    if not name:
        return None, ""
    body = getattr(msg, name)
    fields = a.SET_ACTIONS.get(name)
    if fields is not None:
        if name == "set_media":
            return a.SetField(name, (media_from_proto(body.media),)), name
        return a.SetField(name, tuple(_plain(getattr(body, field.name)) for field in fields)), name
    match name:
        case "add_private_project":
            return a.AddPrivateProject(body.private_project), name
        case "remove_private_project":
            return a.RemovePrivateProject(body.private_project), name
        case "update_previewable":
            return a.UpdatePreviewable(), name
        case "publish":
            return a.Publish(body.certification), name
        case "unlist":
            return a.Unlist(), name
        case "add_certification_comment":
            return a.AddCertificationComment(body.comment), name
        case "set_repository_credentials":
            return a.SetRepositoryCredentials(_credentials_from_proto(body)), name
    return None, name


def _credentials_from_proto(body: apb.ConnectorStagedUpdateAction.SetRepositoryCredentials
                            ) -> creds.GitCredentials | None:
    match body.WhichOneof("credentials"):
        case "https":
            return creds.GitCredentials(creds.HTTPS, body.https.username, body.https.token)
        case "ssh":
            return creds.GitCredentials(creds.SSH, "", body.ssh.private_key)
    return None


def _plain(value: object) -> object:
    """A scalar field's value as it is; a repeated field's values as a tuple."""
    return value if isinstance(value, (str, int, float, bool)) else tuple(value)  # type: ignore[arg-type]


EVENT_TYPE = {
    "snapshot": spb.CONNECTOR_STAGED_EVENT_TYPE_SNAPSHOT,
    "updated": spb.CONNECTOR_STAGED_EVENT_TYPE_UPDATED,
    "deleted": spb.CONNECTOR_STAGED_EVENT_TYPE_DELETED,
}


def event_to_proto(kind: str, draft: Draft) -> spb.ConnectorStagedEvent:
    return spb.ConnectorStagedEvent(connector_staged=draft_to_proto(draft), type=EVENT_TYPE[kind])
