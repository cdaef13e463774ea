"""Client side: channels to other Plugboard services and deadline propagation."""

from __future__ import annotations

import json
from collections.abc import Sequence

import grpc

from plugboard.observability import tracing

DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def _service_config(retry_unavailable_for: Sequence[str]) -> str:
    names = []
    for item in retry_unavailable_for:
        service, _, method = item.partition("/")
        names.append({"service": service, "method": method} if method else {"service": service})
    return json.dumps({
        "methodConfig": [{
            "name": names,
            "retryPolicy": {
                "maxAttempts": 3,
                "initialBackoff": "0.1s",
                "maxBackoff": "1s",
                "backoffMultiplier": 2,
                "retryableStatusCodes": ["UNAVAILABLE"],
            },
        }]
    })


def channel(
    target: str,
    *,
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    retry_unavailable_for: Sequence[str] = (),
    interceptors: Sequence[grpc.aio.ClientInterceptor] = (),
) -> grpc.aio.Channel:
    """An insecure grpc.aio channel to ``target`` (``host:port``) with keepalive and size limits: the one
    channel factory of every service calling another (the gateway's backends, the instance service's
    catalog client). It connects lazily; a restarted peer is reconnected within 2 s (capped backoff).

    ``retry_unavailable_for`` names idempotent methods (``"pkg.Service/Method"``) or whole
    services (``"pkg.Service"``) that are retried up to 3 times on UNAVAILABLE.
    Create it inside the event loop that uses it; close it with ``await ch.close()``.
    """
    options: list[tuple[str, int | str]] = [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_timeout_ms", 10_000),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.enable_retries", 1),
        ("grpc.initial_reconnect_backoff_ms", 200),
        ("grpc.min_reconnect_backoff_ms", 200),
        ("grpc.max_reconnect_backoff_ms", 2000),
        # A target naming several addresses (``dns:///`` a headless Service) spreads calls over all of them.
        ("grpc.lb_policy_name", "round_robin"),
    ]
    if retry_unavailable_for:
        options.append(("grpc.service_config", _service_config(retry_unavailable_for)))
    # While tracing is on, every call is a CLIENT span whose context goes out in ``traceparent``.
    chained = [*tracing.client_interceptors(), *interceptors]
    return grpc.aio.insecure_channel(target, options=options, interceptors=chained or None)


def remaining_timeout(
    context: grpc.aio.ServicerContext | None, default: float, *, margin: float = 0.0
) -> float:
    """The timeout for a downstream call: what is left of the caller's deadline (minus
    ``margin``, time kept to answer), at most ``default``; ``default`` when the caller set no
    deadline. Never negative: 0 makes the downstream call fail fast with DEADLINE_EXCEEDED."""
    remaining = context.time_remaining() if context is not None else None
    if remaining is None:
        return default
    return max(0.0, min(remaining - margin, default))
