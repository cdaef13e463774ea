from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from plugboard.instance.v1 import installation_pb2 as _installation_pb2
from plugboard.instance.v1 import instance_pb2 as _instance_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ModifiedFilter(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODIFIED_FILTER_UNSPECIFIED: _ClassVar[ModifiedFilter]
    MODIFIED_FILTER_MODIFIED: _ClassVar[ModifiedFilter]
    MODIFIED_FILTER_UNMODIFIED: _ClassVar[ModifiedFilter]

class UpdateMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UPDATE_MODE_UNSPECIFIED: _ClassVar[UpdateMode]
    UPDATE_MODE_OVERWRITE: _ClassVar[UpdateMode]
    UPDATE_MODE_ALONGSIDE: _ClassVar[UpdateMode]
MODIFIED_FILTER_UNSPECIFIED: ModifiedFilter
MODIFIED_FILTER_MODIFIED: ModifiedFilter
MODIFIED_FILTER_UNMODIFIED: ModifiedFilter
UPDATE_MODE_UNSPECIFIED: UpdateMode
UPDATE_MODE_OVERWRITE: UpdateMode
UPDATE_MODE_ALONGSIDE: UpdateMode

class CreateInstanceRequest(_message.Message):
    __slots__ = ("project", "instance", "request_id", "test_connection")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TEST_CONNECTION_FIELD_NUMBER: _ClassVar[int]
    project: str
    instance: _instance_pb2.Instance
    request_id: str
    test_connection: bool
    def __init__(self, project: _Optional[str] = ..., instance: _Optional[_Union[_instance_pb2.Instance, _Mapping]] = ..., request_id: _Optional[str] = ..., test_connection: _Optional[bool] = ...) -> None: ...

class GetInstanceRequest(_message.Message):
    __slots__ = ("project", "id")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    project: str
    id: str
    def __init__(self, project: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class ListInstancesRequest(_message.Message):
    __slots__ = ("project", "page", "per_page", "sort", "connector_id", "connector_key", "name_prefix", "last_test_outcome", "session_id", "platform_app_key", "page_token")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PER_PAGE_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_KEY_FIELD_NUMBER: _ClassVar[int]
    NAME_PREFIX_FIELD_NUMBER: _ClassVar[int]
    LAST_TEST_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_APP_KEY_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    project: str
    page: int
    per_page: int
    sort: str
    connector_id: str
    connector_key: str
    name_prefix: str
    last_test_outcome: _instance_pb2.ConnectionTestOutcome
    session_id: str
    platform_app_key: str
    page_token: str
    def __init__(self, project: _Optional[str] = ..., page: _Optional[int] = ..., per_page: _Optional[int] = ..., sort: _Optional[str] = ..., connector_id: _Optional[str] = ..., connector_key: _Optional[str] = ..., name_prefix: _Optional[str] = ..., last_test_outcome: _Optional[_Union[_instance_pb2.ConnectionTestOutcome, str]] = ..., session_id: _Optional[str] = ..., platform_app_key: _Optional[str] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListInstancesResponse(_message.Message):
    __slots__ = ("instances", "page", "per_page", "total", "next_page_token")
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PER_PAGE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    instances: _containers.RepeatedCompositeFieldContainer[_instance_pb2.Instance]
    page: int
    per_page: int
    total: int
    next_page_token: str
    def __init__(self, instances: _Optional[_Iterable[_Union[_instance_pb2.Instance, _Mapping]]] = ..., page: _Optional[int] = ..., per_page: _Optional[int] = ..., total: _Optional[int] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateInstanceRequest(_message.Message):
    __slots__ = ("project", "instance", "update_mask")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    project: str
    instance: _instance_pb2.Instance
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, project: _Optional[str] = ..., instance: _Optional[_Union[_instance_pb2.Instance, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteInstanceRequest(_message.Message):
    __slots__ = ("project", "id", "version")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    project: str
    id: str
    version: int
    def __init__(self, project: _Optional[str] = ..., id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class DeleteInstanceResponse(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: str
    def __init__(self, message: _Optional[str] = ...) -> None: ...

class TestInstanceConnectionRequest(_message.Message):
    __slots__ = ("project", "id")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    project: str
    id: str
    def __init__(self, project: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class ListConnectionTestsRequest(_message.Message):
    __slots__ = ("project", "instance_id", "page_size", "page_token")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    project: str
    instance_id: str
    page_size: int
    page_token: str
    def __init__(self, project: _Optional[str] = ..., instance_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListConnectionTestsResponse(_message.Message):
    __slots__ = ("results", "next_page_token")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_instance_pb2.ConnectionTestResult]
    next_page_token: str
    def __init__(self, results: _Optional[_Iterable[_Union[_instance_pb2.ConnectionTestResult, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpgradeInstanceRequest(_message.Message):
    __slots__ = ("project", "instance_id", "connector_id", "target_version", "dry_run", "version_policy", "variables")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_VERSION_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    VERSION_POLICY_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    project: str
    instance_id: str
    connector_id: str
    target_version: int
    dry_run: bool
    version_policy: _instance_pb2.VersionPolicy
    variables: _containers.RepeatedCompositeFieldContainer[_instance_pb2.Variable]
    def __init__(self, project: _Optional[str] = ..., instance_id: _Optional[str] = ..., connector_id: _Optional[str] = ..., target_version: _Optional[int] = ..., dry_run: _Optional[bool] = ..., version_policy: _Optional[_Union[_instance_pb2.VersionPolicy, str]] = ..., variables: _Optional[_Iterable[_Union[_instance_pb2.Variable, _Mapping]]] = ...) -> None: ...

class UpgradeInstanceResponse(_message.Message):
    __slots__ = ("results", "dry_run", "target_version")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    TARGET_VERSION_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[UpgradeResult]
    dry_run: bool
    target_version: int
    def __init__(self, results: _Optional[_Iterable[_Union[UpgradeResult, _Mapping]]] = ..., dry_run: _Optional[bool] = ..., target_version: _Optional[int] = ...) -> None: ...

class UpgradeResult(_message.Message):
    __slots__ = ("instance_id", "from_version", "upgraded", "problems")
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_VERSION_FIELD_NUMBER: _ClassVar[int]
    UPGRADED_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    from_version: int
    upgraded: bool
    problems: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, instance_id: _Optional[str] = ..., from_version: _Optional[int] = ..., upgraded: _Optional[bool] = ..., problems: _Optional[_Iterable[str]] = ...) -> None: ...

class CountConnectorReferencesRequest(_message.Message):
    __slots__ = ("connector_id", "limit")
    CONNECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    connector_id: str
    limit: int
    def __init__(self, connector_id: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class CountConnectorReferencesResponse(_message.Message):
    __slots__ = ("total", "instances", "installation_total", "installations")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    INSTALLATION_TOTAL_FIELD_NUMBER: _ClassVar[int]
    INSTALLATIONS_FIELD_NUMBER: _ClassVar[int]
    total: int
    instances: _containers.RepeatedCompositeFieldContainer[InstanceReference]
    installation_total: int
    installations: _containers.RepeatedCompositeFieldContainer[InstallationReference]
    def __init__(self, total: _Optional[int] = ..., instances: _Optional[_Iterable[_Union[InstanceReference, _Mapping]]] = ..., installation_total: _Optional[int] = ..., installations: _Optional[_Iterable[_Union[InstallationReference, _Mapping]]] = ...) -> None: ...

class InstallationReference(_message.Message):
    __slots__ = ("project", "id", "state", "connector_version")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_VERSION_FIELD_NUMBER: _ClassVar[int]
    project: str
    id: str
    state: _installation_pb2.InstallationState
    connector_version: int
    def __init__(self, project: _Optional[str] = ..., id: _Optional[str] = ..., state: _Optional[_Union[_installation_pb2.InstallationState, str]] = ..., connector_version: _Optional[int] = ...) -> None: ...

class InstanceReference(_message.Message):
    __slots__ = ("project", "id", "name", "state")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    project: str
    id: str
    name: str
    state: _instance_pb2.InstanceState
    def __init__(self, project: _Optional[str] = ..., id: _Optional[str] = ..., name: _Optional[str] = ..., state: _Optional[_Union[_instance_pb2.InstanceState, str]] = ...) -> None: ...

class InstallConnectorRequest(_message.Message):
    __slots__ = ("project", "connector_id", "connector_key", "version", "alongside", "request_id")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_KEY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ALONGSIDE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    project: str
    connector_id: str
    connector_key: str
    version: int
    alongside: bool
    request_id: str
    def __init__(self, project: _Optional[str] = ..., connector_id: _Optional[str] = ..., connector_key: _Optional[str] = ..., version: _Optional[int] = ..., alongside: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetInstallationRequest(_message.Message):
    __slots__ = ("project", "id")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    project: str
    id: str
    def __init__(self, project: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class ListInstallationsRequest(_message.Message):
    __slots__ = ("project", "page_size", "page_token", "connector_ids", "connector_key", "modified", "sort")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_IDS_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_KEY_FIELD_NUMBER: _ClassVar[int]
    MODIFIED_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    project: str
    page_size: int
    page_token: str
    connector_ids: _containers.RepeatedScalarFieldContainer[str]
    connector_key: str
    modified: ModifiedFilter
    sort: str
    def __init__(self, project: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., connector_ids: _Optional[_Iterable[str]] = ..., connector_key: _Optional[str] = ..., modified: _Optional[_Union[ModifiedFilter, str]] = ..., sort: _Optional[str] = ...) -> None: ...

class ListInstallationsResponse(_message.Message):
    __slots__ = ("installations", "total", "next_page_token")
    INSTALLATIONS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    installations: _containers.RepeatedCompositeFieldContainer[_installation_pb2.Installation]
    total: int
    next_page_token: str
    def __init__(self, installations: _Optional[_Iterable[_Union[_installation_pb2.Installation, _Mapping]]] = ..., total: _Optional[int] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UninstallConnectorRequest(_message.Message):
    __slots__ = ("project", "id", "version")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    project: str
    id: str
    version: int
    def __init__(self, project: _Optional[str] = ..., id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class UninstallConnectorResponse(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: str
    def __init__(self, message: _Optional[str] = ...) -> None: ...

class CustomiseInstallationRequest(_message.Message):
    __slots__ = ("project", "id", "version", "customisation")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CUSTOMISATION_FIELD_NUMBER: _ClassVar[int]
    project: str
    id: str
    version: int
    customisation: _installation_pb2.InstallationCustomisation
    def __init__(self, project: _Optional[str] = ..., id: _Optional[str] = ..., version: _Optional[int] = ..., customisation: _Optional[_Union[_installation_pb2.InstallationCustomisation, _Mapping]] = ...) -> None: ...

class ListInstallationRevisionsRequest(_message.Message):
    __slots__ = ("project", "installation_id", "page_size", "page_token")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    INSTALLATION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    project: str
    installation_id: str
    page_size: int
    page_token: str
    def __init__(self, project: _Optional[str] = ..., installation_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListInstallationRevisionsResponse(_message.Message):
    __slots__ = ("revisions", "next_page_token")
    REVISIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    revisions: _containers.RepeatedCompositeFieldContainer[_installation_pb2.InstallationRevision]
    next_page_token: str
    def __init__(self, revisions: _Optional[_Iterable[_Union[_installation_pb2.InstallationRevision, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateInstallationRequest(_message.Message):
    __slots__ = ("project", "id", "version", "target_version", "mode", "dry_run", "skip_failing_instances")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TARGET_VERSION_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    SKIP_FAILING_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    project: str
    id: str
    version: int
    target_version: int
    mode: UpdateMode
    dry_run: bool
    skip_failing_instances: bool
    def __init__(self, project: _Optional[str] = ..., id: _Optional[str] = ..., version: _Optional[int] = ..., target_version: _Optional[int] = ..., mode: _Optional[_Union[UpdateMode, str]] = ..., dry_run: _Optional[bool] = ..., skip_failing_instances: _Optional[bool] = ...) -> None: ...

class UpdateInstallationResponse(_message.Message):
    __slots__ = ("installation", "dry_run", "target_version", "results")
    INSTALLATION_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    TARGET_VERSION_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    installation: _installation_pb2.Installation
    dry_run: bool
    target_version: int
    results: _containers.RepeatedCompositeFieldContainer[_installation_pb2.InstanceMoveResult]
    def __init__(self, installation: _Optional[_Union[_installation_pb2.Installation, _Mapping]] = ..., dry_run: _Optional[bool] = ..., target_version: _Optional[int] = ..., results: _Optional[_Iterable[_Union[_installation_pb2.InstanceMoveResult, _Mapping]]] = ...) -> None: ...

class MoveInstancesRequest(_message.Message):
    __slots__ = ("project", "installation_id", "instance_ids", "from_installation_id", "dry_run", "skip_failing_instances")
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    INSTALLATION_ID_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_IDS_FIELD_NUMBER: _ClassVar[int]
    FROM_INSTALLATION_ID_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    SKIP_FAILING_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    project: str
    installation_id: str
    instance_ids: _containers.RepeatedScalarFieldContainer[str]
    from_installation_id: str
    dry_run: bool
    skip_failing_instances: bool
    def __init__(self, project: _Optional[str] = ..., installation_id: _Optional[str] = ..., instance_ids: _Optional[_Iterable[str]] = ..., from_installation_id: _Optional[str] = ..., dry_run: _Optional[bool] = ..., skip_failing_instances: _Optional[bool] = ...) -> None: ...

class MoveInstancesResponse(_message.Message):
    __slots__ = ("results", "dry_run")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_installation_pb2.InstanceMoveResult]
    dry_run: bool
    def __init__(self, results: _Optional[_Iterable[_Union[_installation_pb2.InstanceMoveResult, _Mapping]]] = ..., dry_run: _Optional[bool] = ...) -> None: ...
