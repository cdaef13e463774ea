"""The one table at the edge: domain errors <-> gRPC status with ``google.rpc`` details.

``to_status`` turns a ``PlugboardError`` into a ``grpc.Status`` whose trailing metadata carries a
``google.rpc.Status`` with ``ErrorInfo`` (always) plus ``BadRequest``, ``PreconditionFailure``,
``QuotaFailure`` or ``ResourceInfo`` as the error calls for. ``from_rpc_error`` does the reverse for an
error coming back from a call: the one converter of failed calls (gateway to backends, instance service
to catalog), so a service can re-raise or pass on what a downstream service said.
"""

from __future__ import annotations

from collections.abc import Collection

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from plugboard import errors as e

ERROR_DOMAIN = "plugboard.dev"
DETAILS_METADATA_KEY = "grpc-status-details-bin"

# The single mapping class -> code. Lookup walks the MRO, so subclasses inherit their parent's
# code unless listed here.
CODES: dict[type[e.PlugboardError], grpc.StatusCode] = {
    e.PlugboardError: grpc.StatusCode.INTERNAL,
    e.Internal: grpc.StatusCode.INTERNAL,
    e.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    e.OutOfRange: grpc.StatusCode.OUT_OF_RANGE,
    e.NotFound: grpc.StatusCode.NOT_FOUND,
    e.AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    e.FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    e.Aborted: grpc.StatusCode.ABORTED,
    e.PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    e.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    e.Unavailable: grpc.StatusCode.UNAVAILABLE,
    e.DeadlineExceeded: grpc.StatusCode.DEADLINE_EXCEEDED,
    e.ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
    e.Unimplemented: grpc.StatusCode.UNIMPLEMENTED,
    e.Cancelled: grpc.StatusCode.CANCELLED,
}

# Reverse direction: the class to rebuild for a code (UNKNOWN and DATA_LOSS are internal errors).
_CLASS_FOR_CODE: dict[grpc.StatusCode, type[e.PlugboardError]] = {
    code: cls for cls, code in CODES.items() if cls is not e.PlugboardError
}
_CLASS_FOR_CODE[grpc.StatusCode.UNKNOWN] = e.Internal
_CLASS_FOR_CODE[grpc.StatusCode.DATA_LOSS] = e.Internal


def code_of(err: e.PlugboardError) -> grpc.StatusCode:
    """The canonical status code of a domain error."""
    for cls in type(err).__mro__:
        if cls in CODES:
            return CODES[cls]
    return grpc.StatusCode.INTERNAL


def _pack(message) -> any_pb2.Any:  # type: ignore[no-untyped-def]
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def to_rich_status(err: e.PlugboardError) -> status_pb2.Status:
    """The ``google.rpc.Status`` describing ``err``."""
    details = [
        error_details_pb2.ErrorInfo(reason=err.reason, domain=ERROR_DOMAIN, metadata=err.metadata)
    ]
    if isinstance(err, e.InvalidArgument):
        details.append(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=v.field, description=v.description
                    )
                    for v in err.violations
                ]
            )
        )
    elif isinstance(err, e.FailedPrecondition):
        details.append(
            error_details_pb2.PreconditionFailure(
                violations=[
                    error_details_pb2.PreconditionFailure.Violation(
                        type=v.type, subject=v.subject, description=v.description
                    )
                    for v in err.violations
                ]
            )
        )
    elif isinstance(err, e.NotFound):
        details.append(
            error_details_pb2.ResourceInfo(
                resource_type=err.resource_type, resource_name=err.resource_name
            )
        )
    elif isinstance(err, e.ResourceExhausted) and err.violations:
        details.append(
            error_details_pb2.QuotaFailure(
                violations=[
                    error_details_pb2.QuotaFailure.Violation(
                        subject=v.subject, description=v.description, quota_id=v.quota_id,
                        quota_metric=v.quota_metric, quota_value=v.quota_value,
                        quota_dimensions=dict(v.dimensions),
                    )
                    for v in err.violations
                ]
            )
        )
    elif isinstance(err, e.AlreadyExists):
        details.append(
            error_details_pb2.ResourceInfo(
                resource_type=err.resource_type,
                resource_name=err.value,
                description=f"{err.field} must be unique",
            )
        )
    return status_pb2.Status(
        code=code_of(err).value[0], message=err.message, details=[_pack(d) for d in details]
    )


def to_status(err: e.PlugboardError) -> grpc.Status:
    """A ``grpc.Status`` for ``context.abort_with_status``."""
    return rpc_status.to_status(to_rich_status(err))


def _trailing_metadata(exc: grpc.RpcError) -> tuple[tuple[str, str | bytes], ...]:
    getter = getattr(exc, "trailing_metadata", None)
    if getter is None:
        return ()
    metadata = getter()
    return tuple(metadata) if metadata else ()


def details_of(exc: grpc.RpcError) -> status_pb2.Status | None:
    """The ``google.rpc.Status`` an error carries in its trailing metadata, or None."""
    for key, value in _trailing_metadata(exc):
        if key == DETAILS_METADATA_KEY and isinstance(value, bytes):
            try:
                return status_pb2.Status.FromString(value)
            except Exception:  # malformed details from a foreign server: ignore them
                return None
    return None


