"""Watching a draft: an in-process notifier, woken across processes on PostgreSQL, plus a periodic re-read.

``DraftNotifier.notify(draft_id)`` wakes every stream watching that draft in this process (the servicers
and the job worker call it after each write). On PostgreSQL, a change committed by another catalog process
sharing the database reaches this one by LISTEN/NOTIFY (``catalog_service.storage.listener``), which calls
``notify`` too; each stream also re-reads the draft every ``reread_seconds`` (on SQLite, one catalog
process, the only way to see another process's write; on PostgreSQL, a net under a broken listening
connection). A stream sends an event only when the draft's version changed (every change increments it),
so neither the caller nor the server polls for nothing visible.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable

from catalog_service.domain.model import Draft
from plugboard.errors import NotFound

SNAPSHOT = "snapshot"
UPDATED = "updated"
DELETED = "deleted"


class DraftNotifier:
    """Wakes the watchers of a draft in this process. Used from the event loop's thread only."""

    def __init__(self) -> None:
        self._events: dict[str, set[asyncio.Event]] = defaultdict(set)

    def notify(self, draft_id: str) -> None:
        for event in self._events.get(draft_id, ()):
            event.set()

    def subscribe(self, draft_id: str) -> asyncio.Event:
        event = asyncio.Event()
        self._events[draft_id].add(event)
        return event

    def unsubscribe(self, draft_id: str, event: asyncio.Event) -> None:
        watchers = self._events.get(draft_id)
        if watchers is not None:
            watchers.discard(event)
            if not watchers:
                del self._events[draft_id]


async def watch_draft(draft_id: str, read: Callable[[], Draft], notifier: DraftNotifier,
                      reread_seconds: float = 1.0) -> AsyncIterator[tuple[str, Draft]]:
    """(kind, draft) events: the snapshot first, then one per change, then "deleted" (and the end).

    ``read()`` raises NotFound when the draft does not exist (before the first event: the caller's error).
    """
    event = notifier.subscribe(draft_id)
    try:
        last = read()
        yield SNAPSHOT, last
        while True:
            try:
                await asyncio.wait_for(event.wait(), timeout=reread_seconds)
            except asyncio.TimeoutError:
                pass
            event.clear()
            try:
                current = read()
            except NotFound:
                yield DELETED, last
                return
            if current.version != last.version:
                last = current
                yield UPDATED, current
    finally:
        notifier.unsubscribe(draft_id, event)
