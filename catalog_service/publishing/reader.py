"""Reading the specification files in a separate process, within the publish deadline.

``read_isolated(connect_yaml, plugboard_yaml, limits=..., timeout=...)`` runs
``domain.specification.read_specification`` in a child process forked from a ``forkserver`` (a small,
clean process that has already imported the reader), and returns its ``Reading``. So whatever a file
costs to read, the catalog does not pay it: its event loop and its other threads keep serving, its
memory does not grow (the child's address space is capped), and a read that has not finished at the
deadline is killed, giving one Error entry.
"""

from __future__ import annotations

import logging
import multiprocessing
import resource
import threading
from multiprocessing.connection import Connection

from catalog_service.domain.specification import CONNECT_YAML, Reading, SpecLimits, read_specification

MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024  # address space of a reading process

_log = logging.getLogger("plugboard.catalog.jobs")

_context = multiprocessing.get_context("forkserver")
_preload = threading.Lock()
_preloaded = False


def _child(sender: Connection, connect_yaml: str, plugboard_yaml: str | None, limits: SpecLimits) -> None:
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    except (ValueError, OSError):  # a lower hard limit already applies
        pass
    try:
        reading = read_specification(connect_yaml, plugboard_yaml, limits=limits)
    except MemoryError:
        reading = Reading(None, (f"{CONNECT_YAML}: the file needs too much memory to read",))
    sender.send(reading)
    sender.close()


def read_isolated(connect_yaml: str, plugboard_yaml: str | None, *, limits: SpecLimits,
                  timeout: float) -> Reading:
    """``read_specification`` in a child process; an Error reading when it fails or outlives ``timeout``."""
    global _preloaded
    with _preload:
        if not _preloaded:
            _context.set_forkserver_preload(["catalog_service.publishing.reader"])
            _preloaded = True
    receiver, sender = _context.Pipe(duplex=False)
    process = _context.Process(target=_child, args=(sender, connect_yaml, plugboard_yaml, limits),
                               name="plugboard-spec-reader", daemon=True)
    try:
        try:
            process.start()
        except OSError as exc:  # no process could be started: read here, still within the limits
            _log.warning("the specification reader process could not start (%s); reading in this process",
                         exc.strerror or exc)
            sender.close()
            return read_specification(connect_yaml, plugboard_yaml, limits=limits)
        sender.close()
        if receiver.poll(max(0.0, timeout)):
            try:
                return receiver.recv()
            except (EOFError, OSError):  # the child died before answering (killed, out of memory)
                return Reading(None, (f"{CONNECT_YAML}: the file could not be read (the reading process "
                                      f"stopped)",))
        return Reading(None, (f"{CONNECT_YAML}: reading the file did not finish within the publish deadline",))
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
