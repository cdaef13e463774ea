"""The instance model: what a caller asks for, what is stored, and what reads show.

Three shapes of the same resource:

- ``InstanceDraft`` / ``VariableInput``: input, as the caller sent it (plaintext values included).
- ``Instance`` / ``Variable``: what the store holds and returns. A secret variable carries its ciphertext
  (never its value); reads show ``value_set``, ``fingerprint`` and ``value_update_time`` instead.
- ``Configuration``: the configuration keys of the connector version the instance uses (a snapshot taken
  from the catalog's specification, which is immutable per published version).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from .connection import ConnectionSpec
from .outcomes import TestOutcome, TestResult



class InstanceState(enum.Enum):
    """Lifecycle of an instance: PENDING is the create protocol's intent record, READY is usable."""

    PENDING = "PENDING"
    READY = "READY"


class RateLimitUnit(enum.Enum):
    """Unit of an instance's rate limit window."""

    UNSPECIFIED = "UNSPECIFIED"
    SECOND = "SECOND"
    MINUTE = "MINUTE"
    HOUR = "HOUR"
    DAY = "DAY"


class VersionPolicy(enum.Enum):
    """Whether an instance follows the connector's latest published version or stays pinned."""

    UNSPECIFIED = "UNSPECIFIED"
    FOLLOW_LATEST = "FOLLOW_LATEST"
    PINNED = "PINNED"
    # The connector's preview (seed 002: "You can only deploy previewable ConnectorStaged to Projects listed
    # in privateProjects"); connector_version is the preview number, and the instance follows newer previews.
    PREVIEW = "PREVIEW"


FOLLOWING = (VersionPolicy.FOLLOW_LATEST, VersionPolicy.PREVIEW)


def catalog_use(instance: "Instance") -> dict[str, bool]:
    """How an existing instance asks the catalog for its connector: as an existing use (it keeps resolving
    the versions once offered to its project, whatever unlisting or privacy did later; seed 002, Unlist:
    "This update action does not affect deployed instances of the Connector"), of a preview or not."""
    return {"existing_use": True, "preview": instance.version_policy is VersionPolicy.PREVIEW}


# --------------------------------------------------------------------------------------------- input


@dataclass(frozen=True)
class VariableInput:
    """One variable as the caller sent it. ``value`` is plaintext, secret or not. An update may name a
    stored variable by its ``id`` instead of (or as well as) its ``key``."""

    key: str
    value: str = ""
    label: str = ""
    secret: bool = False
    locked: bool = False
    alias: str = ""
    configurable: bool = False
    required: bool = False
    advanced: bool = False
    id: str = ""

    def __repr__(self) -> str:  # never print a value: it may be a secret
        return f"VariableInput(key={self.key!r}, secret={self.secret}, value=<{len(self.value)} chars>)"


@dataclass(frozen=True)
class InstanceDraft:
    """The fields of a CreateInstance request."""

    name: str
    timezone: str
    date_format: str
    rate_limit_unit: RateLimitUnit
    rate_limit_duration: int
    connector_id: str = ""
    connector_key: str = ""
    connector_version: int = 0
    version_policy: VersionPolicy = VersionPolicy.UNSPECIFIED
    connection_pool_id: int | None = None
    certificate_id: str | None = None
    platform_app_key: str = ""
    session_id: str | None = None
    type: str = ""
    variables: tuple[VariableInput, ...] = ()
    installation_id: str = ""


# ------------------------------------------------------------------------------------ configuration


@dataclass(frozen=True)
class ConfigurationKey:
    """A configuration key of a connector version: a standard key (setting) or a secured key (secret)."""

    key: str
    secret: bool
    required: bool = False
    default: str = ""
    description: str = ""


