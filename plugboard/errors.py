"""The one domain error hierarchy of Plugboard.

Domain code raises these; the transport edge (``plugboard.rpc.status``) maps each class to a
canonical gRPC status code with ``google.rpc`` details, and turns errors coming back from a call
into these classes again. This module imports neither grpc nor peewee.

Every error carries:

- ``reason``: UPPER_SNAKE machine-readable cause, e.g. ``CONNECTOR_STAGED_NOT_PRIVATE``
  (goes into ``google.rpc.ErrorInfo.reason``);
- ``message``: text safe to show callers (never a secret, never a traceback);
- ``metadata``: ``dict[str, str]`` of extra facts (goes into ``ErrorInfo.metadata``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as _field
from typing import Any, ClassVar

_REASON_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,62}$")


def is_valid_reason(reason: str) -> bool:
    """True when ``reason`` is UPPER_SNAKE, at most 63 characters (the ErrorInfo rule)."""
    return bool(_REASON_RE.match(reason)) and not reason.endswith("_")


def upper_snake(name: str) -> str:
    """``"ConnectorStaged"`` / ``"plugboard.v1.connector-staged"`` -> ``"CONNECTOR_STAGED"``."""
    last = name.rsplit(".", 1)[-1]
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", last)
    return re.sub(r"[^A-Za-z0-9]+", "_", snake).strip("_").upper() or "RESOURCE"


class PlugboardError(Exception):
    """Base of every domain error. Raised directly it means an internal error.

    ``downstream`` is the failed call this error was rebuilt from (``plugboard.rpc.status.from_rpc_error``
    sets it; None for an error raised here), so that an edge can pass a callee's answer on unchanged.
    """

    default_reason: ClassVar[str] = "INTERNAL"
    downstream: Any = None

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        reason = reason or self.default_reason
        if not is_valid_reason(reason):
            raise ValueError(f"error reason must be UPPER_SNAKE (<= 63 chars), got {reason!r}")
        super().__init__(message)
        self.message: str = message
        self.reason: str = reason
        self.metadata: dict[str, str] = {str(k): str(v) for k, v in (metadata or {}).items()}

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!r}, message={self.message!r})"


@dataclass(frozen=True)
class FieldViolation:
    """One wrong field of a request: ``field`` is a dotted path (``"spec.variables[2].name"``)."""

    field: str
    description: str


@dataclass(frozen=True)
class PreconditionViolation:
    """One unmet precondition: ``type`` (UPPER_SNAKE kind), ``subject`` (what), ``description``."""

    type: str
    subject: str
    description: str


def _summary(prefix: str, parts: Sequence[str], limit: int = 3) -> str:
    shown = "; ".join(parts[:limit])
    more = f" (and {len(parts) - limit} more)" if len(parts) > limit else ""
    return f"{prefix}: {shown}{more}" if parts else prefix


class InvalidArgument(PlugboardError):
    """The request is malformed, whatever the state of the system (INVALID_ARGUMENT)."""

    default_reason = "INVALID_ARGUMENT"

    def __init__(
        self,
        violations: Iterable[FieldViolation | tuple[str, str]],
        *,
        message: str | None = None,
        reason: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.violations: list[FieldViolation] = [
            v if isinstance(v, FieldViolation) else FieldViolation(*v) for v in violations
        ]
        text = message or _summary(
            "invalid argument", [f"{v.field}: {v.description}" for v in self.violations]
        )
        super().__init__(text, reason=reason, metadata=metadata)

    @classmethod
    def from_list(
        cls, violations: Iterable[FieldViolation | tuple[str, str]], *, reason: str | None = None
    ) -> InvalidArgument:
        """Build from ``FieldViolation``s or ``(field, description)`` pairs."""
        return cls(violations, reason=reason)

    @classmethod
    def single(cls, field: str, description: str, *, reason: str | None = None) -> InvalidArgument:
        """One wrong field."""
        return cls([FieldViolation(field, description)], reason=reason)


class OutOfRange(InvalidArgument):
    """Valid request past the valid range, e.g. a page token beyond the end (OUT_OF_RANGE)."""

    default_reason = "OUT_OF_RANGE"


class NotFound(PlugboardError):
    """The named resource does not exist (or is not visible to the caller) (NOT_FOUND)."""

    def __init__(
        self,
        resource_type: str,
        resource_name: str,
        *,
        message: str | None = None,
        reason: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.resource_type = resource_type
        self.resource_name = resource_name
        super().__init__(
            message or f"{resource_type} {resource_name!r} not found",
            reason=reason or f"{upper_snake(resource_type)}_NOT_FOUND",
            metadata=metadata,
        )


INSTANCE = "instance"  # the instance service's resource type


def instance_not_found(instance_id: str) -> NotFound:
    """The one NOT_FOUND of an instance: the same for a missing one, another project's one (the instance
    service) and one asked for with another project's API key (the gateway answers it in its place)."""
    return NotFound(INSTANCE, instance_id, message=f"{INSTANCE} {instance_id!r} not found")


