"""Per-tenant limits at the gateway: concurrent calls and open streams per API key and per project.

One tenant must not take the whole gateway (or the backends behind it): every admitted call holds a
``Slot`` from ``Quotas`` until it ends, gRPC and HTTP alike. A unary call holds a *call* slot, a
server-streaming call (``WatchConnectorStaged``) a *stream* slot, counted for its key and for its
project. A call over a limit is refused at once with RESOURCE_EXHAUSTED and a ``QuotaFailure`` naming
the limit (its setting, its value, the key or project), while other tenants go on being served.

The counts live in the gateway's event loop (one per process, shared by its gRPC server and HTTP
facade), so they need no lock; a slot is released exactly once, however the call ends (answered,
failed, cancelled by the caller, its backend down), and a tenant with nothing in flight leaves no entry.
Limits are per gateway process: N processes behind a load balancer admit N times as much.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.keys import Principal
from plugboard import signals
from plugboard.errors import QuotaViolation, ResourceExhausted
from plugboard.settings import Settings

_METRIC = {"calls": "plugboard.dev/gateway/concurrent_calls", "streams": "plugboard.dev/gateway/open_streams"}
_WHAT = {"calls": "concurrent calls", "streams": "open streams"}
# The setting each limit comes from (named in QuotaFailure.quota_id).
LIMIT_SETTINGS = {
    ("calls", "key"): "PLUGBOARD_GATEWAY_MAX_CALLS_PER_KEY",
    ("calls", "project"): "PLUGBOARD_GATEWAY_MAX_CALLS_PER_PROJECT",
    ("streams", "key"): "PLUGBOARD_GATEWAY_MAX_STREAMS_PER_KEY",
    ("streams", "project"): "PLUGBOARD_GATEWAY_MAX_STREAMS_PER_PROJECT",
}


@dataclass(frozen=True)
class TenantLimits:
    """How much one API key and one project may have in flight at a gateway process."""

    calls_per_key: int
    calls_per_project: int
    streams_per_key: int
    streams_per_project: int

    @classmethod
    def of(cls, settings: Settings) -> TenantLimits:
        """The limits a gateway runs with (``Settings.check_gateway_limits`` validated them)."""
        return cls(settings.gateway_max_calls_per_key, settings.gateway_max_calls_per_project,
                   settings.gateway_max_streams_per_key, settings.gateway_max_streams_per_project)

    def limit(self, kind: str, holder: str) -> int:
        return int(getattr(self, f"{kind}_per_{holder}"))


class Slot:
    """What an admitted call holds until it ends; ``release`` is idempotent."""

    __slots__ = ("_quotas", "_counters")

    def __init__(self, quotas: Quotas | None, counters: tuple[tuple[str, str, str], ...]) -> None:
        self._quotas = quotas
        self._counters = counters

    def release(self) -> None:
        quotas, self._quotas = self._quotas, None
        if quotas is not None:
            quotas._release(self._counters)


# The slot of a call admitted without quotas (tests that build the gateway's parts by hand).
UNLIMITED = Slot(None, ())


class Quotas:
    """The counts of calls and streams in flight per key and per project, and their limits."""

    def __init__(self, limits: TenantLimits) -> None:
        self.limits = limits
        # (kind, holder, name) -> in flight, e.g. ("streams", "project", "acme") -> 3; no zero entries.
        self._in_flight: dict[tuple[str, str, str], int] = {}
        # kind -> (per key, per project): read once per call on the forwarding path.
        self._limits = {kind: (limits.limit(kind, "key"), limits.limit(kind, "project"))
                        for kind in ("calls", "streams")}

    def in_flight(self, kind: str, holder: str, name: str) -> int:
        """How many calls (``kind`` "calls") or streams ("streams") the key or project holds now."""
        return self._in_flight.get((kind, holder, name), 0)

    def held(self) -> dict[tuple[str, str, str], int]:
        """Every non-zero count, ``(kind, holder, name) -> in flight`` (empty when nothing is)."""
        return dict(self._in_flight)

    def acquire(self, principal: Principal, *, stream: bool) -> Slot:
        """A slot for one call of ``principal``, or ResourceExhausted naming every limit it is at."""
        kind = "streams" if stream else "calls"
        per_key, per_project = self._limits[kind]
        key = (kind, "key", principal.key_id)
        project = (kind, "project", principal.project)
        in_flight = self._in_flight
        by_key, by_project = in_flight.get(key, 0), in_flight.get(project, 0)
        if by_key >= per_key or by_project >= per_project:
            raise self._refusal(kind, [counter for counter, count, limit in (
                (key, by_key, per_key), (project, by_project, per_project)) if count >= limit])
        in_flight[key] = by_key + 1
        in_flight[project] = by_project + 1
        return Slot(self, (key, project))

    def _release(self, counters: tuple[tuple[str, str, str], ...]) -> None:
        for counter in counters:
            left = self._in_flight.get(counter, 0) - 1
            if left > 0:
                self._in_flight[counter] = left
            else:
                self._in_flight.pop(counter, None)

    def _refusal(self, kind: str, reached: list[tuple[str, str, str]]) -> ResourceExhausted:
        for _, holder, _ in reached:
            signals.quota_refused(f"{holder}_{kind}")
        violations = [self._violation(kind, holder, name) for _, holder, name in reached]
        first = violations[0]
        reason = "TOO_MANY_OPEN_STREAMS" if kind == "streams" else "TOO_MANY_CONCURRENT_CALLS"
        return ResourceExhausted(
            f"too many {_WHAT[kind]}: {first.description}; retry when one has ended",
            violations=violations, reason=reason, metadata={"limit": first.quota_id, "max": first.quota_value})

    def _violation(self, kind: str, holder: str, name: str) -> QuotaViolation:
        limit = self.limits.limit(kind, holder)
        subject = f"keys/{name}" if holder == "key" else f"projects/{name}"
        who = "API key" if holder == "key" else "project"
        return QuotaViolation(
            subject=subject,
            description=f"at most {limit} {_WHAT[kind]} per {who} at this gateway",
            quota_id=LIMIT_SETTINGS[(kind, holder)], quota_metric=_METRIC[kind],
            quota_value=limit, dimensions={holder: name})
