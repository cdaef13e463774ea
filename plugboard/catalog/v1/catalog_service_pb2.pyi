from google.api import annotations_pb2 as _annotations_pb2
from plugboard.catalog.v1 import connector_pb2 as _connector_pb2
from plugboard.catalog.v1 import connector_staged_pb2 as _connector_staged_pb2
from plugboard.catalog.v1 import specification_pb2 as _specification_pb2
from plugboard.catalog.v1 import update_actions_pb2 as _update_actions_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateConnectorStagedRequest(_message.Message):
    __slots__ = ("draft", "project", "request_id")
    DRAFT_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    draft: _connector_staged_pb2.ConnectorStagedDraft
    project: str
    request_id: str
    def __init__(self, draft: _Optional[_Union[_connector_staged_pb2.ConnectorStagedDraft, _Mapping]] = ..., project: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetConnectorStagedRequest(_message.Message):
    __slots__ = ("id", "project")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    id: str
    project: str
    def __init__(self, id: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class GetConnectorStagedByKeyRequest(_message.Message):
    __slots__ = ("key", "project")
    KEY_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    key: str
    project: str
    def __init__(self, key: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class QueryConnectorStagedRequest(_message.Message):
    __slots__ = ("limit", "offset", "sort", "is_private", "integration_types", "page_token", "project")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    IS_PRIVATE_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_TYPES_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    limit: int
    offset: int
    sort: _containers.RepeatedScalarFieldContainer[str]
    is_private: bool
    integration_types: _containers.RepeatedScalarFieldContainer[str]
    page_token: str
    project: str
    def __init__(self, limit: _Optional[int] = ..., offset: _Optional[int] = ..., sort: _Optional[_Iterable[str]] = ..., is_private: _Optional[bool] = ..., integration_types: _Optional[_Iterable[str]] = ..., page_token: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class ConnectorStagedPagedQueryResponse(_message.Message):
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

class UpdateConnectorStagedRequest(_message.Message):
    __slots__ = ("id", "version", "actions", "project")
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    id: str
    version: int
    actions: _containers.RepeatedCompositeFieldContainer[_update_actions_pb2.ConnectorStagedUpdateAction]
    project: str
    def __init__(self, id: _Optional[str] = ..., version: _Optional[int] = ..., actions: _Optional[_Iterable[_Union[_update_actions_pb2.ConnectorStagedUpdateAction, _Mapping]]] = ..., project: _Optional[str] = ...) -> None: ...

class UpdateConnectorStagedByKeyRequest(_message.Message):
    __slots__ = ("key", "version", "actions", "project")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    key: str
    version: int
    actions: _containers.RepeatedCompositeFieldContainer[_update_actions_pb2.ConnectorStagedUpdateAction]
    project: str
    def __init__(self, key: _Optional[str] = ..., version: _Optional[int] = ..., actions: _Optional[_Iterable[_Union[_update_actions_pb2.ConnectorStagedUpdateAction, _Mapping]]] = ..., project: _Optional[str] = ...) -> None: ...

class DeleteConnectorStagedRequest(_message.Message):
    __slots__ = ("id", "version", "project")
    ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    id: str
    version: int
    project: str
    def __init__(self, id: _Optional[str] = ..., version: _Optional[int] = ..., project: _Optional[str] = ...) -> None: ...

class DeleteConnectorStagedByKeyRequest(_message.Message):
    __slots__ = ("key", "version", "project")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    key: str
    version: int
    project: str
    def __init__(self, key: _Optional[str] = ..., version: _Optional[int] = ..., project: _Optional[str] = ...) -> None: ...

class WatchConnectorStagedRequest(_message.Message):
    __slots__ = ("id", "project")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    id: str
    project: str
    def __init__(self, id: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class GetConnectorRequest(_message.Message):
    __slots__ = ("id", "project")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    id: str
    project: str
    def __init__(self, id: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class GetConnectorByKeyRequest(_message.Message):
    __slots__ = ("key", "project")
    KEY_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    key: str
    project: str
    def __init__(self, key: _Optional[str] = ..., project: _Optional[str] = ...) -> None: ...

class ListConnectorsRequest(_message.Message):
    __slots__ = ("limit", "offset", "sort", "text", "integration_types", "certified_only", "project", "page_token", "private", "creator_company", "ids", "keys")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_TYPES_FIELD_NUMBER: _ClassVar[int]
    CERTIFIED_ONLY_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_FIELD_NUMBER: _ClassVar[int]
    CREATOR_COMPANY_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    limit: int
    offset: int
    sort: _containers.RepeatedScalarFieldContainer[str]
    text: str
    integration_types: _containers.RepeatedScalarFieldContainer[str]
    certified_only: bool
    project: str
    page_token: str
    private: bool
    creator_company: str
    ids: _containers.RepeatedScalarFieldContainer[str]
    keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, limit: _Optional[int] = ..., offset: _Optional[int] = ..., sort: _Optional[_Iterable[str]] = ..., text: _Optional[str] = ..., integration_types: _Optional[_Iterable[str]] = ..., certified_only: _Optional[bool] = ..., project: _Optional[str] = ..., page_token: _Optional[str] = ..., private: _Optional[bool] = ..., creator_company: _Optional[str] = ..., ids: _Optional[_Iterable[str]] = ..., keys: _Optional[_Iterable[str]] = ...) -> None: ...

class ListConnectorsResponse(_message.Message):
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
    results: _containers.RepeatedCompositeFieldContainer[_connector_pb2.Connector]
    next_page_token: str
    def __init__(self, limit: _Optional[int] = ..., offset: _Optional[int] = ..., count: _Optional[int] = ..., total: _Optional[int] = ..., results: _Optional[_Iterable[_Union[_connector_pb2.Connector, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListConnectorVersionsRequest(_message.Message):
    __slots__ = ("connector_id", "limit", "offset", "project", "page_token")
    CONNECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    connector_id: str
    limit: int
    offset: int
    project: str
    page_token: str
    def __init__(self, connector_id: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., project: _Optional[str] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListConnectorVersionsResponse(_message.Message):
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
    results: _containers.RepeatedCompositeFieldContainer[_connector_pb2.ConnectorVersion]
    next_page_token: str
    def __init__(self, limit: _Optional[int] = ..., offset: _Optional[int] = ..., count: _Optional[int] = ..., total: _Optional[int] = ..., results: _Optional[_Iterable[_Union[_connector_pb2.ConnectorVersion, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetConnectorVersionRequest(_message.Message):
    __slots__ = ("connector_id", "number", "project")
    CONNECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    connector_id: str
    number: int
    project: str
    def __init__(self, connector_id: _Optional[str] = ..., number: _Optional[int] = ..., project: _Optional[str] = ...) -> None: ...

class DeleteConnectorRequest(_message.Message):
    __slots__ = ("id", "dry_run", "project")
    ID_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    id: str
    dry_run: bool
    project: str
    def __init__(self, id: _Optional[str] = ..., dry_run: _Optional[bool] = ..., project: _Optional[str] = ...) -> None: ...

class DeleteConnectorResponse(_message.Message):
    __slots__ = ("deleted", "dry_run", "referencing_instance_count", "referencing_instances")
    DELETED_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    REFERENCING_INSTANCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    REFERENCING_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    dry_run: bool
    referencing_instance_count: int
    referencing_instances: _containers.RepeatedCompositeFieldContainer[_connector_pb2.ReferencingInstance]
    def __init__(self, deleted: _Optional[bool] = ..., dry_run: _Optional[bool] = ..., referencing_instance_count: _Optional[int] = ..., referencing_instances: _Optional[_Iterable[_Union[_connector_pb2.ReferencingInstance, _Mapping]]] = ...) -> None: ...

class BeginConnectorDeletionRequest(_message.Message):
    __slots__ = ("id", "staged", "key", "version", "project")
    ID_FIELD_NUMBER: _ClassVar[int]
    STAGED_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    id: str
    staged: bool
    key: str
    version: int
    project: str
    def __init__(self, id: _Optional[str] = ..., staged: _Optional[bool] = ..., key: _Optional[str] = ..., version: _Optional[int] = ..., project: _Optional[str] = ...) -> None: ...

class CancelConnectorDeletionRequest(_message.Message):
    __slots__ = ("id", "staged")
    ID_FIELD_NUMBER: _ClassVar[int]
    STAGED_FIELD_NUMBER: _ClassVar[int]
    id: str
    staged: bool
    def __init__(self, id: _Optional[str] = ..., staged: _Optional[bool] = ...) -> None: ...

class CompleteConnectorDeletionRequest(_message.Message):
    __slots__ = ("id", "staged")
    ID_FIELD_NUMBER: _ClassVar[int]
    STAGED_FIELD_NUMBER: _ClassVar[int]
    id: str
    staged: bool
    def __init__(self, id: _Optional[str] = ..., staged: _Optional[bool] = ...) -> None: ...

class CompleteConnectorDeletionResponse(_message.Message):
    __slots__ = ("id", "key", "deleted_versions", "connector_staged")
    ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    DELETED_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_STAGED_FIELD_NUMBER: _ClassVar[int]
    id: str
    key: str
    deleted_versions: int
    connector_staged: _connector_staged_pb2.ConnectorStaged
    def __init__(self, id: _Optional[str] = ..., key: _Optional[str] = ..., deleted_versions: _Optional[int] = ..., connector_staged: _Optional[_Union[_connector_staged_pb2.ConnectorStaged, _Mapping]] = ...) -> None: ...

class CheckConnectorUsableRequest(_message.Message):
    __slots__ = ("id", "key", "project", "version", "existing_use", "preview")
    ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    EXISTING_USE_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_FIELD_NUMBER: _ClassVar[int]
    id: str
    key: str
    project: str
    version: int
    existing_use: bool
    preview: bool
    def __init__(self, id: _Optional[str] = ..., key: _Optional[str] = ..., project: _Optional[str] = ..., version: _Optional[int] = ..., existing_use: _Optional[bool] = ..., preview: _Optional[bool] = ...) -> None: ...

class CheckConnectorUsableResponse(_message.Message):
    __slots__ = ("connector_id", "key", "version", "latest_version", "specification", "creator_project")
    CONNECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    LATEST_VERSION_FIELD_NUMBER: _ClassVar[int]
    SPECIFICATION_FIELD_NUMBER: _ClassVar[int]
    CREATOR_PROJECT_FIELD_NUMBER: _ClassVar[int]
    connector_id: str
    key: str
    version: _connector_pb2.ConnectorVersion
    latest_version: int
    specification: _specification_pb2.ConnectorSpecification
    creator_project: str
    def __init__(self, connector_id: _Optional[str] = ..., key: _Optional[str] = ..., version: _Optional[_Union[_connector_pb2.ConnectorVersion, _Mapping]] = ..., latest_version: _Optional[int] = ..., specification: _Optional[_Union[_specification_pb2.ConnectorSpecification, _Mapping]] = ..., creator_project: _Optional[str] = ...) -> None: ...
