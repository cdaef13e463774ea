"""UpdateInstance rules: which fields a mask may name, and the validation of the new values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from plugboard.errors import FieldViolation, Validator

from .model import VariableInput, VersionPolicy
from .validation import (
    check_date_format,
    check_name,
    check_optional_fields,
    check_project,
    check_rate_limit_duration,
    check_rate_limit_unit,
    check_timezone,
    check_variable_shapes,
)

# Fields an update may change, in the order of the Instance message.
UPDATABLE_FIELDS: tuple[str, ...] = (
    "name",
    "version_policy",
    "timezone",
    "date_format",
    "rate_limit_unit",
    "rate_limit_duration",
    "connection_pool_id",
    "certificate_id",
    "platform_app_key",
    "session_id",
    "type",
    "variables",
)

# Fields of Instance an update may not name, and why.
NOT_UPDATABLE: Mapping[str, str] = {
    "id": "is output only",
    "project": "is output only",
    "connector_id": "cannot change: create a new instance for another connector",
    "connector_key": "cannot change: create a new instance for another connector",
    "connector_version": "cannot change here: it is the installation's version (UpdateInstallation)",
    "installation_id": "cannot change here: use MoveInstances",
    "state": "is output only",
    "version": "is the expected version, not an updatable field",
    "last_connection_test": "is output only",
    "upgrade": "is output only",
    "create_time": "is output only",
    "update_time": "is output only",
}

OPTIONAL_FIELDS = frozenset({"connection_pool_id", "certificate_id", "session_id"})

# Fields of the given variables a mask may name ("variables.label"): each is then replaced even when the
# request leaves it empty (or false), which is how a caller clears it. Without such a path, an update
# merges: what a given variable leaves empty (or false) keeps its stored value.
VARIABLE_FIELDS: tuple[str, ...] = ("value", "label", "alias", "configurable", "advanced", "secret")


@dataclass(frozen=True)
class InstancePatch:
    """New values for some fields (None clears an optional field), and variables to merge when given."""

    fields: Mapping[str, Any] = field(default_factory=dict)
    variables: tuple[VariableInput, ...] | None = None
    # Problems with the update mask, reported together with the other fields' problems.
    mask_violations: tuple[FieldViolation, ...] = ()
    # Variable fields the mask names explicitly (VARIABLE_FIELDS): replaced even when empty or false.
    variable_fields: frozenset[str] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not self.fields and self.variables is None


def check_mask_paths(
    paths: Sequence[str], field_name: str = "update_mask.paths"
) -> tuple[list[str], tuple[FieldViolation, ...]]:
    """The fields a mask names ("*": every updatable field) and one violation per path it may not name."""
    v = Validator()
    chosen: list[str] = []
    for index, path in enumerate(paths):
        if path == "*":
            chosen.extend(name for name in UPDATABLE_FIELDS if name not in chosen)
        elif path in UPDATABLE_FIELDS:
            if path not in chosen:
                chosen.append(path)
        elif path.startswith("variables.") and path.split(".", 1)[1] in VARIABLE_FIELDS:
            if path not in chosen:
                chosen.append(path)
        elif path.startswith("variables."):
            v.add(f"{field_name}[{index}]", f"unknown variable field {path!r}; a mask may name "
                  + ", ".join(f"variables.{name}" for name in VARIABLE_FIELDS))
        elif path in NOT_UPDATABLE:
            v.add(f"{field_name}[{index}]", f"{path!r} {NOT_UPDATABLE[path]}")
        else:
            v.add(f"{field_name}[{index}]", f"unknown field {path!r}; updatable: {', '.join(UPDATABLE_FIELDS)}")
    return chosen, tuple(v.violations)


def validate_update(
    project: str, instance_id: str, expected_version: int, patch: InstancePatch, prefix: str = "instance"
) -> None:
    """The request's identity and every new value; InvalidArgument naming each wrong field."""
    update_violations(project, instance_id, expected_version, patch, prefix).raise_if_any()


def update_violations(
    project: str, instance_id: str, expected_version: int, patch: InstancePatch, prefix: str = "instance"
) -> Validator:
    """A Validator holding every problem of the request that does not depend on the stored instance."""
    v = Validator()
    check_project(v, project)
    for violation in patch.mask_violations:
        v.add(violation.field, violation.description)
    v.check_not_empty(instance_id, f"{prefix}.id")
    v.require(expected_version >= 0, f"{prefix}.version",
              "must be the version the update applies to, or 0 (the current version)")
    values = patch.fields
    if "name" in values:
        check_name(v, values["name"], f"{prefix}.name")
    if "timezone" in values:
        check_timezone(v, values["timezone"], f"{prefix}.timezone")
    if "date_format" in values:
        check_date_format(v, values["date_format"], f"{prefix}.date_format")
    if "rate_limit_unit" in values:
        check_rate_limit_unit(v, values["rate_limit_unit"], f"{prefix}.rate_limit_unit")
    if "rate_limit_duration" in values:
        check_rate_limit_duration(v, values["rate_limit_duration"], f"{prefix}.rate_limit_duration")
    if "version_policy" in values:
        v.require(values["version_policy"] is not VersionPolicy.UNSPECIFIED, f"{prefix}.version_policy",
                  "must be FOLLOW_LATEST or PINNED")
    check_optional_fields(
        v, prefix,
        connection_pool_id=values.get("connection_pool_id"),
        certificate_id=values.get("certificate_id"),
        platform_app_key=values.get("platform_app_key"),
        session_id=values.get("session_id"),
        type=values.get("type"),
    )
    if patch.variables is not None:
        check_variable_shapes(v, patch.variables, f"{prefix}.variables", by_id=True)
    return v


__all__ = [
    "InstancePatch",
    "NOT_UPDATABLE",
    "OPTIONAL_FIELDS",
    "UPDATABLE_FIELDS",
    "VARIABLE_FIELDS",
    "check_mask_paths",
    "update_violations",
    "validate_update",
]
