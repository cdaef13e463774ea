"""Proto <-> domain conversion for the instance service (and the catalog answers it consumes).

Output never carries a secret's value: a secret variable shows ``value_set``, ``fingerprint`` and
``value_update_time`` only.
"""

from __future__ import annotations

from datetime import datetime, timezone

from google.protobuf import timestamp_pb2

from plugboard.catalog.v1 import catalog_service_pb2, specification_pb2
from plugboard.instance.v1 import instance_pb2, instance_service_pb2

from ..domain.connection import Authentication, AuthType, ConnectionSpec
from ..domain.outcomes import TestResult
from plugboard.page import Page

from ..domain.listing import ListQuery, list_query
from ..domain.model import (
    Configuration,
    ConfigurationKey,
    Instance,
    InstanceDraft,
    InstanceState,
    RateLimitUnit,
    References,
    TestOutcome,
    UsableConnector,
    Variable,
    VariableInput,
    VersionPolicy,
)
from ..domain.updates import OPTIONAL_FIELDS, UPDATABLE_FIELDS, InstancePatch, check_mask_paths

# ------------------------------------------------------------------------------------------ enums


def _from_proto_enum(enum_type, prefix: str, value: int, domain_type):  # type: ignore[no-untyped-def]
    try:
        name = enum_type.Name(value)
    except ValueError:
        return domain_type.UNSPECIFIED
    return domain_type[name.removeprefix(prefix)]


def rate_limit_unit(value: int) -> RateLimitUnit:
    return _from_proto_enum(instance_pb2.RateLimitUnit, "RATE_LIMIT_UNIT_", value, RateLimitUnit)


def version_policy(value: int) -> VersionPolicy:
    return _from_proto_enum(instance_pb2.VersionPolicy, "VERSION_POLICY_", value, VersionPolicy)


def test_outcome(value: int) -> TestOutcome:
    return _from_proto_enum(instance_pb2.ConnectionTestOutcome, "CONNECTION_TEST_OUTCOME_", value, TestOutcome)


test_outcome.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def _to_proto_enum(enum_type, prefix: str, value) -> int:  # type: ignore[no-untyped-def]
    return enum_type.Value(prefix + value.value)


def _enum_table(enum_type, prefix: str, domain_type) -> dict:  # type: ignore[no-untyped-def]
    return {item: enum_type.Value(prefix + item.value) for item in domain_type}


# Domain enum -> proto number, built once (the profile showed the name lookups on every instance).
_POLICY_NUMBERS = _enum_table(instance_pb2.VersionPolicy, "VERSION_POLICY_", VersionPolicy)
_UNIT_NUMBERS = _enum_table(instance_pb2.RateLimitUnit, "RATE_LIMIT_UNIT_", RateLimitUnit)
_STATE_NUMBERS = _enum_table(instance_pb2.InstanceState, "INSTANCE_STATE_", InstanceState)
_OUTCOME_NUMBERS = _enum_table(instance_pb2.ConnectionTestOutcome, "CONNECTION_TEST_OUTCOME_", TestOutcome)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    """The Timestamp of an aware datetime (a naive one is taken as UTC, as ``FromDatetime`` does)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    delta = value - _EPOCH
    return timestamp_pb2.Timestamp(seconds=delta.days * 86_400 + delta.seconds, nanos=delta.microseconds * 1000)


# ------------------------------------------------------------------------------------------ input


def variable_input(msg: instance_pb2.Variable) -> VariableInput:
    return VariableInput(
        key=msg.key, value=msg.value, label=msg.label, secret=msg.secret, locked=msg.locked,
        alias=msg.alias, configurable=msg.configurable, required=msg.required, advanced=msg.advanced,
        id=msg.id,
    )


def draft_from_proto(msg: instance_pb2.Instance) -> InstanceDraft:
    """The fields of a CreateInstance request's instance (output-only fields are ignored)."""
    return InstanceDraft(
        name=msg.name,
        timezone=msg.timezone,
        date_format=msg.date_format,
        rate_limit_unit=rate_limit_unit(msg.rate_limit_unit),
        rate_limit_duration=msg.rate_limit_duration,
        connector_id=msg.connector_id,
        connector_key=msg.connector_key,
        connector_version=msg.connector_version,
        version_policy=version_policy(msg.version_policy),
        connection_pool_id=msg.connection_pool_id if msg.HasField("connection_pool_id") else None,
        certificate_id=msg.certificate_id if msg.HasField("certificate_id") else None,
        platform_app_key=msg.platform_app_key,
        session_id=msg.session_id if msg.HasField("session_id") else None,
        type=msg.type,
        variables=tuple(variable_input(item) for item in msg.variables),
        installation_id=msg.installation_id,
    )


