import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InstanceState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INSTANCE_STATE_UNSPECIFIED: _ClassVar[InstanceState]
    INSTANCE_STATE_PENDING: _ClassVar[InstanceState]
    INSTANCE_STATE_READY: _ClassVar[InstanceState]

class RateLimitUnit(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RATE_LIMIT_UNIT_UNSPECIFIED: _ClassVar[RateLimitUnit]
    RATE_LIMIT_UNIT_SECOND: _ClassVar[RateLimitUnit]
    RATE_LIMIT_UNIT_MINUTE: _ClassVar[RateLimitUnit]
    RATE_LIMIT_UNIT_HOUR: _ClassVar[RateLimitUnit]
    RATE_LIMIT_UNIT_DAY: _ClassVar[RateLimitUnit]

class VersionPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERSION_POLICY_UNSPECIFIED: _ClassVar[VersionPolicy]
    VERSION_POLICY_FOLLOW_LATEST: _ClassVar[VersionPolicy]
    VERSION_POLICY_PINNED: _ClassVar[VersionPolicy]
    VERSION_POLICY_PREVIEW: _ClassVar[VersionPolicy]

class ConnectionTestOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONNECTION_TEST_OUTCOME_UNSPECIFIED: _ClassVar[ConnectionTestOutcome]
    CONNECTION_TEST_OUTCOME_OK: _ClassVar[ConnectionTestOutcome]
    CONNECTION_TEST_OUTCOME_AUTH_FAILED: _ClassVar[ConnectionTestOutcome]
    CONNECTION_TEST_OUTCOME_UNREACHABLE: _ClassVar[ConnectionTestOutcome]
    CONNECTION_TEST_OUTCOME_TIMEOUT: _ClassVar[ConnectionTestOutcome]
    CONNECTION_TEST_OUTCOME_UNEXPECTED_RESPONSE: _ClassVar[ConnectionTestOutcome]
    CONNECTION_TEST_OUTCOME_BLOCKED: _ClassVar[ConnectionTestOutcome]
    CONNECTION_TEST_OUTCOME_MISCONFIGURED: _ClassVar[ConnectionTestOutcome]
INSTANCE_STATE_UNSPECIFIED: InstanceState
INSTANCE_STATE_PENDING: InstanceState
INSTANCE_STATE_READY: InstanceState
RATE_LIMIT_UNIT_UNSPECIFIED: RateLimitUnit
RATE_LIMIT_UNIT_SECOND: RateLimitUnit
RATE_LIMIT_UNIT_MINUTE: RateLimitUnit
RATE_LIMIT_UNIT_HOUR: RateLimitUnit
RATE_LIMIT_UNIT_DAY: RateLimitUnit
VERSION_POLICY_UNSPECIFIED: VersionPolicy
VERSION_POLICY_FOLLOW_LATEST: VersionPolicy
VERSION_POLICY_PINNED: VersionPolicy
VERSION_POLICY_PREVIEW: VersionPolicy
CONNECTION_TEST_OUTCOME_UNSPECIFIED: ConnectionTestOutcome
CONNECTION_TEST_OUTCOME_OK: ConnectionTestOutcome
CONNECTION_TEST_OUTCOME_AUTH_FAILED: ConnectionTestOutcome
CONNECTION_TEST_OUTCOME_UNREACHABLE: ConnectionTestOutcome
CONNECTION_TEST_OUTCOME_TIMEOUT: ConnectionTestOutcome
CONNECTION_TEST_OUTCOME_UNEXPECTED_RESPONSE: ConnectionTestOutcome
CONNECTION_TEST_OUTCOME_BLOCKED: ConnectionTestOutcome
CONNECTION_TEST_OUTCOME_MISCONFIGURED: ConnectionTestOutcome

class Instance(_message.Message):
    __slots__ = ("id", "project", "name", "connector_id", "connector_key", "connector_version", "version_policy", "timezone", "date_format", "rate_limit_unit", "rate_limit_duration", "connection_pool_id", "certificate_id", "platform_app_key", "session_id", "type", "variables", "state", "version", "last_connection_test", "upgrade", "create_time", "update_time", "preview", "installation_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_KEY_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_VERSION_FIELD_NUMBER: _ClassVar[int]
    VERSION_POLICY_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    DATE_FORMAT_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_UNIT_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_DURATION_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_POOL_ID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_APP_KEY_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    LAST_CONNECTION_TEST_FIELD_NUMBER: _ClassVar[int]
    UPGRADE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_FIELD_NUMBER: _ClassVar[int]
    INSTALLATION_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    project: str
    name: str
    connector_id: str
    connector_key: str
    connector_version: int
    version_policy: VersionPolicy
    timezone: str
    date_format: str
    rate_limit_unit: RateLimitUnit
    rate_limit_duration: int
    connection_pool_id: int
    certificate_id: str
    platform_app_key: str
    session_id: str
    type: str
    variables: _containers.RepeatedCompositeFieldContainer[Variable]
    state: InstanceState
    version: int
    last_connection_test: ConnectionTestResult
    upgrade: UpgradeStatus
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    preview: bool
    installation_id: str
    def __init__(self, id: _Optional[str] = ..., project: _Optional[str] = ..., name: _Optional[str] = ..., connector_id: _Optional[str] = ..., connector_key: _Optional[str] = ..., connector_version: _Optional[int] = ..., version_policy: _Optional[_Union[VersionPolicy, str]] = ..., timezone: _Optional[str] = ..., date_format: _Optional[str] = ..., rate_limit_unit: _Optional[_Union[RateLimitUnit, str]] = ..., rate_limit_duration: _Optional[int] = ..., connection_pool_id: _Optional[int] = ..., certificate_id: _Optional[str] = ..., platform_app_key: _Optional[str] = ..., session_id: _Optional[str] = ..., type: _Optional[str] = ..., variables: _Optional[_Iterable[_Union[Variable, _Mapping]]] = ..., state: _Optional[_Union[InstanceState, str]] = ..., version: _Optional[int] = ..., last_connection_test: _Optional[_Union[ConnectionTestResult, _Mapping]] = ..., upgrade: _Optional[_Union[UpgradeStatus, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., preview: _Optional[bool] = ..., installation_id: _Optional[str] = ...) -> None: ...

class Variable(_message.Message):
    __slots__ = ("id", "key", "value", "label", "secret", "locked", "alias", "configurable", "required", "advanced", "value_set", "fingerprint", "value_update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    LOCKED_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    CONFIGURABLE_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    ADVANCED_FIELD_NUMBER: _ClassVar[int]
    VALUE_SET_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    VALUE_UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    key: str
    value: str
    label: str
    secret: bool
    locked: bool
    alias: str
    configurable: bool
    required: bool
    advanced: bool
    value_set: bool
    fingerprint: str
    value_update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., key: _Optional[str] = ..., value: _Optional[str] = ..., label: _Optional[str] = ..., secret: _Optional[bool] = ..., locked: _Optional[bool] = ..., alias: _Optional[str] = ..., configurable: _Optional[bool] = ..., required: _Optional[bool] = ..., advanced: _Optional[bool] = ..., value_set: _Optional[bool] = ..., fingerprint: _Optional[str] = ..., value_update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpgradeStatus(_message.Message):
    __slots__ = ("latest_version", "newer_version_available", "blocked_reasons")
    LATEST_VERSION_FIELD_NUMBER: _ClassVar[int]
    NEWER_VERSION_AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    BLOCKED_REASONS_FIELD_NUMBER: _ClassVar[int]
    latest_version: int
    newer_version_available: bool
    blocked_reasons: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, latest_version: _Optional[int] = ..., newer_version_available: _Optional[bool] = ..., blocked_reasons: _Optional[_Iterable[str]] = ...) -> None: ...

class ConnectionTestResult(_message.Message):
    __slots__ = ("id", "instance_id", "outcome", "http_status", "latency_ms", "message", "test_time", "connector_version")
    ID_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TEST_TIME_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    instance_id: str
    outcome: ConnectionTestOutcome
    http_status: int
    latency_ms: int
    message: str
    test_time: _timestamp_pb2.Timestamp
    connector_version: int
    def __init__(self, id: _Optional[str] = ..., instance_id: _Optional[str] = ..., outcome: _Optional[_Union[ConnectionTestOutcome, str]] = ..., http_status: _Optional[int] = ..., latency_ms: _Optional[int] = ..., message: _Optional[str] = ..., test_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., connector_version: _Optional[int] = ...) -> None: ...
