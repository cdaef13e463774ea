"""An httpx transport that connects to one checked address, whatever the URL's host resolves to now.

``PinnedTransport(target)`` is an ``httpx.AsyncHTTPTransport`` whose connection pool uses a network
backend that opens TCP connections to ``target.address`` only. The request keeps its URL, so the Host
header, TLS SNI and certificate verification all use the host name as written; only the address the
socket connects to is fixed (the one the SSRF guard checked; no second DNS lookup, no rebinding).
A connection to any other host is refused.
"""

from __future__ import annotations

import ssl
import typing

import httpcore
import httpx

from .addresses import Target


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections for ``host`` to ``address``; refuses every other host and Unix sockets."""

    def __init__(self, host: str, address: str) -> None:
        self._host = host.strip("[]").lower()
        self._address = address
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if host.strip("[]").lower() != self._host:
            raise httpcore.ConnectError("connection to an unchecked host refused")
        return await self._inner.connect_tcp(
            self._address, port, timeout=timeout, local_address=local_address, socket_options=socket_options,
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """HTTP/1.1 to ``target.address`` only, no proxies from the environment, no retries."""

    def __init__(self, target: Target, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False, retries=0)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=1,
            max_keepalive_connections=0,
            http1=True,
            http2=False,
            retries=0,
            network_backend=_PinnedBackend(target.host, target.address),
        )