def _present(msg: instance_pb2.Instance, name: str) -> bool:
    if name in OPTIONAL_FIELDS:
        return msg.HasField(name)
    if name == "variables":
        return len(msg.variables) > 0
    return bool(getattr(msg, name))


def patch_from_request(request: instance_service_pb2.UpdateInstanceRequest) -> InstancePatch:
    """The fields named by the mask (or, with an empty mask, every updatable field present)."""
    msg = request.instance
    if request.update_mask.paths:
        chosen, violations = check_mask_paths(list(request.update_mask.paths))
    else:
        chosen, violations = [name for name in UPDATABLE_FIELDS if _present(msg, name)], ()
    fields: dict[str, object] = {}
    variables: tuple[VariableInput, ...] | None = None
    variable_fields = frozenset(path.split(".", 1)[1] for path in chosen if path.startswith("variables."))
    if variable_fields:
        chosen = [name for name in chosen if not name.startswith("variables.")]
        if "variables" not in chosen:
            chosen.append("variables")
    for name in chosen:
        if name == "variables":
            variables = tuple(variable_input(item) for item in msg.variables)
        elif name in OPTIONAL_FIELDS:
            fields[name] = getattr(msg, name) if msg.HasField(name) else None
        elif name == "rate_limit_unit":
            fields[name] = rate_limit_unit(msg.rate_limit_unit)
        elif name == "version_policy":
            fields[name] = version_policy(msg.version_policy)
        else:
            fields[name] = getattr(msg, name)
    return InstancePatch(fields=fields, variables=variables, mask_violations=violations,
                         variable_fields=variable_fields)


def list_query_from_request(request: instance_service_pb2.ListInstancesRequest) -> ListQuery:
    return list_query(
        request.project, page=request.page, per_page=request.per_page, sort=request.sort,
        connector_id=request.connector_id, connector_key=request.connector_key,
        name_prefix=request.name_prefix, last_test_outcome=test_outcome(request.last_test_outcome),
        session_id=request.session_id, platform_app_key=request.platform_app_key,
        page_token=request.page_token,
    )


# ----------------------------------------------------------------------------------------- output


def variable_to_proto(variable: Variable) -> instance_pb2.Variable:
    if variable.secret:
        shown = {"fingerprint": variable.fingerprint}  # never the value
    else:
        shown = {"value": variable.value or ""}
    return instance_pb2.Variable(
        id=variable.id, key=variable.key, label=variable.label, secret=variable.secret,
        locked=variable.locked, alias=variable.alias, configurable=variable.configurable,
        required=variable.required, advanced=variable.advanced, value_set=variable.value_set,
        value_update_time=timestamp(variable.value_update_time), **shown,
    )


def instance_to_proto(instance: Instance) -> instance_pb2.Instance:
    msg = instance_pb2.Instance(
        id=instance.id, project=instance.project, name=instance.name,
        connector_id=instance.connector_id, connector_key=instance.connector_key,
        connector_version=instance.connector_version,
        version_policy=_POLICY_NUMBERS[instance.version_policy],
        timezone=instance.timezone, date_format=instance.date_format,
        rate_limit_unit=_UNIT_NUMBERS[instance.rate_limit_unit],
        rate_limit_duration=instance.rate_limit_duration, platform_app_key=instance.platform_app_key,
        type=instance.type,
        state=_STATE_NUMBERS[instance.state],
        version=instance.version,
        variables=[variable_to_proto(item) for item in instance.variables],
        upgrade=instance_pb2.UpgradeStatus(
            latest_version=instance.latest_version,
            newer_version_available=instance.latest_version > instance.connector_version,
            blocked_reasons=list(instance.blocked_reasons),
        ),
        create_time=timestamp(instance.create_time),
        update_time=timestamp(instance.update_time),
        preview=instance.version_policy is VersionPolicy.PREVIEW,
        installation_id=instance.installation_id,
    )
    if instance.last_test is not None:
        msg.last_connection_test.CopyFrom(test_result_to_proto(instance.last_test))
    if instance.connection_pool_id is not None:
        msg.connection_pool_id = instance.connection_pool_id
    if instance.certificate_id is not None:
        msg.certificate_id = instance.certificate_id
    if instance.session_id is not None:
        msg.session_id = instance.session_id
    return msg


