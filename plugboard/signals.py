"""What the domain reports about itself, for metrics and traces, without knowing who listens.

The domain and the services call these functions at the moments an operator wants counted (a job queued,
started and finished, a connection test's outcome, a refusal, a database error); each forwards to the
sink installed in this process (``install``), and does nothing when none is. The Prometheus sink lives
in ``plugboard.observability.metrics``; no domain module imports prometheus or OpenTelemetry.

Labels are closed sets (kinds, outcomes, reasons): never an id, a project or a value.
"""

from __future__ import annotations

from typing import Protocol


class Sink(Protocol):
    """Receives the domain's signals (``plugboard.observability.metrics.DomainMetrics``)."""

    def job_queued(self, kind: str) -> None: ...

    def job_started(self, kind: str) -> None: ...

    def job_stopped(self, kind: str, seconds: float) -> None: ...

    def job_finished(self, kind: str, outcome: str) -> None: ...

    def connection_test(self, outcome: str, seconds: float) -> None: ...

    def refused(self, what: str, reason: str) -> None: ...

    def quota_refused(self, scope: str) -> None: ...

    def database_error(self, kind: str) -> None: ...


_sink: Sink | None = None


def install(sink: Sink | None) -> None:
    """Send this process's signals to ``sink`` (None: drop them)."""
    global _sink
    _sink = sink


def job_queued(kind: str) -> None:
    """A publishing or preview job was queued (``kind``: ``publish`` or ``preview``)."""
    if _sink is not None:
        _sink.job_queued(kind)


def job_started(kind: str) -> None:
    """A job worker of this process started running a job."""
    if _sink is not None:
        _sink.job_started(kind)


def job_stopped(kind: str, seconds: float) -> None:
    """A job worker of this process stopped running a job after ``seconds`` (whatever the outcome)."""
    if _sink is not None:
        _sink.job_stopped(kind, seconds)


def job_finished(kind: str, outcome: str) -> None:
    """A job's outcome was written (``published``, ``failed``, ``obsolete``...)."""
    if _sink is not None:
        _sink.job_finished(kind, outcome)


def connection_test(outcome: str, seconds: float) -> None:
    """A connection test ended with ``outcome`` after ``seconds``."""
    if _sink is not None:
        _sink.connection_test(outcome, seconds)


def refused(what: str, reason: str) -> None:
    """A deletion or an uninstall was refused (``what``: ``connector_delete``, ``uninstall``...;
    ``reason``: the ErrorInfo reason)."""
    if _sink is not None:
        _sink.refused(what, reason)


def quota_refused(scope: str) -> None:
    """A call was refused by a per-tenant limit (``scope``: ``key_calls``, ``project_streams``...)."""
    if _sink is not None:
        _sink.quota_refused(scope)


def database_error(kind: str) -> None:
    """A database operation failed (``kind``: the error's reason, e.g. ``DATABASE_UNAVAILABLE``)."""
    if _sink is not None:
        _sink.database_error(kind)
