"""Running coroutines from plain (synchronous) pytest tests; there is no pytest-asyncio here.

Each call gets a fresh event loop (``asyncio.run``), so a server, its channels and the test's
coroutine all live and die in the same loop, as grpc.aio requires.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], *, timeout: float = 60.0) -> T:
    """Run ``coro`` to completion in a new event loop, failing after ``timeout`` seconds."""

    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())
