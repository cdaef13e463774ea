import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from plugboard.catalog.v1 import connector_staged_pb2 as _connector_staged_pb2
from plugboard.catalog.v1 import specification_pb2 as _specification_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConnectorLifecycleState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONNECTOR_LIFECYCLE_STATE_UNSPECIFIED: _ClassVar[ConnectorLifecycleState]
    CONNECTOR_LIFECYCLE_STATE_ACTIVE: _ClassVar[ConnectorLifecycleState]
    CONNECTOR_LIFECYCLE_STATE_DELETING: _ClassVar[ConnectorLifecycleState]
CONNECTOR_LIFECYCLE_STATE_UNSPECIFIED: ConnectorLifecycleState
CONNECTOR_LIFECYCLE_STATE_ACTIVE: ConnectorLifecycleState
CONNECTOR_LIFECYCLE_STATE_DELETING: ConnectorLifecycleState

class Connector(_message.Message):
    __slots__ = ("id", "key", "latest", "lifecycle_state", "listed", "certified", "private", "creator_project", "create_time", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    LATEST_FIELD_NUMBER: _ClassVar[int]
    LIFECYCLE_STATE_FIELD_NUMBER: _ClassVar[int]
    LISTED_FIELD_NUMBER: _ClassVar[int]
    CERTIFIED_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_FIELD_NUMBER: _ClassVar[int]
    CREATOR_PROJECT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    key: str
    latest: ConnectorVersion
    lifecycle_state: ConnectorLifecycleState
    listed: bool
    certified: bool
    private: bool
    creator_project: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., key: _Optional[str] = ..., latest: _Optional[_Union[ConnectorVersion, _Mapping]] = ..., lifecycle_state: _Optional[_Union[ConnectorLifecycleState, str]] = ..., listed: _Optional[bool] = ..., certified: _Optional[bool] = ..., private: _Optional[bool] = ..., creator_project: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ConnectorVersion(_message.Message):
    __slots__ = ("connector_id", "number", "key", "name", "description", "integration_types", "creator", "repository", "supported_regions", "private_projects", "documentation_url", "specification", "certified", "draft_version", "publish_time", "preview")
    CONNECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_TYPES_FIELD_NUMBER: _ClassVar[int]
    CREATOR_FIELD_NUMBER: _ClassVar[int]
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    SUPPORTED_REGIONS_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_PROJECTS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTATION_URL_FIELD_NUMBER: _ClassVar[int]
    SPECIFICATION_FIELD_NUMBER: _ClassVar[int]
    CERTIFIED_FIELD_NUMBER: _ClassVar[int]
    DRAFT_VERSION_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_TIME_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_FIELD_NUMBER: _ClassVar[int]
    connector_id: str
    number: int
    key: str
    name: str
    description: str
    integration_types: _containers.RepeatedScalarFieldContainer[str]
    creator: _connector_staged_pb2.Creator
    repository: _connector_staged_pb2.Repository
    supported_regions: _containers.RepeatedScalarFieldContainer[str]
    private_projects: _containers.RepeatedScalarFieldContainer[str]
    documentation_url: str
    specification: _specification_pb2.ConnectorSpecification
    certified: bool
    draft_version: int
    publish_time: _timestamp_pb2.Timestamp
    preview: bool
    def __init__(self, connector_id: _Optional[str] = ..., number: _Optional[int] = ..., key: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., integration_types: _Optional[_Iterable[str]] = ..., creator: _Optional[_Union[_connector_staged_pb2.Creator, _Mapping]] = ..., repository: _Optional[_Union[_connector_staged_pb2.Repository, _Mapping]] = ..., supported_regions: _Optional[_Iterable[str]] = ..., private_projects: _Optional[_Iterable[str]] = ..., documentation_url: _Optional[str] = ..., specification: _Optional[_Union[_specification_pb2.ConnectorSpecification, _Mapping]] = ..., certified: _Optional[bool] = ..., draft_version: _Optional[int] = ..., publish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., preview: _Optional[bool] = ...) -> None: ...

class ReferencingInstance(_message.Message):
    __slots__ = ("project", "instance_id", "name")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    project: str
    instance_id: str
    name: str
    def __init__(self, project: _Optional[str] = ..., instance_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...
