import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from plugboard.catalog.v1 import specification_pb2 as _specification_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RepositoryCredentialsType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPOSITORY_CREDENTIALS_TYPE_UNSPECIFIED: _ClassVar[RepositoryCredentialsType]
    REPOSITORY_CREDENTIALS_TYPE_HTTPS_TOKEN: _ClassVar[RepositoryCredentialsType]
    REPOSITORY_CREDENTIALS_TYPE_SSH_KEY: _ClassVar[RepositoryCredentialsType]

class MediaType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEDIA_TYPE_UNSPECIFIED: _ClassVar[MediaType]
    MEDIA_TYPE_SCREENSHOT: _ClassVar[MediaType]
    MEDIA_TYPE_DEMO_VIDEO: _ClassVar[MediaType]

class ConnectorStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONNECTOR_STATUS_UNSPECIFIED: _ClassVar[ConnectorStatus]
    CONNECTOR_STATUS_DRAFT: _ClassVar[ConnectorStatus]
    CONNECTOR_STATUS_PROCESSING: _ClassVar[ConnectorStatus]
    CONNECTOR_STATUS_READY_FOR_CERTIFICATION: _ClassVar[ConnectorStatus]
    CONNECTOR_STATUS_IN_CERTIFICATION: _ClassVar[ConnectorStatus]
    CONNECTOR_STATUS_PUBLISHED: _ClassVar[ConnectorStatus]
    CONNECTOR_STATUS_FAILED: _ClassVar[ConnectorStatus]

