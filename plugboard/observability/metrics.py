"""Prometheus metrics: per-RPC and per-HTTP-route metrics of each server, and the domain's signals.

- ``RpcMetrics``: what the gRPC ecosystem's server interceptors export (``grpc_server_started_total``,
  ``grpc_server_handled_total`` with ``grpc_code``, ``grpc_server_handling_seconds``; labels
  ``grpc_type``, ``grpc_service``, ``grpc_method``), fed by ``plugboard.rpc.handlers`` (the handler
  wrapper every method goes through); the children of each method are resolved once.
- ``HttpMetrics``: the gateway's HTTP/JSON routes (``http_server_requests_total`` by route template,
  verb and status; ``http_server_request_duration_seconds``).
- ``DomainMetrics``: the ``plugboard.signals`` sink (jobs, connection tests, refusals, quotas,
  database errors), one per process, installed by ``install_domain_metrics``.
- ``MetricsEndpoint``: the ``/metrics`` HTTP server of one server (its own registry: the server's RPC
  metrics plus the process's domain metrics), on the port its setting names.

Each server has its own registry, so two servers in one process (tests) never mix their figures.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import start_http_server

from plugboard import signals

_log = logging.getLogger("plugboard.metrics")

# Latency buckets (seconds): from a cached read (sub-millisecond) to a slow downstream call.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


def split_method(method: str) -> tuple[str, str]:
    """``/pkg.Service/Method`` -> (``pkg.Service``, ``Method``)."""
    service, _, name = method.lstrip("/").partition("/")
    return service or "unknown", name or "unknown"


class _MethodMetrics:
    """The resolved children of one method: no label lookup on the call path but the code's."""

    __slots__ = ("started", "seconds", "_handled", "_by_code", "_labels")

    def __init__(self, metrics: "RpcMetrics", grpc_type: str, method: str) -> None:
        service, name = split_method(method)
        labels = (grpc_type, service, name)
        self.started = metrics.started.labels(*labels)
        self.seconds = metrics.seconds.labels(*labels)
        self._handled = metrics.handled
        self._by_code: dict[str, Any] = {}
        self._labels = labels

    def finished(self, code: str, seconds: float) -> None:
        child = self._by_code.get(code)
        if child is None:
            child = self._by_code[code] = self._handled.labels(*self._labels, code)
        child.inc()
        self.seconds.observe(seconds)



class RpcMetrics:
    """The per-RPC metrics of one gRPC server."""

    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ("grpc_type", "grpc_service", "grpc_method")
        self.started = Counter("grpc_server_started", "RPCs started on the server.", labels, registry=registry)
        self.handled = Counter("grpc_server_handled", "RPCs completed on the server, whatever the status.",
                               (*labels, "grpc_code"), registry=registry)
        self.seconds = Histogram("grpc_server_handling_seconds",
                                 "Time from the start of an RPC until it was handled by the server.",
                                 labels, buckets=LATENCY_BUCKETS, registry=registry)
        self._lock = threading.Lock()

    def method(self, method: str, grpc_type: str) -> _MethodMetrics:
        """The children of ``method`` (resolved once, at registration of its handler)."""
        with self._lock:
            return _MethodMetrics(self, grpc_type, method)


