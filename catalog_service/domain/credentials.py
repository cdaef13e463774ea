"""Repository credentials: write-only, encrypted at rest, used only by the publishing job's git.

A repository URL never carries credentials (``validation.check_repository_url``). A creator who needs
them for a private repository sets them with the ``setRepositoryCredentials`` update action: an https
token (with an optional user name) or an ssh private key. ``CredentialVault`` seals them with the shared
secret keyring (``plugboard.secrets``: AES-256-GCM, the associated data binds the ciphertext to the
draft's id) and computes their fingerprint; the draft keeps only that (``model.RepositoryCredentials``).
Responses show the type and the fingerprint, never a value; the published versions never hold them.
The publishing job opens them (``CredentialVault.open``) right before it runs git.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plugboard.errors import Validator
from plugboard.secrets import Keyring, SecretDecryptionError, bound_aad

from .model import RepositoryCredentials

HTTPS = "https"
SSH = "ssh"
DEFAULT_HTTPS_USERNAME = "x-access-token"
MAX_TOKEN = 4096
MAX_USERNAME = 256
MAX_PRIVATE_KEY = 16 * 1024
_AAD_LABEL = b"plugboard.catalog.repository-credentials.v1"
_USERNAME = re.compile(r"^[^\x00-\x20:\x7f]{1,256}$")
_PRIVATE_KEY = re.compile(r"^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\r?\n[\s\S]+\n-----END [A-Z0-9 ]*PRIVATE KEY-----\s*$")


@dataclass(frozen=True)
class GitCredentials:
    """Plaintext repository credentials: an https token (``username`` + ``secret``) or an ssh private key
    (``secret``). Exists only in a request being handled and in the publishing job; never stored, logged
    or shown (no field of it is in its repr)."""

    type: str
    username: str = field(default="", repr=False)
    secret: str = field(default="", repr=False)

    def encoded(self) -> str:
        return f"{self.type}\n{self.username}\n{self.secret}"

    @classmethod
    def decoded(cls, text: str) -> "GitCredentials":
        kind, _, rest = text.partition("\n")
        username, _, secret = rest.partition("\n")
        return cls(kind, username, secret)


def validate(v: Validator, path: str, credentials: GitCredentials | None) -> None:
    """Every wrong field of a setRepositoryCredentials action (None: remove the credentials). Messages
    never contain the values."""
    if credentials is None:
        return
    if credentials.type == HTTPS:
        v.require(bool(credentials.secret), f"{path}.https.token", "is required")
        v.require(len(credentials.secret) <= MAX_TOKEN, f"{path}.https.token",
                  f"must be at most {MAX_TOKEN} characters")
        v.require(not any(ch.isspace() or not ch.isprintable() for ch in credentials.secret),
                  f"{path}.https.token", "must be printable characters without spaces")
        if credentials.username:
            v.require(bool(_USERNAME.match(credentials.username)), f"{path}.https.username",
                      f"must be 1 to {MAX_USERNAME} printable characters without spaces or ':'")
    elif credentials.type == SSH:
        key = credentials.secret
        v.require(bool(key), f"{path}.ssh.private_key", "is required")
        v.require(len(key) <= MAX_PRIVATE_KEY, f"{path}.ssh.private_key",
                  f"must be at most {MAX_PRIVATE_KEY} characters")
        v.require("\x00" not in key and bool(_PRIVATE_KEY.match(key)), f"{path}.ssh.private_key",
                  "must be a PEM or OpenSSH private key (-----BEGIN ... PRIVATE KEY-----)")


class CredentialsUnreadable(Exception):
    """Stored credentials cannot be decrypted (a key was removed, or the ciphertext was moved)."""


class CredentialVault:
    """Seals and opens repository credentials with the secret keyring."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def seal(self, draft_id: str, credentials: GitCredentials) -> RepositoryCredentials:
        fingerprint = self.keyring.fingerprint(credentials.encoded())
        sealed = self.keyring.encrypt(credentials.encoded(), bound_aad(_AAD_LABEL, draft_id))
        return RepositoryCredentials(type=credentials.type, fingerprint=fingerprint, sealed=sealed)

    def needs_rotation(self, stored: RepositoryCredentials) -> bool:
        """The credentials are sealed under another key than the newest."""
        return Keyring.key_id_of(stored.sealed) != self.keyring.primary_key_id

    def reseal(self, draft_id: str, stored: RepositoryCredentials) -> RepositoryCredentials:
        """The same credentials sealed under the newest key, their fingerprint computed with it (so that
        fingerprints stay comparable once the old key is gone); CredentialsUnreadable when they cannot be
        opened. The plaintext lives only in this call."""
        aad = bound_aad(_AAD_LABEL, draft_id)
        try:
            text = self.keyring.decrypt(stored.sealed, aad)
        except SecretDecryptionError as exc:
            raise CredentialsUnreadable(str(exc)) from None
        resealed = RepositoryCredentials(type=stored.type, fingerprint=self.keyring.fingerprint(text),
                                         sealed=self.keyring.encrypt(text, aad))
        del text
        return resealed

    def open(self, draft_id: str, stored: RepositoryCredentials) -> GitCredentials:
        try:
            credentials = GitCredentials.decoded(self.keyring.decrypt(stored.sealed, bound_aad(_AAD_LABEL, draft_id)))
        except SecretDecryptionError as exc:
            raise CredentialsUnreadable(str(exc)) from None
        if credentials.type == HTTPS and not credentials.username:
            return GitCredentials(HTTPS, DEFAULT_HTTPS_USERNAME, credentials.secret)
        return credentials
