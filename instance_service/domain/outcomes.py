"""What a connection test finds: its outcome and the stored result (used by the model, the connection
rules and storage alike, so it depends on none of them)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class TestOutcome(enum.Enum):
    """Outcome of a connection test (issue 4); UNSPECIFIED until an instance has been tested."""

    __test__ = False  # not a pytest test class

    UNSPECIFIED = "UNSPECIFIED"
    OK = "OK"
    AUTH_FAILED = "AUTH_FAILED"
    UNREACHABLE = "UNREACHABLE"
    TIMEOUT = "TIMEOUT"
    UNEXPECTED_RESPONSE = "UNEXPECTED_RESPONSE"
    BLOCKED = "BLOCKED"
    MISCONFIGURED = "MISCONFIGURED"


@dataclass(frozen=True)
class TestResult:
    """A stored connection test result."""

    __test__ = False  # not a pytest test class

    id: str
    instance_id: str
    outcome: TestOutcome
    http_status: int
    latency_ms: int
    message: str
    test_time: datetime
    connector_version: int
