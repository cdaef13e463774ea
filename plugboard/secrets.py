"""Secrets encrypted at rest with AES-256-GCM (``cryptography``): the instance service's secret
variables and the catalog's repository credentials, one mechanism for both.

Keys. ``Keyring`` holds one or more 32-byte master keys, each with an id, oldest first and newest last.
The newest encrypts; every key decrypts (rotation: add a new key at the end, re-encrypt, then drop the
old one). Keys come from the ``secret_keys`` setting ("id:base64-32-bytes", comma-separated) or, when it
is empty, from a local key file created on first start with mode 0600 (the embedded default). The key
material is never logged and never part of an error message.

Ciphertext. ``version byte (1) | key id length (1) | key id | nonce (12) | AES-GCM ciphertext+tag``. The
associated data binds a ciphertext to its row (``bound_aad``: a label naming what is encrypted, then the
row's identifying parts): for a secret variable its project, instance id and variable key
(``instance_service.domain.secrets.variable_aad``), for repository credentials the draft's id, so a
ciphertext copied to another row fails to decrypt.

Fingerprint. First 8 hex digits of HMAC-SHA256 over the value, with a key derived (HKDF) from the newest
master key for that purpose only; computed when a value is written and stored with it, so it tells
values apart without revealing them.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import os
import re
import secrets as _random
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
# The system actor of ``plugboard secrets rotate``'s change records, in both services.
SECRETS_ROTATE = "secrets-rotate"
NONCE_BYTES = 12
KEY_BYTES = 32
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_ENCRYPTION_INFO = b"plugboard/instance/secret-encryption/v1"
_FINGERPRINT_INFO = b"plugboard/instance/secret-fingerprint/v1"


@dataclass
class RotationReport:
    """What a ``plugboard secrets rotate`` run did in one service: secrets read, re-encrypted, already
    under the newest key, changed by a running server meanwhile (left alone), not decryptable."""

    scanned: int = 0
    rotated: int = 0
    current: int = 0
    changed_meanwhile: int = 0
    failed: int = 0


class SecretKeyError(ValueError):
    """The configured keys (setting or key file) cannot be used; the process must not start."""


class SecretDecryptionError(Exception):
    """A ciphertext cannot be decrypted: unknown key id, wrong associated data, or tampered bytes."""


def bound_aad(label: bytes, *parts: str) -> bytes:
    """Associated data binding a ciphertext to one row: ``label`` (what is encrypted), then ``parts``.

    Each part is length-prefixed, so no choice of strings can make two different tuples collide.
    """
    out = bytearray(label)
    for part in parts:
        raw = part.encode("utf-8")
        out += struct.pack(">I", len(raw)) + raw
    return bytes(out)


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(master)


@dataclass(frozen=True)
class _Key:
    id: str
    aead: AESGCM
    fingerprint_key: bytes

    def __repr__(self) -> str:
        return f"_Key(id={self.id!r})"


class Keyring:
    """Master keys by id; the last one is the newest and the one that encrypts."""

    def __init__(self, keys: Iterable[tuple[str, bytes]]) -> None:
        entries: list[_Key] = []
        seen: set[str] = set()
        for key_id, material in keys:
            if not KEY_ID_PATTERN.match(key_id):
                raise SecretKeyError(f"secret key id {key_id!r} must match {KEY_ID_PATTERN.pattern}")
            if key_id in seen:
                raise SecretKeyError(f"secret key id {key_id!r} appears twice")
            if len(material) != KEY_BYTES:
                raise SecretKeyError(f"secret key {key_id!r} must be {KEY_BYTES} bytes")
            seen.add(key_id)
            entries.append(_Key(
                id=key_id,
                aead=AESGCM(_derive(material, _ENCRYPTION_INFO)),
                fingerprint_key=_derive(material, _FINGERPRINT_INFO),
            ))
        if not entries:
            raise SecretKeyError("at least one secret key is required")
        self._keys = {entry.id: entry for entry in entries}
        self._primary = entries[-1]

    def __repr__(self) -> str:
        return f"Keyring(key_ids={self.key_ids!r})"

    # ------------------------------------------------------------------------------ construction

    @classmethod
    def parse(cls, text: str) -> "Keyring":
        """Keys from "id:base64,id:base64" (commas or newlines between entries, "#" comment lines),
        newest last."""
        keys: list[tuple[str, bytes]] = []
        lines = [line for line in text.splitlines() if not line.strip().startswith("#")]
        for raw in ",".join(lines).split(","):
            entry = raw.strip()
            if not entry:
                continue
            key_id, sep, encoded = entry.partition(":")
            if not sep:
                raise SecretKeyError("each secret key must be written as id:base64")
            try:
                material = base64.b64decode(encoded.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise SecretKeyError(f"secret key {key_id.strip()!r} is not valid base64") from None
            keys.append((key_id.strip(), material))
        return cls(keys)

    @classmethod
    def from_file(cls, path: Path, *, create: bool = True) -> "Keyring":
        """Keys from a key file; on first start (no file yet) create one with a new key, mode 0600."""
        path = Path(path)
        if not path.exists():
            if not create:
                raise SecretKeyError(f"secret key file {path} does not exist")
            _create_key_file(path)
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            log.warning("secret key file %s is readable by others (mode %04o); it should be 0600", path, mode)
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise SecretKeyError(f"secret key file {path} cannot be read: {exc.__class__.__name__}") from None
        return cls.parse(text)

    @classmethod
    def from_settings(cls, settings: object) -> "Keyring":
        """The ``secret_keys`` setting when set, else the ``secret_key_file`` (created when missing)."""
        configured = str(getattr(settings, "secret_keys", "") or "")
        if configured.strip():
            return cls.parse(configured)
        key_file = getattr(settings, "secret_key_file", None)
        if key_file is None:
            raise SecretKeyError("neither secret_keys nor secret_key_file is configured")
        return cls.from_file(Path(key_file))

    @staticmethod
    def generate_entry(key_id: str) -> str:
        """A new "id:base64" entry with 32 random bytes, for a key file or the secret_keys setting."""
        return f"{key_id}:{base64.b64encode(_random.token_bytes(KEY_BYTES)).decode('ascii')}"

    # ------------------------------------------------------------------------------------- use

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    @property
    def primary_key_id(self) -> str:
        return self._primary.id

    def encrypt(self, plaintext: str, aad: bytes) -> bytes:
        """Encrypt with the newest key; the key id travels in the ciphertext."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._primary.aead.encrypt(nonce, plaintext.encode("utf-8"), aad)
        key_id = self._primary.id.encode("ascii")
        return bytes([FORMAT_VERSION, len(key_id)]) + key_id + nonce + sealed

    def decrypt(self, blob: bytes, aad: bytes) -> str:
        """Decrypt with the key named in the ciphertext; SecretDecryptionError when that fails."""
        key_id, nonce, sealed = _split(blob)
        entry = self._keys.get(key_id)
        if entry is None:
            raise SecretDecryptionError(f"secret was encrypted with key {key_id!r}, which is not configured")
        try:
            return entry.aead.decrypt(nonce, sealed, aad).decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise SecretDecryptionError("secret cannot be decrypted for this row") from None

    @staticmethod
    def key_id_of(blob: bytes) -> str:
        return _split(blob)[0]

    def needs_rotation(self, blob: bytes) -> bool:
        """True when the ciphertext is not under the newest key."""
        return self.key_id_of(blob) != self._primary.id

    def reencrypt(self, blob: bytes, aad: bytes) -> bytes:
        """The same value under the newest key (for ``plugboard secrets rotate``)."""
        return self.encrypt(self.decrypt(blob, aad), aad)

    def fingerprint(self, value: str) -> str:
        """First 8 hex digits of HMAC-SHA256(fingerprint key of the newest key, value)."""
        return hmac.new(self._primary.fingerprint_key, value.encode("utf-8"), sha256).hexdigest()[:8]


