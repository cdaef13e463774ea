"""Draft changes committed by any catalog process, heard over PostgreSQL's LISTEN/NOTIFY.

Migration 8 makes every insert, update and delete of a draft ``NOTIFY plugboard_draft_changed, '<id>'``;
NOTIFY is delivered when the writing transaction commits, to every connection listening. ``DraftListener``
holds one such connection per catalog process (outside the pool, autocommit), watched by the event loop
(``add_reader``: no thread, no polling), and calls ``on_change(draft_id)`` for each notification, so a
watch stream in this process wakes within milliseconds of a commit made by another process.

When the connection breaks it is reopened after ``retry_seconds`` (the watch streams' periodic re-read
covers the gap). SQLite has no such channel: its catalog is one process, woken by its in-process notifier.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from urllib.parse import parse_qsl, unquote, urlsplit

import psycopg2
import psycopg2.extensions

from plugboard.logs import exception_summary

from .migrations import DRAFT_CHANNEL

_log = logging.getLogger("plugboard.catalog.listener")


def connect_arguments(url: str) -> dict[str, object]:
    """psycopg2.connect() keyword arguments for a ``postgresql://`` URL (pool parameters dropped)."""
    parts = urlsplit(url)
    params = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True)
              if k not in ("max_connections", "stale_timeout", "pool_timeout")}
    params.setdefault("connect_timeout", "5")
    arguments: dict[str, object] = {"dbname": unquote(parts.path.lstrip("/")), **params}
    if parts.hostname:
        arguments["host"] = unquote(parts.hostname)
    if parts.port:
        arguments["port"] = parts.port
    if parts.username:
        arguments["user"] = unquote(parts.username)
    if parts.password:
        arguments["password"] = unquote(parts.password)
    return arguments


class DraftListener:
    """LISTENs on ``DRAFT_CHANNEL`` from the running event loop; ``on_change(draft_id)`` per notification."""

    def __init__(self, url: str, on_change: Callable[[str], None], *, retry_seconds: float = 1.0) -> None:
        self._arguments = connect_arguments(url)
        self._on_change = on_change
        self._retry_seconds = retry_seconds
        self._conn: psycopg2.extensions.connection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._retry: asyncio.TimerHandle | None = None
        self._stopped = False
        self.listening = asyncio.Event()

    def start(self) -> None:
        """Connect and LISTEN (a failure is logged and retried)."""
        self._loop = asyncio.get_running_loop()
        self._connect()

    def _connect(self) -> None:
        self._retry = None
        if self._stopped:
            return
        try:
            conn = psycopg2.connect(**self._arguments)
            conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
            with conn.cursor() as cursor:
                cursor.execute(f'LISTEN "{DRAFT_CHANNEL}"')
        except psycopg2.Error as exc:
            _log.warning("cannot listen for draft changes (retrying in %.0fs): %s", self._retry_seconds,
                         exception_summary(exc))
            self._schedule_retry()
            return
        self._conn = conn
        assert self._loop is not None
        self._loop.add_reader(conn.fileno(), self._ready)
        self.listening.set()
        _log.info("listening for draft changes on channel %s", DRAFT_CHANNEL)

    def _schedule_retry(self) -> None:
        if not self._stopped and self._loop is not None and self._retry is None:
            self._retry = self._loop.call_later(self._retry_seconds, self._connect)

    def _ready(self) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            conn.poll()
        except psycopg2.Error as exc:
            _log.warning("the draft-change connection broke (reconnecting): %s", exception_summary(exc))
            self._drop()
            self._schedule_retry()
            return
        while conn.notifies:
            notification = conn.notifies.pop(0)
            if notification.channel == DRAFT_CHANNEL and notification.payload:
                self._on_change(notification.payload)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self.listening.clear()
        if conn is None:
            return
        if self._loop is not None:
            try:
                self._loop.remove_reader(conn.fileno())
            except (ValueError, OSError, psycopg2.Error):
                pass
        try:
            conn.close()
        except psycopg2.Error:
            pass

    async def stop(self) -> None:
        self._stopped = True
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        self._drop()
