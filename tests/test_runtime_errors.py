"""Domain errors, the Validator, the status table and the one-line log formatter (no server)."""

from __future__ import annotations

import logging
import subprocess
import sys

import grpc
import pytest
from google.rpc import error_details_pb2

from plugboard import errors as e
from plugboard.logs import OneLineFormatter, configure_logging, exception_summary
from plugboard.rpc.status import CODES, ERROR_DOMAIN, code_of, to_rich_status, to_status


def _detail(status, message_type):  # type: ignore[no-untyped-def]
    found = [d for d in status.details if d.Is(message_type.DESCRIPTOR)]
    assert len(found) == 1, f"expected one {message_type.DESCRIPTOR.name} in {status.details}"
    message = message_type()
    found[0].Unpack(message)
    return message


def test_errors_module_imports_neither_grpc_nor_peewee() -> None:
    code = (
        "import sys, plugboard.errors; "
        "bad = [m for m in ('grpc', 'peewee', 'google.rpc') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_reason_must_be_upper_snake() -> None:
    with pytest.raises(ValueError):
        e.PermissionDenied("no", reason="not_upper")
    with pytest.raises(ValueError):
        e.PermissionDenied("no", reason="TRAILING_")
    assert e.PermissionDenied("no", reason="CONNECTOR_NOT_OWNED").reason == "CONNECTOR_NOT_OWNED"
    assert e.PermissionDenied("no").reason == "PERMISSION_DENIED"


def test_metadata_values_become_strings() -> None:
    err = e.Unavailable("down", metadata={"attempts": 3})
    assert err.metadata == {"attempts": "3"}
    assert str(err) == "UNAVAILABLE: down"


def test_not_found_and_already_exists_derive_reason_and_metadata() -> None:
    nf = e.NotFound("ConnectorStaged", "d-1")
    assert nf.reason == "CONNECTOR_STAGED_NOT_FOUND"
    assert "d-1" in nf.message
    ae = e.AlreadyExists("Connector", "key", "my-key")
    assert ae.reason == "CONNECTOR_ALREADY_EXISTS"
    assert ae.metadata == {"field": "key", "value": "my-key"}


def test_concurrent_modification_is_aborted_with_versions() -> None:
    err = e.ConcurrentModification(3, 5)
    assert isinstance(err, e.Aborted)
    assert err.reason == "CONCURRENT_MODIFICATION"
    assert err.metadata == {"expected_version": "3", "current_version": "5"}


def test_invalid_argument_builders() -> None:
    single = e.InvalidArgument.single("name", "is required", reason="NAME_REQUIRED")
    assert single.violations == [e.FieldViolation("name", "is required")]
    assert single.reason == "NAME_REQUIRED"
    many = e.InvalidArgument.from_list([("a", "bad"), e.FieldViolation("b", "worse")])
    assert [v.field for v in many.violations] == ["a", "b"]
    assert many.reason == "INVALID_ARGUMENT"
    assert "a: bad" in many.message and "b: worse" in many.message


def test_failed_precondition_single_uses_type_as_reason() -> None:
    err = e.FailedPrecondition.single("CONNECTOR_DELETING", "connectors/c1", "being deleted")
    assert err.reason == "CONNECTOR_DELETING"
    assert err.violations == [e.PreconditionViolation("CONNECTOR_DELETING", "connectors/c1", "being deleted")]


def test_validator_reports_every_wrong_field_at_once() -> None:
    v = e.Validator()
    assert v.check_not_empty("", "name") is False
    assert v.check_not_empty("  ", "key") is False
    assert v.check_not_empty("ok", "fine") is True
    v.check_max_length("x" * 11, "description", 10)
    v.check_pattern("Bad Key", "slug", r"[a-z0-9-]+", "must be lowercase letters, digits and dashes")
    v.check_range(0, "limit", minimum=1, maximum=500)
    v.check_one_of("zip", "format", ["json", "yaml"])
    v.require(False, "version", "must be positive")
    v.nested("spec").add("url", "must be https")
    with pytest.raises(e.InvalidArgument) as info:
        v.raise_if_any()
    fields = [fv.field for fv in info.value.violations]
    assert fields == ["name", "key", "description", "slug", "limit", "format", "version", "spec.url"]


def test_validator_without_violations_raises_nothing() -> None:
    v = e.Validator()
    v.check_not_empty(["a"], "items")
    v.check_range(5, "limit", minimum=1, maximum=10)
    v.raise_if_any()
    assert not v


def test_every_error_class_has_one_code() -> None:
    expected = {
        e.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
        e.OutOfRange: grpc.StatusCode.OUT_OF_RANGE,
        e.NotFound: grpc.StatusCode.NOT_FOUND,
        e.AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
        e.FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
        e.Aborted: grpc.StatusCode.ABORTED,
        e.ConcurrentModification: grpc.StatusCode.ABORTED,
        e.PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
        e.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
        e.Unavailable: grpc.StatusCode.UNAVAILABLE,
        e.DeadlineExceeded: grpc.StatusCode.DEADLINE_EXCEEDED,
        e.ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
        e.Unimplemented: grpc.StatusCode.UNIMPLEMENTED,
        e.Cancelled: grpc.StatusCode.CANCELLED,
        e.Internal: grpc.StatusCode.INTERNAL,
        e.PlugboardError: grpc.StatusCode.INTERNAL,
    }
    for cls, code in expected.items():
        assert code_of(cls.__new__(cls)) == code, cls
    assert grpc.StatusCode.UNKNOWN not in CODES.values()


def test_rich_status_for_invalid_argument() -> None:
    err = e.InvalidArgument([("name", "is required"), ("key", "too long")], reason="DRAFT_INVALID")
    status = to_rich_status(err)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    info = _detail(status, error_details_pb2.ErrorInfo)
    assert (info.domain, info.reason) == (ERROR_DOMAIN, "DRAFT_INVALID")
    bad = _detail(status, error_details_pb2.BadRequest)
    assert [(v.field, v.description) for v in bad.field_violations] == [
        ("name", "is required"), ("key", "too long")]
    grpc_status = to_status(err)
    assert grpc_status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert grpc_status.details == err.message
    assert grpc_status.trailing_metadata[0][0] == "grpc-status-details-bin"


def test_rich_status_for_precondition_and_resources() -> None:
    failure = _detail(
        to_rich_status(e.FailedPrecondition.single("INSTANCE_REFERENCE", "instances/i1", "uses it")),
        error_details_pb2.PreconditionFailure)
    assert [(v.type, v.subject) for v in failure.violations] == [("INSTANCE_REFERENCE", "instances/i1")]
    resource = _detail(to_rich_status(e.NotFound("Connector", "c1")), error_details_pb2.ResourceInfo)
    assert (resource.resource_type, resource.resource_name) == ("Connector", "c1")
    exists = to_rich_status(e.AlreadyExists("Connector", "key", "k"))
    assert _detail(exists, error_details_pb2.ResourceInfo).resource_name == "k"
    assert dict(_detail(exists, error_details_pb2.ErrorInfo).metadata) == {"field": "key", "value": "k"}


def _raise_secret() -> None:
    raise ValueError("password=hunter2\nsecond line")


def test_formatter_prints_one_line_and_no_traceback() -> None:
    try:
        _raise_secret()
    except ValueError:
        record = logging.getLogger("t").makeRecord(
            "t", logging.ERROR, __file__, 1, "failed:\n%s", ("x",), sys.exc_info())
    line = OneLineFormatter().format(record)
    assert "\n" not in line
    assert "Traceback" not in line and "hunter2" not in line
    assert " ERROR t failed:\\nx [ValueError at " in line
    assert "test_runtime_errors.py:" in line


def test_exception_summary_names_innermost_frame() -> None:
    try:
        _raise_secret()
    except ValueError as exc:
        summary = exception_summary(exc)
    assert summary.startswith("ValueError at ") and "hunter2" not in summary


def test_configure_logging_rejects_unknown_level_and_is_idempotent() -> None:
    with pytest.raises(ValueError):
        configure_logging("LOUD")
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        configure_logging("info")
        configure_logging("DEBUG")
        ours = [h for h in root.handlers if h.get_name() == "plugboard"]
        assert len(ours) == 1 and isinstance(ours[0].formatter, OneLineFormatter)
        assert root.level == logging.DEBUG
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
        root.setLevel(level)
