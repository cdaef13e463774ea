"""Retention: the bounded background sweep of records older than ``PLUGBOARD_HISTORY_RETENTION_DAYS``.

Each sweep deletes at most ``history_sweep_batch`` of the oldest expired records in one short
transaction, then sleeps ``history_sweep_seconds`` (or at once again while a full batch was deleted,
after a short pause); nothing runs when the retention is 0 (forever).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from plugboard.errors import PlugboardError
from plugboard.settings import Settings

from .model import utcnow
from .storage import HistoryTable

_log = logging.getLogger("plugboard.history")


def sweep_once(table: HistoryTable, retention_days: float, batch: int) -> int:
    if retention_days <= 0:
        return 0
    return table.sweep(utcnow() - timedelta(days=retention_days), batch)


async def sweep_forever(table: HistoryTable, settings: Settings) -> None:
    """The background task of a service (a no-op when records are kept forever)."""
    if settings.history_retention_days <= 0:
        return
    while True:
        try:
            deleted = sweep_once(table, settings.history_retention_days, settings.history_sweep_batch)
        except PlugboardError as exc:
            _log.warning("history sweep: %s", exc.reason)
            deleted = 0
        if deleted:
            _log.info("history sweep: deleted %d record(s) of %s", deleted, table.table)
        pause = 0.1 if deleted >= settings.history_sweep_batch else settings.history_sweep_seconds
        await asyncio.sleep(pause)