class IsPreviewable(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IS_PREVIEWABLE_UNSPECIFIED: _ClassVar[IsPreviewable]
    IS_PREVIEWABLE_NONE: _ClassVar[IsPreviewable]
    IS_PREVIEWABLE_PENDING: _ClassVar[IsPreviewable]
    IS_PREVIEWABLE_TRUE: _ClassVar[IsPreviewable]
    IS_PREVIEWABLE_FALSE: _ClassVar[IsPreviewable]

class ConnectorReportEntryType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONNECTOR_REPORT_ENTRY_TYPE_UNSPECIFIED: _ClassVar[ConnectorReportEntryType]
    CONNECTOR_REPORT_ENTRY_TYPE_INFORMATION: _ClassVar[ConnectorReportEntryType]
    CONNECTOR_REPORT_ENTRY_TYPE_WARNING: _ClassVar[ConnectorReportEntryType]
    CONNECTOR_REPORT_ENTRY_TYPE_ERROR: _ClassVar[ConnectorReportEntryType]

class ConnectorStagedEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONNECTOR_STAGED_EVENT_TYPE_UNSPECIFIED: _ClassVar[ConnectorStagedEventType]
    CONNECTOR_STAGED_EVENT_TYPE_SNAPSHOT: _ClassVar[ConnectorStagedEventType]
    CONNECTOR_STAGED_EVENT_TYPE_UPDATED: _ClassVar[ConnectorStagedEventType]
    CONNECTOR_STAGED_EVENT_TYPE_DELETED: _ClassVar[ConnectorStagedEventType]
REPOSITORY_CREDENTIALS_TYPE_UNSPECIFIED: RepositoryCredentialsType
REPOSITORY_CREDENTIALS_TYPE_HTTPS_TOKEN: RepositoryCredentialsType
REPOSITORY_CREDENTIALS_TYPE_SSH_KEY: RepositoryCredentialsType
MEDIA_TYPE_UNSPECIFIED: MediaType
MEDIA_TYPE_SCREENSHOT: MediaType
MEDIA_TYPE_DEMO_VIDEO: MediaType
CONNECTOR_STATUS_UNSPECIFIED: ConnectorStatus
CONNECTOR_STATUS_DRAFT: ConnectorStatus
CONNECTOR_STATUS_PROCESSING: ConnectorStatus
CONNECTOR_STATUS_READY_FOR_CERTIFICATION: ConnectorStatus
CONNECTOR_STATUS_IN_CERTIFICATION: ConnectorStatus
CONNECTOR_STATUS_PUBLISHED: ConnectorStatus
CONNECTOR_STATUS_FAILED: ConnectorStatus
IS_PREVIEWABLE_UNSPECIFIED: IsPreviewable
IS_PREVIEWABLE_NONE: IsPreviewable
IS_PREVIEWABLE_PENDING: IsPreviewable
IS_PREVIEWABLE_TRUE: IsPreviewable
IS_PREVIEWABLE_FALSE: IsPreviewable
CONNECTOR_REPORT_ENTRY_TYPE_UNSPECIFIED: ConnectorReportEntryType
CONNECTOR_REPORT_ENTRY_TYPE_INFORMATION: ConnectorReportEntryType
CONNECTOR_REPORT_ENTRY_TYPE_WARNING: ConnectorReportEntryType
CONNECTOR_REPORT_ENTRY_TYPE_ERROR: ConnectorReportEntryType
CONNECTOR_STAGED_EVENT_TYPE_UNSPECIFIED: ConnectorStagedEventType
CONNECTOR_STAGED_EVENT_TYPE_SNAPSHOT: ConnectorStagedEventType
CONNECTOR_STAGED_EVENT_TYPE_UPDATED: ConnectorStagedEventType
CONNECTOR_STAGED_EVENT_TYPE_DELETED: ConnectorStagedEventType

class ConnectorStaged(_message.Message):
    __slots__ = ("id", "version", "key", "name", "description", "integration_types", "creator", "repository", "configurations", "global_configuration", "api_client", "private", "private_projects", "supported_regions", "certification_info", "status", "publishing_report", "already_listed", "has_changes", "is_previewable", "previewable_report", "documentation_url", "certified", "creator_project", "published_version", "create_time", "update_time", "media", "support_contact", "declaration_of_intent", "preview_number", "repository_credentials")
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_TYPES_FIELD_NUMBER: _ClassVar[int]
    CREATOR_FIELD_NUMBER: _ClassVar[int]
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    CONFIGURATIONS_FIELD_NUMBER: _ClassVar[int]
    GLOBAL_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    API_CLIENT_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_PROJECTS_FIELD_NUMBER: _ClassVar[int]
    SUPPORTED_REGIONS_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATION_INFO_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PUBLISHING_REPORT_FIELD_NUMBER: _ClassVar[int]
    ALREADY_LISTED_FIELD_NUMBER: _ClassVar[int]
    HAS_CHANGES_FIELD_NUMBER: _ClassVar[int]
    IS_PREVIEWABLE_FIELD_NUMBER: _ClassVar[int]
    PREVIEWABLE_REPORT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTATION_URL_FIELD_NUMBER: _ClassVar[int]
    CERTIFIED_FIELD_NUMBER: _ClassVar[int]
    CREATOR_PROJECT_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    SUPPORT_CONTACT_FIELD_NUMBER: _ClassVar[int]
    DECLARATION_OF_INTENT_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REPOSITORY_CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    id: str
    version: int
    key: str
    name: str
    description: str
    integration_types: _containers.RepeatedScalarFieldContainer[str]
    creator: Creator
    repository: Repository
    configurations: _containers.RepeatedCompositeFieldContainer[_specification_pb2.ConnectorConfigurationApplication]
    global_configuration: _specification_pb2.ConnectorGlobalConfiguration
    api_client: _specification_pb2.ConnectorApiClient
    private: bool
    private_projects: _containers.RepeatedScalarFieldContainer[str]
    supported_regions: _containers.RepeatedScalarFieldContainer[str]
    certification_info: CertificationInfo
    status: ConnectorStatus
    publishing_report: ConnectorReport
    already_listed: bool
    has_changes: bool
    is_previewable: IsPreviewable
    previewable_report: ConnectorReport
    documentation_url: str
    certified: bool
    creator_project: str
    published_version: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    media: _containers.RepeatedCompositeFieldContainer[MediaLink]
    support_contact: SupportContact
    declaration_of_intent: str
    preview_number: int
    repository_credentials: RepositoryCredentialsInfo
    def __init__(self, id: _Optional[str] = ..., version: _Optional[int] = ..., key: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., integration_types: _Optional[_Iterable[str]] = ..., creator: _Optional[_Union[Creator, _Mapping]] = ..., repository: _Optional[_Union[Repository, _Mapping]] = ..., configurations: _Optional[_Iterable[_Union[_specification_pb2.ConnectorConfigurationApplication, _Mapping]]] = ..., global_configuration: _Optional[_Union[_specification_pb2.ConnectorGlobalConfiguration, _Mapping]] = ..., api_client: _Optional[_Union[_specification_pb2.ConnectorApiClient, _Mapping]] = ..., private: _Optional[bool] = ..., private_projects: _Optional[_Iterable[str]] = ..., supported_regions: _Optional[_Iterable[str]] = ..., certification_info: _Optional[_Union[CertificationInfo, _Mapping]] = ..., status: _Optional[_Union[ConnectorStatus, str]] = ..., publishing_report: _Optional[_Union[ConnectorReport, _Mapping]] = ..., already_listed: _Optional[bool] = ..., has_changes: _Optional[bool] = ..., is_previewable: _Optional[_Union[IsPreviewable, str]] = ..., previewable_report: _Optional[_Union[ConnectorReport, _Mapping]] = ..., documentation_url: _Optional[str] = ..., certified: _Optional[bool] = ..., creator_project: _Optional[str] = ..., published_version: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., media: _Optional[_Iterable[_Union[MediaLink, _Mapping]]] = ..., support_contact: _Optional[_Union[SupportContact, _Mapping]] = ..., declaration_of_intent: _Optional[str] = ..., preview_number: _Optional[int] = ..., repository_credentials: _Optional[_Union[RepositoryCredentialsInfo, _Mapping]] = ...) -> None: ...

class RepositoryCredentialsInfo(_message.Message):
    __slots__ = ("type", "fingerprint")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    type: RepositoryCredentialsType
    fingerprint: str
    def __init__(self, type: _Optional[_Union[RepositoryCredentialsType, str]] = ..., fingerprint: _Optional[str] = ...) -> None: ...

class ConnectorStagedDraft(_message.Message):
    __slots__ = ("key", "name", "description", "integration_types", "creator", "repository", "supported_regions", "private_projects", "documentation_url", "media", "support_contact", "declaration_of_intent")
    KEY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_TYPES_FIELD_NUMBER: _ClassVar[int]
    CREATOR_FIELD_NUMBER: _ClassVar[int]
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    SUPPORTED_REGIONS_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_PROJECTS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTATION_URL_FIELD_NUMBER: _ClassVar[int]
    MEDIA_FIELD_NUMBER: _ClassVar[int]
    SUPPORT_CONTACT_FIELD_NUMBER: _ClassVar[int]
    DECLARATION_OF_INTENT_FIELD_NUMBER: _ClassVar[int]
    key: str
    name: str
    description: str
    integration_types: _containers.RepeatedScalarFieldContainer[str]
    creator: Creator
    repository: Repository
    supported_regions: _containers.RepeatedScalarFieldContainer[str]
    private_projects: _containers.RepeatedScalarFieldContainer[str]
    documentation_url: str
    media: _containers.RepeatedCompositeFieldContainer[MediaLink]
    support_contact: SupportContact
    declaration_of_intent: str
    def __init__(self, key: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., integration_types: _Optional[_Iterable[str]] = ..., creator: _Optional[_Union[Creator, _Mapping]] = ..., repository: _Optional[_Union[Repository, _Mapping]] = ..., supported_regions: _Optional[_Iterable[str]] = ..., private_projects: _Optional[_Iterable[str]] = ..., documentation_url: _Optional[str] = ..., media: _Optional[_Iterable[_Union[MediaLink, _Mapping]]] = ..., support_contact: _Optional[_Union[SupportContact, _Mapping]] = ..., declaration_of_intent: _Optional[str] = ...) -> None: ...

class MediaLink(_message.Message):
    __slots__ = ("type", "url", "title")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    type: MediaType
    url: str
    title: str
    def __init__(self, type: _Optional[_Union[MediaType, str]] = ..., url: _Optional[str] = ..., title: _Optional[str] = ...) -> None: ...

class SupportContact(_message.Message):
    __slots__ = ("email", "url")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    email: str
    url: str
    def __init__(self, email: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...

class Creator(_message.Message):
    __slots__ = ("name", "title", "email", "company", "logo_url", "no_of_contributors", "support_url")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    LOGO_URL_FIELD_NUMBER: _ClassVar[int]
    NO_OF_CONTRIBUTORS_FIELD_NUMBER: _ClassVar[int]
    SUPPORT_URL_FIELD_NUMBER: _ClassVar[int]
    name: str
    title: str
    email: str
    company: str
    logo_url: str
    no_of_contributors: int
    support_url: str
    def __init__(self, name: _Optional[str] = ..., title: _Optional[str] = ..., email: _Optional[str] = ..., company: _Optional[str] = ..., logo_url: _Optional[str] = ..., no_of_contributors: _Optional[int] = ..., support_url: _Optional[str] = ...) -> None: ...

class Repository(_message.Message):
    __slots__ = ("url", "tag")
    URL_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    url: str
    tag: str
    def __init__(self, url: _Optional[str] = ..., tag: _Optional[str] = ...) -> None: ...

class ConnectorReport(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[ConnectorReportEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[ConnectorReportEntry, _Mapping]]] = ...) -> None: ...

class ConnectorReportEntry(_message.Message):
    __slots__ = ("type", "title", "message", "create_time", "application")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_FIELD_NUMBER: _ClassVar[int]
    type: ConnectorReportEntryType
    title: str
    message: str
    create_time: _timestamp_pb2.Timestamp
    application: str
    def __init__(self, type: _Optional[_Union[ConnectorReportEntryType, str]] = ..., title: _Optional[str] = ..., message: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., application: _Optional[str] = ...) -> None: ...

class CertificationInfo(_message.Message):
    __slots__ = ("comments",)
    COMMENTS_FIELD_NUMBER: _ClassVar[int]
    comments: _containers.RepeatedCompositeFieldContainer[CertificationInfoComment]
    def __init__(self, comments: _Optional[_Iterable[_Union[CertificationInfoComment, _Mapping]]] = ...) -> None: ...

class CertificationInfoComment(_message.Message):
    __slots__ = ("user_id", "datetime", "comment", "meeting_time")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    DATETIME_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    MEETING_TIME_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    datetime: _timestamp_pb2.Timestamp
    comment: str
    meeting_time: _timestamp_pb2.Timestamp
    def __init__(self, user_id: _Optional[str] = ..., datetime: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., comment: _Optional[str] = ..., meeting_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ConnectorStagedEvent(_message.Message):
    __slots__ = ("connector_staged", "type")
    CONNECTOR_STAGED_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    connector_staged: ConnectorStaged
    type: ConnectorStagedEventType
    def __init__(self, connector_staged: _Optional[_Union[ConnectorStaged, _Mapping]] = ..., type: _Optional[_Union[ConnectorStagedEventType, str]] = ...) -> None: ...
