import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from plugboard.catalog.v1 import connector_staged_pb2 as _connector_staged_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListCertificationQueueRequest(_message.Message):
    __slots__ = ("limit", "offset", "status", "page_token", "reviewer")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    limit: int
    offset: int
    status: _connector_staged_pb2.ConnectorStatus
    page_token: str
    reviewer: str
    def __init__(self, limit: _Optional[int] = ..., offset: _Optional[int] = ..., status: _Optional[_Union[_connector_staged_pb2.ConnectorStatus, str]] = ..., page_token: _Optional[str] = ..., reviewer: _Optional[str] = ...) -> None: ...

class ListCertificationQueueResponse(_message.Message):
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
    results: _containers.RepeatedCompositeFieldContainer[_connector_staged_pb2.ConnectorStaged]
    next_page_token: str
    def __init__(self, limit: _Optional[int] = ..., offset: _Optional[int] = ..., count: _Optional[int] = ..., total: _Optional[int] = ..., results: _Optional[_Iterable[_Union[_connector_staged_pb2.ConnectorStaged, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class StartCertificationReviewRequest(_message.Message):
    __slots__ = ("id", "version", "reviewer")
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    id: str
    version: int
    reviewer: str
    def __init__(self, id: _Optional[str] = ..., version: _Optional[int] = ..., reviewer: _Optional[str] = ...) -> None: ...

class AddReviewCommentRequest(_message.Message):
    __slots__ = ("id", "version", "comment", "reviewer")
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    id: str
    version: int
    comment: str
    reviewer: str
    def __init__(self, id: _Optional[str] = ..., version: _Optional[int] = ..., comment: _Optional[str] = ..., reviewer: _Optional[str] = ...) -> None: ...

class ScheduleReviewMeetingRequest(_message.Message):
    __slots__ = ("id", "version", "meeting_time", "comment", "reviewer")
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    MEETING_TIME_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    id: str
    version: int
    meeting_time: _timestamp_pb2.Timestamp
    comment: str
    reviewer: str
    def __init__(self, id: _Optional[str] = ..., version: _Optional[int] = ..., meeting_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., comment: _Optional[str] = ..., reviewer: _Optional[str] = ...) -> None: ...

class ApproveCertificationRequest(_message.Message):
    __slots__ = ("id", "version", "comment", "reviewer")
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    id: str
    version: int
    comment: str
    reviewer: str
    def __init__(self, id: _Optional[str] = ..., version: _Optional[int] = ..., comment: _Optional[str] = ..., reviewer: _Optional[str] = ...) -> None: ...

class RejectCertificationRequest(_message.Message):
    __slots__ = ("id", "version", "comment", "reviewer")
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    REVIEWER_FIELD_NUMBER: _ClassVar[int]
    id: str
    version: int
    comment: str
    reviewer: str
    def __init__(self, id: _Optional[str] = ..., version: _Optional[int] = ..., comment: _Optional[str] = ..., reviewer: _Optional[str] = ...) -> None: ...
