"""Operability of every Plugboard process: Prometheus metrics (``metrics``) and OpenTelemetry traces
(``tracing``). The domain reports through ``plugboard.signals``; only this package imports
prometheus_client and OpenTelemetry."""
