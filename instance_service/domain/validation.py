"""Validation of instance fields and variables; every wrong field is reported at once.

Field paths follow the request message (``instance.name``, ``instance.variables[2].key``), so a caller can
point at the exact input. Two stages, as in the create protocol:

1. ``validate_draft``: the instance's own fields and the shape of its variables (key pattern, no duplicates),
   before anything is written.
2. ``resolve_variables``: the variables against the connector version's configuration keys, once the
   catalog has answered: secured keys are secrets (whatever the caller said), standard keys are settings
   unless the caller sends ``secret: true`` (then they are secrets too: a caller may make any value
   secret, never the reverse), defaults fill missing standard values, and each missing required key or
   unknown key is one violation. A configuration with no keys at all accepts the caller's variables and
   ``secret`` flags as given.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from plugboard.errors import Validator

from .model import Configuration, InstanceDraft, RateLimitUnit, VariableInput, VersionPolicy

NAME_MAX = 255
TEXT_MAX = 255
DATE_FORMAT_MAX = 64
VARIABLES_MAX = 200
VALUE_MAX = 64 * 1024
PROJECT_MAX = 255
VARIABLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")
RATE_LIMIT_UNITS = tuple(unit for unit in RateLimitUnit if unit is not RateLimitUnit.UNSPECIFIED)


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_valid_timezone(name: str) -> bool:
    """True for an IANA time zone name in this system's tz database ("Europe/London", "UTC")."""
    return name in _timezones()


def check_project(v: Validator, project: str, field: str = "project") -> None:
    if v.check_not_empty(project, field):
        v.check_max_length(project, field, PROJECT_MAX)


def check_name(v: Validator, name: str, field: str) -> None:
    v.require(1 <= len(name) <= NAME_MAX and name.strip(), field,
              f"is required: 1 to {NAME_MAX} characters, not only spaces")


def check_timezone(v: Validator, timezone: str, field: str) -> None:
    if not timezone:
        v.add(field, 'is required: an IANA time zone name such as "Europe/London"')
    elif not is_valid_timezone(timezone):
        v.add(field, 'is not a known IANA time zone name (for example "Europe/London" or "UTC")')


def check_date_format(v: Validator, date_format: str, field: str) -> None:
    if v.require(date_format.strip(), field, 'is required, for example "Y-m-d H:i:s"'):
        v.check_max_length(date_format, field, DATE_FORMAT_MAX)


def check_rate_limit_unit(v: Validator, unit: RateLimitUnit, field: str) -> None:
    v.require(unit in RATE_LIMIT_UNITS, field,
              "is required: one of " + ", ".join(u.value for u in RATE_LIMIT_UNITS))


def check_rate_limit_duration(v: Validator, duration: int, field: str) -> None:
    v.require(duration > 0, field, "must be above 0")


def check_optional_fields(
    v: Validator,
    prefix: str,
    *,
    connection_pool_id: int | None = None,
    certificate_id: str | None = None,
    platform_app_key: str | None = None,
    session_id: str | None = None,
    type: str | None = None,
) -> None:
    if connection_pool_id is not None:
        v.require(connection_pool_id > 0, f"{prefix}.connection_pool_id", "must be above 0 when set")
    for name, value in (("certificate_id", certificate_id), ("platform_app_key", platform_app_key),
                        ("session_id", session_id), ("type", type)):
        if value is not None:
            v.check_max_length(value, f"{prefix}.{name}", TEXT_MAX)


def check_variable_shapes(v: Validator, variables: Sequence[VariableInput], field: str, *,
                          by_id: bool = False) -> None:
    """Keys match the pattern, appear once, and values and labels have sane sizes. With ``by_id`` (an
    update), a variable may be named by its ``id`` alone; the key then comes from the stored variable."""
    if len(variables) > VARIABLES_MAX:
        v.add(field, f"must have at most {VARIABLES_MAX} variables")
    first_index: dict[str, int] = {}
    first_id: dict[str, int] = {}
    for index, variable in enumerate(variables):
        path = f"{field}[{index}]"
        if by_id and variable.id:
            if v.check_max_length(variable.id, f"{path}.id", TEXT_MAX):
                if variable.id in first_id:
                    v.add(f"{path}.id", f"duplicates variables[{first_id[variable.id]}].id")
                first_id.setdefault(variable.id, index)
        if not variable.key:
            if not (by_id and variable.id):
                v.add(f"{path}.key", "is required (or, in an update, the variable's id)" if by_id else "is required")
        elif not VARIABLE_KEY.match(variable.key):
            v.add(f"{path}.key", f"must match {VARIABLE_KEY.pattern}")
        elif variable.key in first_index:
            v.add(f"{path}.key", f"duplicates variables[{first_index[variable.key]}].key {variable.key!r}")
        else:
            first_index[variable.key] = index
        v.require(len(variable.value) <= VALUE_MAX, f"{path}.value", f"must be at most {VALUE_MAX} characters")
        v.check_max_length(variable.label, f"{path}.label", TEXT_MAX)
        v.check_max_length(variable.alias, f"{path}.alias", TEXT_MAX)