def _unpack(status: status_pb2.Status, message_type):  # type: ignore[no-untyped-def]
    for detail in status.details:
        if detail.Is(message_type.DESCRIPTOR):
            message = message_type()
            detail.Unpack(message)
            return message
    return None


def parts_of(status: status_pb2.Status) -> tuple[grpc.StatusCode, error_details_pb2.ErrorInfo,
                                                   error_details_pb2.BadRequest]:
    """The code of a ``google.rpc.Status`` and its ErrorInfo and BadRequest (empty when absent): what the
    HTTP dialects read to shape their own error bodies."""
    code = next((c for c in grpc.StatusCode if c.value[0] == status.code), grpc.StatusCode.UNKNOWN)
    info = _unpack(status, error_details_pb2.ErrorInfo) or error_details_pb2.ErrorInfo()
    bad = _unpack(status, error_details_pb2.BadRequest) or error_details_pb2.BadRequest()
    return code, info, bad


def _version(text: str) -> int | str:
    return int(text) if text.lstrip("-").isdigit() else text


def has_rich_details(exc: grpc.RpcError) -> bool:
    """True when the error came from a Plugboard server (it carries a ``google.rpc.Status``)."""
    return details_of(exc) is not None


def from_rpc_error(exc: grpc.RpcError, service: str = "", *, keep: Collection[grpc.StatusCode] | None = None,
                   reason_prefix: str = "BACKEND") -> e.PlugboardError:
    """The domain error for a failed call to ``service`` (named in messages, never its address); the
    failed call stays on the error's ``downstream`` field, for an edge that passes it on unchanged.

    - An error the callee described (rich details) is rebuilt as the callee raised it: reason, message,
      metadata, field and precondition violations, resource info. With ``keep``, only for those codes.
    - Anything else is described without the channel's own text (it names internal addresses): the
      deadline spent or the call cancelled as such, the callee down (or failing with a code not kept)
      as UNAVAILABLE ``<reason_prefix>_UNAVAILABLE``, "retry later"; each with ``backend`` metadata.
    - A foreign error without details and with another code keeps its code, with a generic message.
    """
    code: grpc.StatusCode = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
    if code is None or code == grpc.StatusCode.OK:
        code = grpc.StatusCode.UNKNOWN
    rich = details_of(exc)
    name = service or "downstream"
    facts = {"backend": service} if service else {}
    err: e.PlugboardError
    if rich is not None and (keep is None or code in keep):
        err = _rebuild(code, rich)
    elif code == grpc.StatusCode.DEADLINE_EXCEEDED:
        err = e.DeadlineExceeded(f"the deadline expired before the {name} service answered",
                                 reason=f"{reason_prefix}_DEADLINE_EXCEEDED", metadata=facts)
    elif code == grpc.StatusCode.CANCELLED:
        err = e.Cancelled(f"the call to the {name} service was cancelled", metadata=facts)
    elif code == grpc.StatusCode.UNAVAILABLE or keep is not None:
        err = e.Unavailable(f"the {name} service is unavailable; retry later",
                            reason=f"{reason_prefix}_UNAVAILABLE", metadata=facts)
    else:
        err = _rebuild(code, None)
        err.metadata.update(facts)
    err.downstream = exc
    return err


def _rebuild(code: grpc.StatusCode, rich: status_pb2.Status | None) -> e.PlugboardError:
    """The domain error a ``google.rpc.Status`` describes (a generic one of ``code`` without it)."""
    cls = _CLASS_FOR_CODE.get(code, e.Internal)
    info = _unpack(rich, error_details_pb2.ErrorInfo) if rich is not None else None
    if rich is not None and rich.message:
        message = rich.message
    else:
        message = f"downstream call failed with {code.name}"
    metadata = dict(info.metadata) if info is not None else {}
    reason = info.reason if info is not None and e.is_valid_reason(info.reason) else None

    if cls is e.Aborted and reason == e.ConcurrentModification.default_reason:
        extra = {k: v for k, v in metadata.items() if k not in ("expected_version", "current_version")}
        return e.ConcurrentModification(
            _version(metadata.get("expected_version", "")),
            _version(metadata.get("current_version", "")),
            message=message, reason=reason, metadata=extra,
        )
    if issubclass(cls, e.InvalidArgument):
        bad = _unpack(rich, error_details_pb2.BadRequest) if rich is not None else None
        violations = [(v.field, v.description) for v in bad.field_violations] if bad else []
        return cls(violations, message=message, reason=reason, metadata=metadata)
    if cls is e.FailedPrecondition:
        failure = _unpack(rich, error_details_pb2.PreconditionFailure) if rich is not None else None
        pre = [(v.type, v.subject, v.description) for v in failure.violations] if failure else []
        return e.FailedPrecondition(pre, message=message, reason=reason, metadata=metadata)
    resource = _unpack(rich, error_details_pb2.ResourceInfo) if rich is not None else None
    if cls is e.NotFound:
        return e.NotFound(
            resource.resource_type if resource else "resource",
            resource.resource_name if resource else "",
            message=message, reason=reason, metadata=metadata,
        )
    if cls is e.AlreadyExists:
        field = metadata.pop("field", "")
        value = metadata.pop("value", resource.resource_name if resource else "")
        return e.AlreadyExists(
            resource.resource_type if resource else "resource", field, value,
            message=message, reason=reason, metadata=metadata,
        )
    return cls(message, reason=reason, metadata=metadata)
