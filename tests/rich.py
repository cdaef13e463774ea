"""Assertions on rich gRPC errors (ErrorInfo, BadRequest, PreconditionFailure) for the tests."""

from __future__ import annotations

from typing import Callable

import grpc
import pytest

from plugboard.errors import PlugboardError
from plugboard.rpc.status import from_rpc_error


def expect_error(code: grpc.StatusCode, call: Callable[[], object], reason: str | None = None) -> PlugboardError:
    """Run ``call``; assert it fails with ``code`` (and ErrorInfo ``reason``); return the rebuilt error."""
    with pytest.raises(grpc.RpcError) as info:
        call()
    exc = info.value
    assert exc.code() == code, f"expected {code}, got {exc.code()}: {exc.details()}"
    assert "Traceback" not in (exc.details() or "")
    error = from_rpc_error(exc)
    if reason is not None:
        assert error.reason == reason, f"expected reason {reason}, got {error.reason}: {error.message}"
    return error


def fields(error: PlugboardError) -> set[str]:
    """The field paths of a BadRequest."""
    return {v.field for v in getattr(error, "violations", [])}
