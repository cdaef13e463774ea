import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InstallationOrigin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INSTALLATION_ORIGIN_UNSPECIFIED: _ClassVar[InstallationOrigin]
    INSTALLATION_ORIGIN_MARKETPLACE: _ClassVar[InstallationOrigin]
    INSTALLATION_ORIGIN_AUTOMATIC: _ClassVar[InstallationOrigin]
    INSTALLATION_ORIGIN_MIGRATED: _ClassVar[InstallationOrigin]
    INSTALLATION_ORIGIN_UPDATE: _ClassVar[InstallationOrigin]

class InstallationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INSTALLATION_STATE_UNSPECIFIED: _ClassVar[InstallationState]
    INSTALLATION_STATE_PENDING: _ClassVar[InstallationState]
    INSTALLATION_STATE_READY: _ClassVar[InstallationState]
    INSTALLATION_STATE_REMOVING: _ClassVar[InstallationState]
INSTALLATION_ORIGIN_UNSPECIFIED: InstallationOrigin
INSTALLATION_ORIGIN_MARKETPLACE: InstallationOrigin
INSTALLATION_ORIGIN_AUTOMATIC: InstallationOrigin
INSTALLATION_ORIGIN_MIGRATED: InstallationOrigin
INSTALLATION_ORIGIN_UPDATE: InstallationOrigin
INSTALLATION_STATE_UNSPECIFIED: InstallationState
INSTALLATION_STATE_PENDING: InstallationState
INSTALLATION_STATE_READY: InstallationState
INSTALLATION_STATE_REMOVING: InstallationState

