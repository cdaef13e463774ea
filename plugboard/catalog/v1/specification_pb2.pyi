from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AuthenticationType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUTHENTICATION_TYPE_UNSPECIFIED: _ClassVar[AuthenticationType]
    AUTHENTICATION_TYPE_NONE: _ClassVar[AuthenticationType]
    AUTHENTICATION_TYPE_API_KEY_HEADER: _ClassVar[AuthenticationType]
    AUTHENTICATION_TYPE_API_KEY_QUERY: _ClassVar[AuthenticationType]
    AUTHENTICATION_TYPE_BASIC: _ClassVar[AuthenticationType]
    AUTHENTICATION_TYPE_BEARER: _ClassVar[AuthenticationType]
    AUTHENTICATION_TYPE_OAUTH2_CLIENT_CREDENTIALS: _ClassVar[AuthenticationType]
AUTHENTICATION_TYPE_UNSPECIFIED: AuthenticationType
AUTHENTICATION_TYPE_NONE: AuthenticationType
AUTHENTICATION_TYPE_API_KEY_HEADER: AuthenticationType
AUTHENTICATION_TYPE_API_KEY_QUERY: AuthenticationType
AUTHENTICATION_TYPE_BASIC: AuthenticationType
AUTHENTICATION_TYPE_BEARER: AuthenticationType
AUTHENTICATION_TYPE_OAUTH2_CLIENT_CREDENTIALS: AuthenticationType

class ConnectorSpecification(_message.Message):
    __slots__ = ("applications", "global_configuration", "connection", "api_client")
    APPLICATIONS_FIELD_NUMBER: _ClassVar[int]
    GLOBAL_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_FIELD_NUMBER: _ClassVar[int]
    API_CLIENT_FIELD_NUMBER: _ClassVar[int]
    applications: _containers.RepeatedCompositeFieldContainer[ConnectorConfigurationApplication]
    global_configuration: ConnectorGlobalConfiguration
    connection: ConnectionSpec
    api_client: ConnectorApiClient
    def __init__(self, applications: _Optional[_Iterable[_Union[ConnectorConfigurationApplication, _Mapping]]] = ..., global_configuration: _Optional[_Union[ConnectorGlobalConfiguration, _Mapping]] = ..., connection: _Optional[_Union[ConnectionSpec, _Mapping]] = ..., api_client: _Optional[_Union[ConnectorApiClient, _Mapping]] = ...) -> None: ...

class ConnectorConfigurationApplication(_message.Message):
    __slots__ = ("application_name", "application_type", "standard_configuration", "secured_configuration", "endpoint", "scripts", "properties", "health_check", "retry_policy")
    APPLICATION_NAME_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    STANDARD_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    SECURED_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    SCRIPTS_FIELD_NUMBER: _ClassVar[int]
    PROPERTIES_FIELD_NUMBER: _ClassVar[int]
    HEALTH_CHECK_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    application_name: str
    application_type: str
    standard_configuration: _containers.RepeatedCompositeFieldContainer[StandardConfigurationKey]
    secured_configuration: _containers.RepeatedCompositeFieldContainer[SecuredConfigurationKey]
    endpoint: str
    scripts: ApplicationScripts
    properties: ApplicationProperties
    health_check: ApplicationHealthCheck
    retry_policy: ApplicationRetryPolicy
    def __init__(self, application_name: _Optional[str] = ..., application_type: _Optional[str] = ..., standard_configuration: _Optional[_Iterable[_Union[StandardConfigurationKey, _Mapping]]] = ..., secured_configuration: _Optional[_Iterable[_Union[SecuredConfigurationKey, _Mapping]]] = ..., endpoint: _Optional[str] = ..., scripts: _Optional[_Union[ApplicationScripts, _Mapping]] = ..., properties: _Optional[_Union[ApplicationProperties, _Mapping]] = ..., health_check: _Optional[_Union[ApplicationHealthCheck, _Mapping]] = ..., retry_policy: _Optional[_Union[ApplicationRetryPolicy, _Mapping]] = ...) -> None: ...

class ApplicationScripts(_message.Message):
    __slots__ = ("post_deploy", "pre_undeploy")
    POST_DEPLOY_FIELD_NUMBER: _ClassVar[int]
    PRE_UNDEPLOY_FIELD_NUMBER: _ClassVar[int]
    post_deploy: str
    pre_undeploy: str
    def __init__(self, post_deploy: _Optional[str] = ..., pre_undeploy: _Optional[str] = ...) -> None: ...

