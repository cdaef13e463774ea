"""Counting stored secret variables by the id of the key that encrypts them (the ``plugboard_secrets``
gauge): what an operator watches during a key rotation. Only the ciphertexts' headers are read."""

from __future__ import annotations

import threading
import time

import peewee
from peewee import fn

from plugboard.storage.errors import translate_errors

from ..domain.secrets import FORMAT_VERSION
from .models import VariableRow

# A ciphertext starts with the format version, the key id's length and the key id (at most 255 bytes).
_HEADER_BYTES = 2 + 255


def key_id_of_header(head: bytes) -> str:
    """The key id in a ciphertext's header; "unreadable" when it has no known format."""
    if len(head) < 2 or head[0] != FORMAT_VERSION or len(head) < 2 + head[1]:
        return "unreadable"
    try:
        return head[2:2 + head[1]].decode("ascii")
    except UnicodeDecodeError:
        return "unreadable"


class SecretsByKey:
    """``((key_id,), count)`` of the stored secret variables, for the ``plugboard_secrets`` gauge: read at
    most every ``cache_seconds`` (a scrape reads the first bytes of each ciphertext, never a value)."""

    def __init__(self, db: peewee.Database, cache_seconds: float = 30.0) -> None:
        self._db = db
        self._cache_seconds = cache_seconds
        self._read_at = float("-inf")
        self._counts: list[tuple[tuple[str], float]] = []
        self._lock = threading.Lock()

    def __call__(self) -> list[tuple[tuple[str], float]]:
        with self._lock:
            now = time.monotonic()
            if now - self._read_at >= self._cache_seconds:
                self._counts = self._read()
                self._read_at = now
            return self._counts

    def _read(self) -> list[tuple[tuple[str], float]]:
        counts: dict[str, int] = {}
        with translate_errors(), self._db.connection_context():
            query = (VariableRow.select(fn.SUBSTR(VariableRow.ciphertext, 1, _HEADER_BYTES).alias("head"))
                     .where((VariableRow.secret == True) & VariableRow.ciphertext.is_null(False))  # noqa: E712
                     .tuples())
            for (head,) in query:
                key_id = key_id_of_header(bytes(head))
                counts[key_id] = counts.get(key_id, 0) + 1
        return [((key_id,), float(count)) for key_id, count in sorted(counts.items())]