class Installation(_message.Message):
    __slots__ = ("id", "project", "connector_id", "connector_key", "connector_name", "connector_version", "latest_version", "update_available", "origin", "alongside", "state", "version", "modified", "revision", "modified_by", "modify_time", "created_by", "instance_count", "customisation", "available_update", "create_time", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_KEY_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_NAME_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_VERSION_FIELD_NUMBER: _ClassVar[int]
    LATEST_VERSION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    ALONGSIDE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_BY_FIELD_NUMBER: _ClassVar[int]
    MODIFY_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMISATION_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_UPDATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    project: str
    connector_id: str
    connector_key: str
    connector_name: str
    connector_version: int
    latest_version: int
    update_available: bool
    origin: InstallationOrigin
    alongside: bool
    state: InstallationState
    version: int
    modified: bool
    revision: int
    modified_by: Actor
    modify_time: _timestamp_pb2.Timestamp
    created_by: Actor
    instance_count: int
    customisation: InstallationCustomisation
    available_update: AvailableUpdate
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., project: _Optional[str] = ..., connector_id: _Optional[str] = ..., connector_key: _Optional[str] = ..., connector_name: _Optional[str] = ..., connector_version: _Optional[int] = ..., latest_version: _Optional[int] = ..., update_available: _Optional[bool] = ..., origin: _Optional[_Union[InstallationOrigin, str]] = ..., alongside: _Optional[bool] = ..., state: _Optional[_Union[InstallationState, str]] = ..., version: _Optional[int] = ..., modified: _Optional[bool] = ..., revision: _Optional[int] = ..., modified_by: _Optional[_Union[Actor, _Mapping]] = ..., modify_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[_Union[Actor, _Mapping]] = ..., instance_count: _Optional[int] = ..., customisation: _Optional[_Union[InstallationCustomisation, _Mapping]] = ..., available_update: _Optional[_Union[AvailableUpdate, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Actor(_message.Message):
    __slots__ = ("key_id", "project", "system")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    project: str
    system: str
    def __init__(self, key_id: _Optional[str] = ..., project: _Optional[str] = ..., system: _Optional[str] = ...) -> None: ...

class InstallationCustomisation(_message.Message):
    __slots__ = ("keys", "extra_keys", "connection_test")
    KEYS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_KEYS_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_TEST_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[KeyCustomisation]
    extra_keys: _containers.RepeatedCompositeFieldContainer[ExtraKey]
    connection_test: ConnectionTestCustomisation
    def __init__(self, keys: _Optional[_Iterable[_Union[KeyCustomisation, _Mapping]]] = ..., extra_keys: _Optional[_Iterable[_Union[ExtraKey, _Mapping]]] = ..., connection_test: _Optional[_Union[ConnectionTestCustomisation, _Mapping]] = ...) -> None: ...

class KeyCustomisation(_message.Message):
    __slots__ = ("key", "default", "label", "description")
    KEY_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    key: str
    default: str
    label: str
    description: str
    def __init__(self, key: _Optional[str] = ..., default: _Optional[str] = ..., label: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class ExtraKey(_message.Message):
    __slots__ = ("key", "label", "description", "default")
    KEY_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_FIELD_NUMBER: _ClassVar[int]
    key: str
    label: str
    description: str
    default: str
    def __init__(self, key: _Optional[str] = ..., label: _Optional[str] = ..., description: _Optional[str] = ..., default: _Optional[str] = ...) -> None: ...

class ConnectionTestCustomisation(_message.Message):
    __slots__ = ("method", "path", "expected_status", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_STATUS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    method: str
    path: str
    expected_status: _containers.RepeatedScalarFieldContainer[int]
    headers: _containers.ScalarMap[str, str]
    def __init__(self, method: _Optional[str] = ..., path: _Optional[str] = ..., expected_status: _Optional[_Iterable[int]] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class AvailableUpdate(_message.Message):
    __slots__ = ("version", "added_keys", "removed_keys", "now_required_keys", "failing_instance_count")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ADDED_KEYS_FIELD_NUMBER: _ClassVar[int]
    REMOVED_KEYS_FIELD_NUMBER: _ClassVar[int]
    NOW_REQUIRED_KEYS_FIELD_NUMBER: _ClassVar[int]
    FAILING_INSTANCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    version: int
    added_keys: _containers.RepeatedScalarFieldContainer[str]
    removed_keys: _containers.RepeatedScalarFieldContainer[str]
    now_required_keys: _containers.RepeatedScalarFieldContainer[str]
    failing_instance_count: int
    def __init__(self, version: _Optional[int] = ..., added_keys: _Optional[_Iterable[str]] = ..., removed_keys: _Optional[_Iterable[str]] = ..., now_required_keys: _Optional[_Iterable[str]] = ..., failing_instance_count: _Optional[int] = ...) -> None: ...

class InstallationRevision(_message.Message):
    __slots__ = ("installation_id", "number", "author", "create_time", "based_on_version", "customisation", "changes")
    INSTALLATION_ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    BASED_ON_VERSION_FIELD_NUMBER: _ClassVar[int]
    CUSTOMISATION_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    installation_id: str
    number: int
    author: Actor
    create_time: _timestamp_pb2.Timestamp
    based_on_version: int
    customisation: InstallationCustomisation
    changes: _containers.RepeatedCompositeFieldContainer[RevisionChange]
    def __init__(self, installation_id: _Optional[str] = ..., number: _Optional[int] = ..., author: _Optional[_Union[Actor, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., based_on_version: _Optional[int] = ..., customisation: _Optional[_Union[InstallationCustomisation, _Mapping]] = ..., changes: _Optional[_Iterable[_Union[RevisionChange, _Mapping]]] = ...) -> None: ...

class RevisionChange(_message.Message):
    __slots__ = ("path", "published", "value")
    PATH_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    path: str
    published: str
    value: str
    def __init__(self, path: _Optional[str] = ..., published: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class InstanceMoveResult(_message.Message):
    __slots__ = ("instance_id", "instance_name", "from_version", "to_version", "moved", "problems")
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_NAME_FIELD_NUMBER: _ClassVar[int]
    FROM_VERSION_FIELD_NUMBER: _ClassVar[int]
    TO_VERSION_FIELD_NUMBER: _ClassVar[int]
    MOVED_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    instance_name: str
    from_version: int
    to_version: int
    moved: bool
    problems: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, instance_id: _Optional[str] = ..., instance_name: _Optional[str] = ..., from_version: _Optional[int] = ..., to_version: _Optional[int] = ..., moved: _Optional[bool] = ..., problems: _Optional[_Iterable[str]] = ...) -> None: ...
