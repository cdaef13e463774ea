"""Authentication of callers and admission of their calls.

- ``credential_from``: the key in ``authorization: Bearer <key>`` or ``x-api-key: <key>`` (gRPC metadata
  or HTTP headers, names case-insensitive).
- ``Authenticator``: verifies a key against the ``KeyStore``. Verified records are cached in memory for
  ``cache_seconds`` (default 10 s): a revoked key stops working within that time, at every gateway
  process. The secret is checked against the digest (constant time) on every call, cached or not.
- ``Gatekeeper``: authenticate, then apply the method's ``MethodRule`` (scope, project); the single
  entry used by gRPC forwarding, DeleteConnector and the HTTP facade alike.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from google.protobuf.message import Message

from gateway import keys
from gateway.key_store import KeyStore
from gateway.policy import MethodRule

KEY_CACHE_SECONDS = 10.0
_MAX_CACHED = 10_000


def credential_from(pairs: Iterable[tuple[str, Any]] | None) -> str | None:
    """The API key a caller presented, or None."""
    api_key = None
    for name, value in pairs or ():
        lowered = name.lower()
        if lowered == "authorization" and isinstance(value, str):
            scheme, _, token = value.strip().partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
        elif lowered == "x-api-key" and isinstance(value, str) and value.strip():
            api_key = value.strip()
    return api_key


class Authenticator:
    """API key -> ``Principal``, with a short-lived cache of stored records."""

    def __init__(self, store: KeyStore, *, cache_seconds: float = KEY_CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.cache_seconds = cache_seconds
        self._clock = clock
        self._cache: dict[str, tuple[keys.KeyRecord, float]] = {}

    async def authenticate(self, credential: str | None) -> keys.Principal:
        """The principal of ``credential``; Unauthenticated when missing, malformed, unknown, wrong
        or revoked; Unavailable when the key database cannot be read."""
        if not credential:
            raise keys.missing_key()
        key_id, secret = keys.parse(credential)
        return keys.verify(await self._record(key_id), secret)

    async def _record(self, key_id: str) -> keys.KeyRecord | None:
        now = self._clock()
        cached = self._cache.get(key_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        record = await asyncio.to_thread(self.store.find, key_id)
        if record is not None and self.cache_seconds > 0:
            if len(self._cache) >= _MAX_CACHED:
                self._cache.clear()
            self._cache[key_id] = (record, now + self.cache_seconds)
        return record


class Gatekeeper:
    """Authenticate a call and admit it under its method's rule."""

    def __init__(self, authenticator: Authenticator, rules: Mapping[str, MethodRule]) -> None:
        self.authenticator = authenticator
        self.rules = rules

    async def admit(self, path: str, request: bytes | None, metadata: Iterable[tuple[str, Any]] | None
                    ) -> bytes | None:
        """The request bytes to forward (project set), or a ``PlugboardError``. A streamed request
        (``None``) is only authenticated and checked for scope."""
        principal = await self.authenticator.authenticate(credential_from(metadata))
        rule = self.rules[path]
        if request is None:
            rule.check_scope(principal)
            return None
        return rule.admit_bytes(principal, request)

    async def admit_message(self, rule: MethodRule, message: Message, credential: str | None) -> None:
        """The HTTP facade's admission of a decoded request (identity field set in place)."""
        principal = await self.authenticator.authenticate(credential)
        rule.admit_message(principal, message)