def test_result_to_proto(result: TestResult) -> instance_pb2.ConnectionTestResult:
    msg = instance_pb2.ConnectionTestResult(
        id=result.id, instance_id=result.instance_id,
        outcome=_OUTCOME_NUMBERS[result.outcome],
        http_status=result.http_status, latency_ms=result.latency_ms, message=result.message,
        connector_version=result.connector_version, test_time=timestamp(result.test_time),
    )
    return msg


def page_to_proto(page: Page, per_page: int) -> instance_service_pb2.ListInstancesResponse:
    return instance_service_pb2.ListInstancesResponse(
        instances=[instance_to_proto(item) for item in page.items], page=page.offset // per_page + 1,
        per_page=per_page, total=page.total, next_page_token=page.next_page_token,
    )


def references_to_proto(references: References) -> instance_service_pb2.CountConnectorReferencesResponse:
    return instance_service_pb2.CountConnectorReferencesResponse(
        total=references.total,
        instances=[
            instance_service_pb2.InstanceReference(
                project=item.project, id=item.id, name=item.name,
                state=_STATE_NUMBERS[item.state],
            )
            for item in references.instances
        ],
    )


# ---------------------------------------------------------------------------------------- catalog


def configuration_from_spec(spec: specification_pb2.ConnectorSpecification) -> Configuration:
    """The configuration keys of a specification, merged over its applications and global config."""
    mentions: list[ConfigurationKey] = []

    def add(standard, secured) -> None:  # type: ignore[no-untyped-def]
        for item in standard:
            mentions.append(ConfigurationKey(key=item.key, secret=False, required=item.required,
                                             default=item.default, description=item.description))
        for item in secured:
            mentions.append(ConfigurationKey(key=item.key, secret=True, required=item.required,
                                             description=item.description))

    for application in spec.applications:
        add(application.standard_configuration, application.secured_configuration)
    add(spec.global_configuration.standard_configuration, spec.global_configuration.secured_configuration)
    return Configuration.merge(mentions)


def connection_from_spec(spec: specification_pb2.ConnectorSpecification) -> ConnectionSpec | None:
    """The specification's `connection` section; None when it has none."""
    if not spec.HasField("connection") or not spec.connection.base_url_template:
        return None
    section = spec.connection
    auth = section.authentication
    try:
        kind = AuthType[specification_pb2.AuthenticationType.Name(auth.type).removeprefix("AUTHENTICATION_TYPE_")]
    except (ValueError, KeyError):
        kind = AuthType.UNSPECIFIED
    return ConnectionSpec(
        base_url_template=section.base_url_template,
        authentication=Authentication(
            type=kind, parameter_name=auth.parameter_name, api_key_variable=auth.api_key_variable,
            username_variable=auth.username_variable, password_variable=auth.password_variable,
            token_variable=auth.token_variable, token_url_template=auth.token_url_template,
            client_id_variable=auth.client_id_variable, client_secret_variable=auth.client_secret_variable,
            scopes=tuple(auth.scopes),
        ),
        method=section.test_request.method or "GET",
        path=section.test_request.path,
        expected_status=tuple(section.test_request.expected_status),
        headers=tuple(sorted(section.test_request.headers.items())),
    )


# Converted specifications by their serialized bytes: a published version's specification never changes,
# so every create on a connector version converts the same bytes (bounded; cleared when full).
_SPECS: dict[bytes, tuple[Configuration, ConnectionSpec | None]] = {}
_SPECS_MAX = 512


def _converted(spec: specification_pb2.ConnectorSpecification) -> tuple[Configuration, ConnectionSpec | None]:
    raw = spec.SerializeToString(deterministic=True)
    found = _SPECS.get(raw)
    if found is None:
        found = (configuration_from_spec(spec), connection_from_spec(spec))
        if len(_SPECS) >= _SPECS_MAX:
            _SPECS.clear()
        _SPECS[raw] = found
    return found


def usable_from_response(response: catalog_service_pb2.CheckConnectorUsableResponse) -> UsableConnector:
    spec = response.specification if response.HasField("specification") else response.version.specification
    configuration, connection = _converted(spec)
    return UsableConnector(
        connector_id=response.connector_id or response.version.connector_id,
        connector_key=response.key or response.version.key,
        version=response.version.number,
        latest_version=response.latest_version or response.version.number,
        configuration=configuration,
        connection=connection,
        creator_project=response.creator_project,
        name=response.version.name,
    )