class HttpMetrics:
    """The gateway's HTTP/JSON routes, by route template (never the raw path: ids would be labels)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter("http_server_requests", "HTTP requests answered, by route and status.",
                                ("route", "method", "code"), registry=registry)
        self.seconds = Histogram("http_server_request_duration_seconds", "Time to answer an HTTP request.",
                                 ("route", "method"), buckets=LATENCY_BUCKETS, registry=registry)

    def observe(self, route: str, verb: str, status: int, seconds: float) -> None:
        self.requests.labels(route, verb, str(status)).inc()
        self.seconds.labels(route, verb).observe(seconds)


class DomainMetrics:
    """The ``plugboard.signals`` sink of this process."""

    def __init__(self) -> None:
        registry = self.registry = CollectorRegistry(auto_describe=True)
        self.jobs_queued = Counter("plugboard_jobs_queued", "Publishing and preview jobs queued.", ("kind",),
                                   registry=registry)
        self.jobs_running = Gauge("plugboard_jobs_running", "Jobs being run by this process.", ("kind",),
                                  registry=registry)
        self.jobs_finished = Counter("plugboard_jobs_finished", "Jobs finished, by outcome.", ("kind", "outcome"),
                                     registry=registry)
        self.job_seconds = Histogram("plugboard_job_duration_seconds", "Time a worker spent running a job.",
                                     ("kind",), buckets=JOB_BUCKETS, registry=registry)
        self.connection_tests = Counter("plugboard_connection_tests", "Connection tests, by outcome.",
                                        ("outcome",), registry=registry)
        self.connection_test_seconds = Histogram("plugboard_connection_test_duration_seconds",
                                                 "Latency of connection tests.", ("outcome",),
                                                 buckets=LATENCY_BUCKETS, registry=registry)
        self.refusals = Counter("plugboard_refusals", "Deletions and uninstalls refused, by reason.",
                                ("operation", "reason"), registry=registry)
        self.quota_refusals = Counter("plugboard_quota_refusals", "Calls refused by a per-tenant limit.",
                                      ("limit",), registry=registry)
        self.database_errors = Counter("plugboard_database_errors", "Database operations that failed.",
                                       ("reason",), registry=registry)

    def job_queued(self, kind: str) -> None:
        self.jobs_queued.labels(kind).inc()

    def job_started(self, kind: str) -> None:
        self.jobs_running.labels(kind).inc()

    def job_stopped(self, kind: str, seconds: float) -> None:
        self.jobs_running.labels(kind).dec()
        self.job_seconds.labels(kind).observe(seconds)

    def job_finished(self, kind: str, outcome: str) -> None:
        self.jobs_finished.labels(kind, outcome).inc()

    def connection_test(self, outcome: str, seconds: float) -> None:
        self.connection_tests.labels(outcome).inc()
        self.connection_test_seconds.labels(outcome).observe(seconds)

    def refused(self, what: str, reason: str) -> None:
        self.refusals.labels(what, reason or "-").inc()

    def quota_refused(self, scope: str) -> None:
        self.quota_refusals.labels(scope).inc()

    def database_error(self, kind: str) -> None:
        self.database_errors.labels(kind or "-").inc()


_domain: DomainMetrics | None = None
_domain_lock = threading.Lock()


def install_domain_metrics() -> DomainMetrics:
    """This process's domain metrics, created and installed as the signals sink on first use."""
    global _domain
    with _domain_lock:
        if _domain is None:
            _domain = DomainMetrics()
            signals.install(_domain)
        return _domain


class GaugeCallback:
    """A collector reading a gauge family at scrape time: ``read()`` -> ((label values), value) pairs.
    A failing read is logged (class only) and exports nothing, the scrape still answers."""

    def __init__(self, name: str, documentation: str, labels: tuple[str, ...],
                 read: Callable[[], Iterable[tuple[tuple[str, ...], float]]]) -> None:
        self.name, self.documentation, self.labels, self.read = name, documentation, labels, read

    def describe(self) -> list[Any]:
        return [GaugeMetricFamily(self.name, self.documentation, labels=self.labels)]

    def collect(self) -> Iterable[Any]:
        family = GaugeMetricFamily(self.name, self.documentation, labels=self.labels)
        try:
            for values, value in self.read():
                family.add_metric(list(values), value)
        except Exception as exc:  # noqa: BLE001 - a metric must never break the scrape
            _log.warning("metric %s could not be read: %s", self.name, type(exc).__name__)
        yield family


class _Union:
    """A collector exporting another registry's metrics (the process's domain metrics)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Any]:
        return self._registry.collect()

    def describe(self) -> list[Any]:
        return []


class MetricsEndpoint:
    """One server's metrics: its registry and, once started, the ``/metrics`` HTTP server."""

    def __init__(self, port: int, host: str) -> None:
        self.port = port
        self.host = host
        self.registry = CollectorRegistry(auto_describe=True)
        self.rpc = RpcMetrics(self.registry)
        self.registry.register(_Union(install_domain_metrics().registry))
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def add(self, collector: Any) -> None:
        """Export ``collector`` too (e.g. a ``GaugeCallback`` of the server's own state)."""
        self.registry.register(collector)

    def http(self) -> HttpMetrics:
        return HttpMetrics(self.registry)

    def start(self) -> int:
        """Serve ``/metrics`` on ``host:port`` in a thread; the bound port."""
        if self._server is None:
            self._server, self._thread = start_http_server(self.port, addr=self.host, registry=self.registry)
            self.port = self._server.server_port
            _log.info("metrics on port %d", self.port)
        return self.port

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