INSTALLATION = "installation"  # the instance service's installations (issue 16)


def installation_not_found(installation_id: str) -> NotFound:
    """The one NOT_FOUND of an installation: missing, PENDING, another project's, or asked for with another
    project's API key (the gateway answers it in the instance service's place)."""
    return NotFound(INSTALLATION, installation_id, message=f"{INSTALLATION} {installation_id!r} not found")


class AlreadyExists(PlugboardError):
    """A resource with the same unique ``field`` value exists (ALREADY_EXISTS)."""

    def __init__(
        self,
        resource_type: str,
        field: str,
        value: str,
        *,
        message: str | None = None,
        reason: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.resource_type = resource_type
        self.field = field
        self.value = str(value)
        super().__init__(
            message or f"{resource_type} with {field} {self.value!r} already exists",
            reason=reason or f"{upper_snake(resource_type)}_ALREADY_EXISTS",
            metadata={"field": field, "value": self.value, **(metadata or {})},
        )


class FailedPrecondition(PlugboardError):
    """The system is not in the state the operation requires (FAILED_PRECONDITION)."""

    default_reason = "FAILED_PRECONDITION"

    def __init__(
        self,
        violations: Iterable[PreconditionViolation | tuple[str, str, str]],
        *,
        message: str | None = None,
        reason: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.violations: list[PreconditionViolation] = [
            v if isinstance(v, PreconditionViolation) else PreconditionViolation(*v)
            for v in violations
        ]
        text = message or _summary(
            "failed precondition", [f"{v.subject}: {v.description}" for v in self.violations]
        )
        super().__init__(text, reason=reason, metadata=metadata)

    @classmethod
    def single(
        cls, type: str, subject: str, description: str, *, reason: str | None = None
    ) -> FailedPrecondition:
        """One unmet precondition; ``reason`` defaults to ``type`` when that is UPPER_SNAKE."""
        if reason is None and is_valid_reason(type):
            reason = type
        return cls([PreconditionViolation(type, subject, description)], reason=reason)


class Aborted(PlugboardError):
    """A concurrency conflict; retrying the whole read-modify-write may succeed (ABORTED)."""

    default_reason = "ABORTED"


class ConcurrentModification(Aborted):
    """The caller's version of a resource is stale; metadata carries both versions."""

    default_reason = "CONCURRENT_MODIFICATION"

    def __init__(
        self,
        expected_version: int | str,
        current_version: int | str,
        *,
        message: str | None = None,
        reason: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.expected_version = expected_version
        self.current_version = current_version
        super().__init__(
            message
            or f"version {expected_version} is stale, the current version is {current_version}",
            reason=reason,
            metadata={
                **(metadata or {}),
                "expected_version": str(expected_version),
                "current_version": str(current_version),
            },
        )


class PermissionDenied(PlugboardError):
    """The authenticated caller may not do this (PERMISSION_DENIED)."""

    default_reason = "PERMISSION_DENIED"


class Unauthenticated(PlugboardError):
    """No valid credentials (UNAUTHENTICATED)."""

    default_reason = "UNAUTHENTICATED"


class Unavailable(PlugboardError):
    """A dependency (database, another service) is down; retry later (UNAVAILABLE)."""

    default_reason = "UNAVAILABLE"


class DeadlineExceeded(PlugboardError):
    """The deadline expired before the operation completed (DEADLINE_EXCEEDED)."""

    default_reason = "DEADLINE_EXCEEDED"


@dataclass(frozen=True)
class QuotaViolation:
    """One exhausted quota (``google.rpc.QuotaFailure.Violation``): ``subject`` (who hit it, e.g.
    ``projects/acme``), ``description``; ``quota_id`` names the limit (its setting), ``quota_metric`` what
    it counts, ``quota_value`` the limit, ``dimensions`` the facts it applies to (``{"project": "acme"}``)."""

    subject: str
    description: str
    quota_id: str = ""
    quota_metric: str = ""
    quota_value: int = 0
    dimensions: Mapping[str, str] = _field(default_factory=dict)


class ResourceExhausted(PlugboardError):
    """A quota or limit is exhausted (RESOURCE_EXHAUSTED); ``violations`` name the quotas."""

    default_reason = "RESOURCE_EXHAUSTED"

    def __init__(
        self,
        message: str,
        *,
        violations: Iterable[QuotaViolation] = (),
        reason: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self.violations: list[QuotaViolation] = list(violations)
        super().__init__(message, reason=reason, metadata=metadata)


class Unimplemented(PlugboardError):
    """The operation is not implemented or not supported (UNIMPLEMENTED)."""

    default_reason = "UNIMPLEMENTED"


class Cancelled(PlugboardError):
    """The operation was cancelled, typically by the caller (CANCELLED)."""

    default_reason = "CANCELLED"


class Internal(PlugboardError):
    """A bug or broken invariant; the message carries only a reference id (INTERNAL)."""

    default_reason = "INTERNAL"


class Validator:
    """Collects field violations so that every wrong field is reported at once.

    >>> v = Validator()
    >>> v.check_not_empty(name, "name")
    >>> v.require(limit <= 500, "limit", "must be at most 500")
    >>> v.raise_if_any()   # InvalidArgument with all violations, or nothing
    """

    def __init__(self, prefix: str = "") -> None:
        self._prefix = f"{prefix}." if prefix else ""
        self._violations: list[FieldViolation] = []

    @property
    def violations(self) -> list[FieldViolation]:
        return list(self._violations)

    def __bool__(self) -> bool:
        """True when at least one violation was recorded."""
        return bool(self._violations)

    def add(self, field: str, description: str) -> None:
        self._violations.append(FieldViolation(self._prefix + field, description))

    def require(self, condition: object, field: str, description: str) -> bool:
        """Record a violation unless ``condition`` holds; returns the condition as a bool."""
        if not condition:
            self.add(field, description)
        return bool(condition)

    def check_not_empty(self, value: object, field: str) -> bool:
        """``value`` must not be None, empty or blank."""
        if isinstance(value, str):
            present = bool(value.strip())
        elif value is None:
            present = False
        elif hasattr(value, "__len__"):
            present = len(value) > 0  # type: ignore[arg-type]
        else:
            present = True
        return self.require(present, field, "is required")

    def check_max_length(self, value: str | Sequence[Any] | None, field: str, max_length: int) -> bool:
        return self.require(
            value is None or len(value) <= max_length, field, f"must be at most {max_length} long"
        )

    def check_pattern(self, value: str | None, field: str, pattern: str | re.Pattern[str],
                      description: str) -> bool:
        """``value`` (when given) must fully match ``pattern``; ``description`` says the rule."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        return self.require(value is None or rx.fullmatch(value) is not None, field, description)

    def check_range(self, value: float | None, field: str, minimum: float | None = None,
                    maximum: float | None = None) -> bool:
        if value is None:
            return True
        if minimum is not None and value < minimum:
            return self.require(False, field, f"must be at least {minimum}")
        if maximum is not None and value > maximum:
            return self.require(False, field, f"must be at most {maximum}")
        return True

    def check_one_of(self, value: object, field: str, choices: Iterable[object]) -> bool:
        allowed = list(choices)
        return self.require(
            value in allowed, field, "must be one of " + ", ".join(str(c) for c in allowed)
        )

    def nested(self, prefix: str) -> Validator:
        """A validator for a sub-message that records into this one under ``prefix``."""
        child = Validator(self._prefix + prefix)
        child._violations = self._violations
        return child

    def raise_if_any(self, *, message: str | None = None, reason: str | None = None) -> None:
        if self._violations:
            raise InvalidArgument(self._violations, message=message, reason=reason)
