import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ChangeType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANGE_TYPE_UNSPECIFIED: _ClassVar[ChangeType]
    CHANGE_TYPE_CREATED: _ClassVar[ChangeType]
    CHANGE_TYPE_UPDATED: _ClassVar[ChangeType]
    CHANGE_TYPE_DELETED: _ClassVar[ChangeType]

class AuthorKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUTHOR_KIND_UNSPECIFIED: _ClassVar[AuthorKind]
    AUTHOR_KIND_KEY: _ClassVar[AuthorKind]
    AUTHOR_KIND_INTERNAL: _ClassVar[AuthorKind]
    AUTHOR_KIND_SYSTEM: _ClassVar[AuthorKind]
CHANGE_TYPE_UNSPECIFIED: ChangeType
CHANGE_TYPE_CREATED: ChangeType
CHANGE_TYPE_UPDATED: ChangeType
CHANGE_TYPE_DELETED: ChangeType
AUTHOR_KIND_UNSPECIFIED: AuthorKind
AUTHOR_KIND_KEY: AuthorKind
AUTHOR_KIND_INTERNAL: AuthorKind
AUTHOR_KIND_SYSTEM: AuthorKind

class ModifiedBy(_message.Message):
    __slots__ = ("kind", "key_id", "key_name", "project", "peer", "system", "on_behalf_of")
    KIND_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    PEER_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_FIELD_NUMBER: _ClassVar[int]
    ON_BEHALF_OF_FIELD_NUMBER: _ClassVar[int]
    kind: AuthorKind
    key_id: str
    key_name: str
    project: str
    peer: str
    system: str
    on_behalf_of: ModifiedBy
    def __init__(self, kind: _Optional[_Union[AuthorKind, str]] = ..., key_id: _Optional[str] = ..., key_name: _Optional[str] = ..., project: _Optional[str] = ..., peer: _Optional[str] = ..., system: _Optional[str] = ..., on_behalf_of: _Optional[_Union[ModifiedBy, _Mapping]] = ...) -> None: ...

class Change(_message.Message):
    __slots__ = ("change", "previous_value", "next_value")
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VALUE_FIELD_NUMBER: _ClassVar[int]
    NEXT_VALUE_FIELD_NUMBER: _ClassVar[int]
    change: str
    previous_value: _struct_pb2.Value
    next_value: _struct_pb2.Value
    def __init__(self, change: _Optional[str] = ..., previous_value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., next_value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class ChangeRecord(_message.Message):
    __slots__ = ("id", "resource_type", "resource_id", "project", "type", "changes", "version", "previous_version", "modified_by", "modified_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VERSION_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_BY_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    resource_type: str
    resource_id: str
    project: str
    type: ChangeType
    changes: _containers.RepeatedCompositeFieldContainer[Change]
    version: int
    previous_version: int
    modified_by: ModifiedBy
    modified_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., resource_type: _Optional[str] = ..., resource_id: _Optional[str] = ..., project: _Optional[str] = ..., type: _Optional[_Union[ChangeType, str]] = ..., changes: _Optional[_Iterable[_Union[Change, _Mapping]]] = ..., version: _Optional[int] = ..., previous_version: _Optional[int] = ..., modified_by: _Optional[_Union[ModifiedBy, _Mapping]] = ..., modified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListChangesRequest(_message.Message):
    __slots__ = ("project", "resource_type", "resource_id", "change", "author", "type", "from_time", "to_time", "limit", "offset", "page_token")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    FROM_TIME_FIELD_NUMBER: _ClassVar[int]
    TO_TIME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    project: str
    resource_type: str
    resource_id: str
    change: str
    author: str
    type: ChangeType
    from_time: _timestamp_pb2.Timestamp
    to_time: _timestamp_pb2.Timestamp
    limit: int
    offset: int
    page_token: str
    def __init__(self, project: _Optional[str] = ..., resource_type: _Optional[str] = ..., resource_id: _Optional[str] = ..., change: _Optional[str] = ..., author: _Optional[str] = ..., type: _Optional[_Union[ChangeType, str]] = ..., from_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., to_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListChangesResponse(_message.Message):
    __slots__ = ("limit", "offset", "count", "total", "results", "next_page_token")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    limit: int
    offset: int
    count: int
    total: int
    results: _containers.RepeatedCompositeFieldContainer[ChangeRecord]
    next_page_token: str
    def __init__(self, limit: _Optional[int] = ..., offset: _Optional[int] = ..., count: _Optional[int] = ..., total: _Optional[int] = ..., results: _Optional[_Iterable[_Union[ChangeRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetChangeRequest(_message.Message):
    __slots__ = ("project", "id")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    project: str
    id: str
    def __init__(self, project: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...