def validate_draft(project: str, draft: InstanceDraft, prefix: str = "instance") -> None:
    """Every field of a CreateInstance request; InvalidArgument naming each wrong one."""
    v = Validator()
    check_project(v, project)
    check_name(v, draft.name, f"{prefix}.name")
    if draft.connector_id and draft.connector_key:
        v.add(f"{prefix}.connector_id", "give either connector_id or connector_key, not both")
    elif not draft.connector_id and not draft.connector_key and not draft.installation_id:
        v.add(f"{prefix}.connector_id", "installation_id, connector_id or connector_key is required")
    for name in ("connector_id", "connector_key", "installation_id"):
        v.check_max_length(getattr(draft, name), f"{prefix}.{name}", TEXT_MAX)
    v.require(draft.connector_version >= 0, f"{prefix}.connector_version", "must be 0 (latest) or a version number")
    check_timezone(v, draft.timezone, f"{prefix}.timezone")
    check_date_format(v, draft.date_format, f"{prefix}.date_format")
    check_rate_limit_unit(v, draft.rate_limit_unit, f"{prefix}.rate_limit_unit")
    check_rate_limit_duration(v, draft.rate_limit_duration, f"{prefix}.rate_limit_duration")
    check_optional_fields(
        v, prefix, connection_pool_id=draft.connection_pool_id, certificate_id=draft.certificate_id,
        platform_app_key=draft.platform_app_key, session_id=draft.session_id, type=draft.type,
    )
    check_variable_shapes(v, draft.variables, f"{prefix}.variables")
    v.raise_if_any()


def effective_policy(draft: InstanceDraft) -> VersionPolicy:
    """UNSPECIFIED means FOLLOW_LATEST, unless the caller named a version: then the instance is pinned."""
    if draft.version_policy is not VersionPolicy.UNSPECIFIED:
        return draft.version_policy
    return VersionPolicy.PINNED if draft.connector_version > 0 else VersionPolicy.FOLLOW_LATEST


# ------------------------------------------------------------------------- variables vs. specification


@dataclass(frozen=True)
class ResolvedVariable:
    """A variable after the specification decided what it is; ``value`` is still plaintext."""

    key: str
    value: str
    secret: bool
    required: bool
    label: str = ""
    locked: bool = False
    alias: str = ""
    configurable: bool = False
    advanced: bool = False

    def __repr__(self) -> str:
        return f"ResolvedVariable(key={self.key!r}, secret={self.secret}, value=<{len(self.value)} chars>)"


def resolve_variables(
    variables: Sequence[VariableInput],
    configuration: Configuration | None,
    *,
    field: str = "instance.variables",
    version: int | None = None,
) -> tuple[ResolvedVariable, ...]:
    """The instance's variables decided by the configuration keys; InvalidArgument naming each problem."""
    v = Validator()
    if configuration is None or configuration.is_empty:
        resolved = tuple(
            ResolvedVariable(
                key=item.key, value=item.value, secret=item.secret, required=item.required,
                label=item.label, locked=item.locked, alias=item.alias,
                configurable=item.configurable, advanced=item.advanced,
            )
            for item in variables
        )
        for index, item in enumerate(resolved):
            if item.required and not item.value:
                v.add(f"{field}[{index}].value", f"variable {item.key!r} is required and has no value")
        v.raise_if_any()
        return resolved

    where = f"connector version {version}" if version else "the connector version"
    given: dict[str, int] = {}
    out: list[ResolvedVariable] = []
    for index, item in enumerate(variables):
        spec = configuration.get(item.key)
        if spec is None:
            v.add(f"{field}[{index}].key", f"unknown variable {item.key!r}: not a configuration key of {where}")
            continue
        given[item.key] = index
        value = item.value
        if not value and spec.default and not spec.secret:
            value = spec.default
        if spec.required and not value:
            v.add(f"{field}[{index}].value", f"variable {item.key!r} is required and has no value")
        out.append(ResolvedVariable(
            key=item.key, value=value, secret=spec.secret or item.secret, required=spec.required,
            label=item.label, locked=item.locked, alias=item.alias,
            configurable=item.configurable, advanced=item.advanced,
        ))
    for spec in configuration.keys:
        if spec.key in given:
            continue
        if not spec.secret and spec.default:
            out.append(ResolvedVariable(key=spec.key, value=spec.default, secret=False, required=spec.required))
        elif spec.required:
            kind = "secret" if spec.secret else "setting"
            v.add(field, f"required {kind} {spec.key!r} of {where} is missing")
    v.raise_if_any()
    return tuple(out)
