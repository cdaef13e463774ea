"""The caller's identity in call metadata: the gateway sets it from the verified API key, for the
backends' change history and authorship (an installation revision's author). Only the gateway may set
it: it removes every ``x-plugboard-`` entry a caller sends before it adds its own."""

from __future__ import annotations

# Metadata key of the id of the caller's API key.
KEY_ID = "x-plugboard-key-id"
# Prefix of the metadata only the gateway sets.
RESERVED_PREFIX = "x-plugboard-"