class ApplicationProperties(_message.Message):
    __slots__ = ("schedule",)
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: str
    def __init__(self, schedule: _Optional[str] = ...) -> None: ...

class ApplicationHealthCheck(_message.Message):
    __slots__ = ("path", "interval_seconds", "timeout_seconds", "unhealthy_threshold")
    PATH_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    UNHEALTHY_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    path: str
    interval_seconds: int
    timeout_seconds: int
    unhealthy_threshold: int
    def __init__(self, path: _Optional[str] = ..., interval_seconds: _Optional[int] = ..., timeout_seconds: _Optional[int] = ..., unhealthy_threshold: _Optional[int] = ...) -> None: ...

class ApplicationRetryPolicy(_message.Message):
    __slots__ = ("strategy", "min_backoff_seconds", "max_backoff_seconds", "max_attempts")
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    MIN_BACKOFF_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_BACKOFF_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    strategy: str
    min_backoff_seconds: int
    max_backoff_seconds: int
    max_attempts: int
    def __init__(self, strategy: _Optional[str] = ..., min_backoff_seconds: _Optional[int] = ..., max_backoff_seconds: _Optional[int] = ..., max_attempts: _Optional[int] = ...) -> None: ...

class StandardConfigurationKey(_message.Message):
    __slots__ = ("key", "description", "default", "required")
    KEY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    key: str
    description: str
    default: str
    required: bool
    def __init__(self, key: _Optional[str] = ..., description: _Optional[str] = ..., default: _Optional[str] = ..., required: _Optional[bool] = ...) -> None: ...

class SecuredConfigurationKey(_message.Message):
    __slots__ = ("key", "description", "required")
    KEY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    key: str
    description: str
    required: bool
    def __init__(self, key: _Optional[str] = ..., description: _Optional[str] = ..., required: _Optional[bool] = ...) -> None: ...

class ConnectorGlobalConfiguration(_message.Message):
    __slots__ = ("standard_configuration", "secured_configuration")
    STANDARD_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    SECURED_CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    standard_configuration: _containers.RepeatedCompositeFieldContainer[StandardConfigurationKey]
    secured_configuration: _containers.RepeatedCompositeFieldContainer[SecuredConfigurationKey]
    def __init__(self, standard_configuration: _Optional[_Iterable[_Union[StandardConfigurationKey, _Mapping]]] = ..., secured_configuration: _Optional[_Iterable[_Union[SecuredConfigurationKey, _Mapping]]] = ...) -> None: ...

class ConnectorApiClient(_message.Message):
    __slots__ = ("scopes",)
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    scopes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, scopes: _Optional[_Iterable[str]] = ...) -> None: ...

class ConnectionSpec(_message.Message):
    __slots__ = ("base_url_template", "authentication", "test_request")
    BASE_URL_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATION_FIELD_NUMBER: _ClassVar[int]
    TEST_REQUEST_FIELD_NUMBER: _ClassVar[int]
    base_url_template: str
    authentication: ConnectionAuthentication
    test_request: ConnectionTestRequest
    def __init__(self, base_url_template: _Optional[str] = ..., authentication: _Optional[_Union[ConnectionAuthentication, _Mapping]] = ..., test_request: _Optional[_Union[ConnectionTestRequest, _Mapping]] = ...) -> None: ...

class ConnectionAuthentication(_message.Message):
    __slots__ = ("type", "parameter_name", "api_key_variable", "username_variable", "password_variable", "token_variable", "token_url_template", "client_id_variable", "client_secret_variable", "scopes")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_NAME_FIELD_NUMBER: _ClassVar[int]
    API_KEY_VARIABLE_FIELD_NUMBER: _ClassVar[int]
    USERNAME_VARIABLE_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_VARIABLE_FIELD_NUMBER: _ClassVar[int]
    TOKEN_VARIABLE_FIELD_NUMBER: _ClassVar[int]
    TOKEN_URL_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_VARIABLE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_VARIABLE_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    type: AuthenticationType
    parameter_name: str
    api_key_variable: str
    username_variable: str
    password_variable: str
    token_variable: str
    token_url_template: str
    client_id_variable: str
    client_secret_variable: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, type: _Optional[_Union[AuthenticationType, str]] = ..., parameter_name: _Optional[str] = ..., api_key_variable: _Optional[str] = ..., username_variable: _Optional[str] = ..., password_variable: _Optional[str] = ..., token_variable: _Optional[str] = ..., token_url_template: _Optional[str] = ..., client_id_variable: _Optional[str] = ..., client_secret_variable: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ...) -> None: ...

class ConnectionTestRequest(_message.Message):
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
