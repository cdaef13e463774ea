"""Authentication of callers and admission of their calls.

- ``credential_from``: the key in ``authorization: Bearer <key>`` or ``x-api-key: <key>`` (gRPC metadata
  or HTTP headers, names case-insensitive).
- ``Authenticator``: verifies a key against the ``KeyStore``. Stored records are cached in memory for
  ``cache_seconds`` (default 10 s): a revoked key stops working within that time, at every gateway
  process. A key that verified is remembered, by the exact string presented, until its record's cache
  entry expires: later calls with it skip parsing, the digest and rebuilding the principal (a dict
  lookup). Only verified keys are remembered, so a wrong secret always goes through the constant-time
  digest comparison; the lookup hashes the whole presented string with Python's randomized hash, so
  its timing says nothing about how much of a secret was right.
- ``Gatekeeper``: authenticate, then apply the method's ``MethodRule`` (scope, project) and take the
  call's slot from the per-tenant ``Quotas`` (``gateway.quotas``); the single entry used by gRPC
  forwarding, DeleteConnector and the HTTP facade alike. The HTTP facade authorizes (key and scope)
  before it reads a body, and applies the project rule once the body is decoded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from google.protobuf.message import Message

from gateway import keys
from gateway.forwarding import Admission
from gateway.key_store import KeyStore
from gateway.policy import MethodRule
from gateway.quotas import UNLIMITED, Quotas, Slot
from plugboard.logs import caller_project

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
        # Presented key -> (its principal, expiry of the record it was verified against).
        self._verified: dict[str, tuple[keys.Principal, float]] = {}

    async def authenticate(self, credential: str | None) -> keys.Principal:
        """The principal of ``credential``; Unauthenticated when missing, malformed, unknown, wrong
        or revoked; Unavailable when the key database cannot be read."""
        if not credential:
            raise keys.missing_key()
        known = self._verified.get(credential)
        if known is not None and known[1] > self._clock():
            return known[0]
        key_id, secret = keys.parse(credential)
        record, expires = await self._record(key_id)
        principal = keys.verify(record, secret)
        if expires is not None:
            if len(self._verified) >= _MAX_CACHED:
                self._verified.clear()
            self._verified[credential] = (principal, expires)
        return principal

    async def _record(self, key_id: str) -> tuple[keys.KeyRecord | None, float | None]:
        """The stored record of ``key_id`` and when its cache entry expires (None: not cached)."""
        now = self._clock()
        cached = self._cache.get(key_id)
        if cached is not None and cached[1] > now:
            return cached
        record = await asyncio.to_thread(self.store.find, key_id)
        if record is None or self.cache_seconds <= 0:
            return record, None
        if len(self._cache) >= _MAX_CACHED:
            self._cache.clear()
        entry = (record, now + self.cache_seconds)
        self._cache[key_id] = entry
        return entry


class Gatekeeper:
    """Authenticate a call, admit it under its method's rule and hold its tenant's slot."""

    def __init__(self, authenticator: Authenticator, rules: Mapping[str, MethodRule],
                 quotas: Quotas | None = None) -> None:
        self.authenticator = authenticator
        self.rules = rules
        self.quotas = quotas

    async def admit_key(self, path: str, request: bytes | None, credential: str | None) -> Admission:
        """The request bytes to forward (project set) and the call's slot, or a ``PlugboardError``. A
        streamed request (``None``) is only authenticated and checked for scope. The caller releases
        the slot when the call ends."""
        principal = await self.authenticator.authenticate(credential)
        caller_project.set(principal.project)  # for this call's access line
        rule = self.rules[path]
        if request is None:
            rule.check_scope(principal)
            forwarded = None
        else:
            forwarded = rule.admit_bytes(principal, request)
        return Admission(forwarded, self.hold(principal, rule), principal.identity)

    async def authorize(self, rule: MethodRule, credential: str | None) -> keys.Principal:
        """The principal of a caller allowed to call ``rule``'s method (key and scope), before its
        request is read; ``rule.admit_message`` applies the project rule to the decoded request."""
        principal = await self.authenticator.authenticate(credential)
        rule.check_scope(principal)
        return principal

    def hold(self, principal: keys.Principal, rule: MethodRule) -> Slot:
        """The slot of one call of ``rule``'s method (a stream slot for a server stream), or
        ResourceExhausted when the key or its project is at its limit."""
        if self.quotas is None:
            return UNLIMITED
        return self.quotas.acquire(principal, stream=rule.method.server_streaming)
