"""Shared steps of the race tests: what a call ended with, and calls started together.

``outcome(call)`` is ``"ok"`` or ``"CODE:REASON"`` (the gRPC code and the ErrorInfo reason), the words the
race tests assert on; ``together(sides)`` runs each side in its own thread, released at once by a barrier,
and answers each side's outcome.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping

import grpc

from plugboard.rpc.status import from_rpc_error
from tests.reliability.fuzz import FULL


def rounds(default: int, full: int) -> int:
    """How many rounds a race test runs: PLUGBOARD_TEST_RACE_ROUNDS, else ``full`` under PLUGBOARD_FULL=1,
    else ``default``."""
    return int(os.environ.get("PLUGBOARD_TEST_RACE_ROUNDS", str(full if FULL else default)))


def outcome(call: Callable[[], object]) -> str:
    try:
        call()
    except grpc.RpcError as exc:
        return f"{exc.code().name}:{from_rpc_error(exc).reason}"
    return "ok"


def together(sides: Mapping[str, Callable[[], object]], *, timeout: float = 30.0) -> dict[str, str]:
    """Each side's outcome, the sides started at once (one thread each, behind one barrier)."""
    start = threading.Barrier(len(sides))
    result: dict[str, str] = {}

    def run(name: str, call: Callable[[], object]) -> None:
        start.wait()
        result[name] = outcome(call)

    threads = [threading.Thread(target=run, args=item) for item in sides.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return result
