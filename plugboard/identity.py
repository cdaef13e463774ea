"""The caller's identity in call metadata: the gateway sets it from the verified API key (its id, name and
project), for the backends' change history (``plugboard.history.actor``) and authorship (an installation
revision's author). Only the gateway may set it: it removes every ``x-plugboard-`` entry a caller sends
(``gateway.backends``) before it adds its own."""

from __future__ import annotations

# Metadata keys: the id, the name and the project of the caller's API key.
KEY_ID = "x-plugboard-key-id"
KEY_NAME = "x-plugboard-key-name"
PROJECT = "x-plugboard-project"
IDENTITY_HEADERS = frozenset({KEY_ID, KEY_NAME, PROJECT})
# Prefix of the metadata only the gateway sets.
RESERVED_PREFIX = "x-plugboard-"
