"""Running real Plugboard servers inside tests.

Each server runs on its own asyncio loop in a background thread, bound to a free loopback port; tests
talk to it over a real gRPC channel with the ordinary synchronous stubs. Stopping a server runs the same
graceful shutdown as SIGTERM.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Coroutine

import grpc

from plugboard.rpc.server import Served, shutdown


class LoopThread:
    """An asyncio event loop running in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="server-loop", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


@dataclass
class RunningServer:
    """A started server: its port, a channel to it, and how to stop it."""

    served: Served
    loop: LoopThread
    channel: grpc.Channel

    @property
    def port(self) -> int:
        return self.served.port

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.served.port}"

    def stop(self, grace: float = 1.0) -> None:
        self.channel.close()
        self.loop.run(shutdown(self.served, grace))
        self.loop.close()


def start_server(factory: Callable[[], Awaitable[Served]]) -> RunningServer:
    """Start ``factory()`` (e.g. ``lambda: create_server(settings, port=0)``) on its own loop."""
    loop = LoopThread()
    try:
        served = loop.run(_call(factory))
    except BaseException:
        loop.close()
        raise
    channel = grpc.insecure_channel(f"127.0.0.1:{served.port}")
    return RunningServer(served, loop, channel)


async def _call(factory: Callable[[], Awaitable[Served]]) -> Served:
    return await factory()
