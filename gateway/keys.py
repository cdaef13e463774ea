"""API keys: their format, scopes, digest and the principal a verified key stands for.

A key is ``pbk_<key id>_<secret>``: a public id (12 hex digits, shown by ``plugboard keys list`` and
used to revoke) and a secret of 256 random bits (64 hex digits, from ``secrets``). The full key is
shown once, at creation; the gateway stores only the SHA-256 digest of the secret.

Why a fast hash is enough here: slow password hashes (bcrypt, scrypt, argon2) exist because people
choose passwords from small spaces that an attacker can enumerate. A 256-bit random secret cannot be
enumerated, so a leaked digest gives nothing a brute force could use, and a single SHA-256 keeps
verification at a microsecond per call. The digest is found by key id, then compared with
``hmac.compare_digest`` (constant time), so neither the lookup nor the comparison depends on the secret.

Plain Python: no grpc, no peewee.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from plugboard.errors import InvalidArgument, Unauthenticated
from plugboard.history import actor

PREFIX = "pbk_"
KEY_ID_HEX = 12
SECRET_BYTES = 32  # 256 bits
_KEY_RE = re.compile(rf"^{PREFIX}([0-9a-f]{{{KEY_ID_HEX}}})_([0-9a-f]{{{SECRET_BYTES * 2}}})$")
PROJECT_RE = re.compile(r"^[A-Za-z0-9_.:-]{2,100}$")

VIEW_CONNECTORS = "view_connectors"
MANAGE_CONNECTORS = "manage_connectors"
VIEW_INSTANCES = "view_instances"
MANAGE_INSTANCES = "manage_instances"
CERTIFY_CONNECTORS = "certify_connectors"
SCOPES: tuple[str, ...] = (VIEW_CONNECTORS, MANAGE_CONNECTORS, VIEW_INSTANCES, MANAGE_INSTANCES,
                           CERTIFY_CONNECTORS)
# A scope grants itself and these (manage implies view, as in seed 002's OAuth scopes).
IMPLIED: dict[str, frozenset[str]] = {
    MANAGE_CONNECTORS: frozenset({VIEW_CONNECTORS}),
    MANAGE_INSTANCES: frozenset({VIEW_INSTANCES}),
}


def effective_scopes(scopes: frozenset[str] | set[str] | tuple[str, ...]) -> frozenset[str]:
    """``scopes`` plus the scopes they imply."""
    granted = set(scopes)
    for scope in scopes:
        granted |= IMPLIED.get(scope, frozenset())
    return frozenset(granted)


@dataclass(frozen=True)
class Principal:
    """Who a verified key speaks for: its project and the scopes it grants (implied ones included)."""

    key_id: str
    project: str
    scopes: frozenset[str]
    name: str = ""

    @functools.cached_property
    def identity(self) -> tuple[tuple[str, str], ...]:
        """The metadata telling the backends who calls (``plugboard.history.actor``), built once per key."""
        return actor.identity_metadata(self.key_id, self.name, self.project)


@dataclass(frozen=True)
class KeyRecord:
    """A stored key: everything but the secret, which is kept only as ``digest``."""

    key_id: str
    digest: str
    project: str
    scopes: tuple[str, ...]
    name: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def principal(self) -> Principal:
        return Principal(self.key_id, self.project, effective_scopes(self.scopes), self.name)


@dataclass(frozen=True)
class NewKey:
    """A key just created: the full key (shown once) and its record."""

    key: str
    record: KeyRecord


def digest(secret: str) -> str:
    """Hex SHA-256 of a key's secret part."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def generate(project: str, scopes: list[str] | tuple[str, ...], name: str, now: datetime) -> NewKey:
    """A new key for ``project`` with ``scopes`` (validated; InvalidArgument per bad field)."""
    check_new_key(project, scopes, name)
    key_id = secrets.token_hex(KEY_ID_HEX // 2)
    secret = secrets.token_hex(SECRET_BYTES)
    record = KeyRecord(key_id=key_id, digest=digest(secret), project=project,
                       scopes=tuple(sorted(set(scopes))), name=name, created_at=now)
    return NewKey(key=f"{PREFIX}{key_id}_{secret}", record=record)


def check_new_key(project: str, scopes: list[str] | tuple[str, ...], name: str) -> None:
    problems: list[tuple[str, str]] = []
    if not PROJECT_RE.match(project or ""):
        problems.append(("project", "must be 2 to 100 letters, digits, '_', '-', '.' or ':'"))
    if not scopes:
        problems.append(("scopes", f"at least one scope is required: {', '.join(SCOPES)}"))
    for scope in scopes:
        if scope not in SCOPES:
            problems.append(("scopes", f"unknown scope {scope!r}; known: {', '.join(SCOPES)}"))
    if len(name) > 200:
        problems.append(("name", "must be at most 200 characters"))
    if problems:
        raise InvalidArgument(problems)


def parse(key: str) -> tuple[str, str]:
    """(key id, secret) of a presented key; Unauthenticated when it is not a key at all."""
    match = _KEY_RE.match(key.strip())
    if match is None:
        raise invalid_key()
    return match.group(1), match.group(2)


def verify(record: KeyRecord | None, secret: str) -> Principal:
    """The principal of ``record`` when ``secret`` is its secret and it is not revoked."""
    presented = digest(secret)
    stored = record.digest if record is not None else "0" * len(presented)
    matches = hmac.compare_digest(presented, stored)  # constant time, also when record is None
    if record is None or not matches or record.revoked:
        raise invalid_key()
    return record.principal()


def invalid_key() -> Unauthenticated:
    """The one answer for a malformed, unknown, wrong or revoked key (no hint which)."""
    return Unauthenticated("the API key is invalid or revoked", reason="API_KEY_INVALID")


def missing_key() -> Unauthenticated:
    return Unauthenticated(
        "an API key is required: send it as 'authorization: Bearer <key>' (or 'x-api-key: <key>')",
        reason="API_KEY_MISSING")