@dataclass(frozen=True)
class Configuration:
    """The configuration keys of one published connector version, merged over its applications.

    A key named by several applications (or by an application and the global configuration) appears
    once: secret if any mention is secured, required if any mention is required, the first non-empty
    default.
    """

    keys: tuple[ConfigurationKey, ...] = ()

    @classmethod
    def merge(cls, mentions: list[ConfigurationKey] | tuple[ConfigurationKey, ...]) -> "Configuration":
        merged: dict[str, ConfigurationKey] = {}
        for mention in mentions:
            seen = merged.get(mention.key)
            if seen is None:
                merged[mention.key] = mention
                continue
            secret = seen.secret or mention.secret
            merged[mention.key] = ConfigurationKey(
                key=seen.key,
                secret=secret,
                required=seen.required or mention.required,
                default="" if secret else (seen.default or mention.default),
                description=seen.description or mention.description,
            )
        return cls(tuple(merged.values()))

    @property
    def is_empty(self) -> bool:
        """True when the specification declares no configuration keys (the caller's variables stand)."""
        return not self.keys

    def get(self, key: str) -> ConfigurationKey | None:
        for item in self.keys:
            if item.key == key:
                return item
        return None

    def to_json(self) -> list[dict[str, object]]:
        return [
            {"key": k.key, "secret": k.secret, "required": k.required, "default": k.default,
             "description": k.description}
            for k in self.keys
        ]

    @classmethod
    def from_json(cls, items: list[dict[str, object]]) -> "Configuration":
        return cls(tuple(
            ConfigurationKey(
                key=str(item["key"]),
                secret=bool(item.get("secret", False)),
                required=bool(item.get("required", False)),
                default=str(item.get("default", "")),
                description=str(item.get("description", "")),
            )
            for item in items
        ))


@dataclass(frozen=True)
class UsableConnector:
    """The catalog's answer to a usability check: the connector is ACTIVE, published and visible."""

    connector_id: str
    connector_key: str
    version: int
    latest_version: int
    configuration: Configuration
    # The version's `connection` section (None when it has none).
    connection: ConnectionSpec | None = None
    # Project that created the connector (its own connectors are installed for it automatically).
    creator_project: str = ""
    # Name of the connector, as the version names it.
    name: str = ""


# ------------------------------------------------------------------------------------------- stored


@dataclass(frozen=True)
class Variable:
    """A stored variable. For a secret, ``value`` is always None and ``ciphertext`` holds the value."""

    id: str
    key: str
    label: str = ""
    secret: bool = False
    locked: bool = False
    alias: str = ""
    configurable: bool = False
    required: bool = False
    advanced: bool = False
    value: str | None = None
    ciphertext: bytes | None = None
    fingerprint: str = ""
    value_update_time: datetime | None = None

    @property
    def value_set(self) -> bool:
        return self.ciphertext is not None if self.secret else bool(self.value)

    def __repr__(self) -> str:
        shown = "<secret>" if self.secret else repr(self.value)
        return f"Variable(key={self.key!r}, secret={self.secret}, value={shown})"


@dataclass(frozen=True)
class Instance:
    """A stored instance, as the domain and the transport see it."""

    id: str
    project: str
    name: str
    connector_id: str
    connector_key: str
    connector_version: int
    version_policy: VersionPolicy
    timezone: str
    date_format: str
    rate_limit_unit: RateLimitUnit
    rate_limit_duration: int
    state: InstanceState
    version: int
    create_time: datetime
    update_time: datetime
    connection_pool_id: int | None = None
    certificate_id: str | None = None
    platform_app_key: str = ""
    session_id: str | None = None
    type: str = ""
    variables: tuple[Variable, ...] = ()
    latest_version: int = 0
    last_test_outcome: TestOutcome = TestOutcome.UNSPECIFIED
    configuration: Configuration | None = None
    # Why a following instance could not move to latest_version (empty when it could, or is pinned).
    blocked_reasons: tuple[str, ...] = ()
    # The last connection test result, when the instance has been tested.
    last_test: TestResult | None = None
    # The installation the instance belongs to (its version is the installation's).
    installation_id: str = ""

    def variable(self, key: str) -> Variable | None:
        for item in self.variables:
            if item.key == key:
                return item
        return None


@dataclass(frozen=True)
class InstanceReference:
    """An instance that references a connector (for the gateway's deletion protocol)."""

    project: str
    id: str
    name: str
    state: InstanceState


@dataclass(frozen=True)
class References:
    """How many instances reference a connector, and the first few of them, oldest first."""

    total: int
    instances: tuple[InstanceReference, ...] = field(default_factory=tuple)
