"""Secret variable values, encrypted at rest with the shared mechanism of ``plugboard.secrets``.

The associated data binds a ciphertext to one variable of one instance of one project (``variable_aad``).
"""

from __future__ import annotations

from plugboard.secrets import (
    KEY_BYTES,
    FORMAT_VERSION,
    NONCE_BYTES,
    Keyring,
    SecretDecryptionError,
    SecretKeyError,
    bound_aad,
)

_AAD_LABEL = b"plugboard.instance.variable.v1"


def variable_aad(project: str, instance_id: str, key: str) -> bytes:
    """Associated data binding a ciphertext to one variable of one instance of one project."""
    return bound_aad(_AAD_LABEL, project, instance_id, key)


__all__ = ["FORMAT_VERSION", "KEY_BYTES", "NONCE_BYTES", "Keyring", "SecretDecryptionError", "SecretKeyError",
           "variable_aad"]
