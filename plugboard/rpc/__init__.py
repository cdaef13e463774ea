"""gRPC edge of Plugboard: status mapping, the edge wrapper, server and client helpers."""

from plugboard.rpc.client import DEFAULT_MAX_MESSAGE_BYTES, channel, remaining_timeout
from plugboard.rpc.handlers import ACCESS_LOGGER, ERROR_LOGGER, EdgeRegistrar
from plugboard.rpc.server import Served, ServiceSpec, build_server, serve_forever, shutdown, start
from plugboard.rpc.status import (
    CODES,
    ERROR_DOMAIN,
    code_of,
    details_of,
    from_rpc_error,
    to_rich_status,
    to_status,
)

__all__ = [
    "ACCESS_LOGGER",
    "CODES",
    "DEFAULT_MAX_MESSAGE_BYTES",
    "ERROR_DOMAIN",
    "ERROR_LOGGER",
    "EdgeRegistrar",
    "Served",
    "ServiceSpec",
    "build_server",
    "channel",
    "code_of",
    "details_of",
    "from_rpc_error",
    "remaining_timeout",
    "serve_forever",
    "shutdown",
    "start",
    "to_rich_status",
    "to_status",
]