def _split(blob: bytes) -> tuple[str, bytes, bytes]:
    blob = bytes(blob)
    if len(blob) < 2 or blob[0] != FORMAT_VERSION:
        raise SecretDecryptionError("secret ciphertext has an unknown format")
    id_len = blob[1]
    start = 2 + id_len
    if len(blob) < start + NONCE_BYTES + 16:
        raise SecretDecryptionError("secret ciphertext is truncated")
    try:
        key_id = blob[2:start].decode("ascii")
    except UnicodeDecodeError:
        raise SecretDecryptionError("secret ciphertext has an unknown format") from None
    return key_id, blob[start:start + NONCE_BYTES], blob[start + NONCE_BYTES:]


def _create_key_file(path: Path) -> None:
    """Write a new key file atomically with mode 0600; a concurrent creator's file wins if first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key_id = "local-1"
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{_random.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        content = (
            "# Plugboard secret keys: id:base64(32 bytes), newest last. Keep this file private\n"
            "# and backed up: the secrets it encrypted cannot be read without it.\n"
            f"{Keyring.generate_entry(key_id)}\n"
        )
        os.write(fd, content.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, path)  # atomic: fails if another process created the file first
    except FileExistsError:
        return
    finally:
        temporary.unlink(missing_ok=True)
    log.warning(
        "created secret key file %s (mode 0600, key id %s): secrets are encrypted with it; "
        "back it up, or set PLUGBOARD_SECRET_KEYS instead", path, key_id,
    )
