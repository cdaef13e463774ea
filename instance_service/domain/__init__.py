"""Instance domain: model, validation, secrets, update and list rules, and the use cases.

Plain Python: imports neither grpc nor peewee.
"""

from .model import (
    Configuration,
    ConfigurationKey,
    Instance,
    InstanceDraft,
    InstanceReference,
    InstanceState,
    RateLimitUnit,
    References,
    TestOutcome,
    UsableConnector,
    Variable,
    VariableInput,
    VersionPolicy,
)
from .secrets import Keyring, SecretDecryptionError, SecretKeyError, variable_aad
from .service import CatalogPort, Instances, InstanceStore

__all__ = [
    "CatalogPort",
    "Configuration",
    "ConfigurationKey",
    "Instance",
    "InstanceDraft",
    "InstanceReference",
    "InstanceState",
    "InstanceStore",
    "Instances",
    "Keyring",
    "RateLimitUnit",
    "References",
    "SecretDecryptionError",
    "SecretKeyError",
    "TestOutcome",
    "UsableConnector",
    "Variable",
    "VariableInput",
    "VersionPolicy",
    "variable_aad",
]
