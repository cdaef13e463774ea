"""The instance service's change records (``plugboard.history``), written to ``instance_change`` in the
same transaction as the mutation.

Resource type ``instance``. A create records ``createInstance`` with the instance's fields; an update one
change per changed field (``setName``, ``setTimezone``, ...) and per variable (``addVariable``,
``setVariable``, ``removeVariable``); an upgrade ``upgradeInstance``; a connection test
``testConnection``; a delete ``deleteInstance``. A secret variable's change carries only that it
changed and its fingerprints, never a value (``plugboard.history.secret_change``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from plugboard import history
from plugboard.history import Author, Change, Record, RecordType
from plugboard.history.values import camel, plain

from .model import Instance, Variable
from .outcomes import TestResult

if TYPE_CHECKING:
    from .installation_model import Installation

INSTANCE = "instance"
VERSION_FOLLOWER = "version-follower"

FIELDS = ("name", "version_policy", "timezone", "date_format", "rate_limit_unit", "rate_limit_duration",
          "connection_pool_id", "certificate_id", "platform_app_key", "session_id", "type")


def variable_value(variable: Variable) -> dict[str, Any]:
    """A variable as a record shows it: a secret's fingerprint only."""
    shown: dict[str, Any] = {"key": variable.key, "secret": variable.secret, "locked": variable.locked}
    if variable.secret:
        shown["fingerprint"] = variable.fingerprint or None
    else:
        shown["value"] = variable.value
    for name in ("label", "alias"):
        if getattr(variable, name):
            shown[name] = getattr(variable, name)
    return shown


_SHOWN = tuple((name, camel(name), camel(f"set_{name}")) for name in FIELDS)  # (attribute, JSON name, change)


def summary(instance: Instance) -> dict[str, Any]:
    shown = {json_name: plain(getattr(instance, name)) for name, json_name, _ in _SHOWN}
    shown.update(connectorId=instance.connector_id, connectorKey=instance.connector_key,
                 connectorVersion=instance.connector_version,
                 variables=[variable_value(v) for v in instance.variables])
    return shown


def variable_changes(before: tuple[Variable, ...], after: tuple[Variable, ...]) -> list[Change]:
    old = {v.key: v for v in before}
    new = {v.key: v for v in after}
    found: list[Change] = []
    for key, variable in new.items():
        previous = old.get(key)
        if previous is None:
            found.append(Change("addVariable", None, variable_value(variable)))
        elif variable.secret or previous.secret:
            if (previous.fingerprint, previous.ciphertext is None) != (variable.fingerprint, variable.ciphertext is None) \
                    or variable_value(previous) != variable_value(variable):
                change = history.secret_change("setVariable", previous.fingerprint, variable.fingerprint)
                found.append(Change(change.name, {"key": key, **change.previous}, {"key": key, **change.next}))
        elif variable_value(previous) != variable_value(variable):
            found.append(Change("setVariable", variable_value(previous), variable_value(variable)))
    for key, variable in old.items():
        if key not in new:
            found.append(Change("removeVariable", variable_value(variable), None))
    return found


def field_changes(before: Instance, after: Instance) -> list[Change]:
    return list(history.changes(*(history.diff(change, plain(getattr(before, name)), plain(getattr(after, name)))
                                  for name, _, change in _SHOWN)))


def created(instance: Instance) -> Record:
    return history.record(INSTANCE, instance.id, project=instance.project, type=RecordType.CREATED,
                          changes=[Change("createInstance", None, summary(instance))], version=instance.version,
                          at=instance.update_time)


def updated(before: Instance, after: Instance, *, extra: tuple[Change, ...] = (),
            author: Author | None = None) -> Record:
    """The record of an update to ``after`` (its version: before's plus one)."""
    upgrade = history.diff("upgradeInstance", before.connector_version, after.connector_version)
    found = history.changes(upgrade, extra, field_changes(before, after),
                            variable_changes(before.variables, after.variables))
    return history.record(INSTANCE, after.id, project=after.project, changes=found,
                          version=before.version + 1, previous_version=before.version, author=author,
                          at=after.update_time)


def deleted(instance: Instance) -> Record:
    return history.record(INSTANCE, instance.id, project=instance.project, type=RecordType.DELETED,
                          changes=[Change("deleteInstance", summary(instance), None)],
                          previous_version=instance.version)


def tested(instance: Instance, result: TestResult) -> Record:
    previous = instance.last_test.outcome.value if instance.last_test is not None else None
    return history.record(INSTANCE, instance.id, project=instance.project, changes=[Change(
        "testConnection", previous, {"outcome": result.outcome.value, "httpStatus": result.http_status,
                                     "connectorVersion": result.connector_version})],
        version=instance.version, previous_version=instance.version, at=result.test_time)


# --- installations ---------------------------------------------------------------------------------------

INSTALLATION = "installation"


def installation_summary(installation: "Installation") -> dict[str, Any]:
    """An installation as its records show it (the customisation's keys, never a secret: it holds none)."""
    return {"connectorId": installation.connector_id, "connectorKey": installation.connector_key,
            "connectorVersion": installation.connector_version, "origin": installation.origin.value,
            "alongside": installation.alongside, "revision": installation.revision}


def installation_created(installation: "Installation") -> Record:
    return history.record(INSTALLATION, installation.id, project=installation.project, type=RecordType.CREATED,
                          changes=[Change("installConnector", None, installation_summary(installation))],
                          version=installation.version, at=installation.update_time)


def installation_updated(before: "Installation", after: "Installation", name: str) -> Record:
    """``name``: the RPC's change (``customiseInstallation``, ``updateInstallation``, ``followConnector``)."""
    found = history.changes(
        Change(name, installation_summary(before), installation_summary(after)),
        history.diff("setCustomisation",
                     None if before.customisation is None else json.loads(before.customisation.to_json()),
                     None if after.customisation is None else json.loads(after.customisation.to_json())),
    )
    return history.record(INSTALLATION, after.id, project=after.project, changes=found,
                          version=before.version + 1, previous_version=before.version, at=after.update_time)


def installation_removed(installation: "Installation") -> Record:
    return history.record(INSTALLATION, installation.id, project=installation.project, type=RecordType.DELETED,
                          changes=[Change("uninstallConnector", installation_summary(installation), None)],
                          previous_version=installation.version)


def instance_moved(before: Instance, after: Instance) -> Record:
    """An instance moved with its installation, or to another one (``moveInstance``), and what that changed."""
    return updated(before, after, extra=tuple(history.changes(
        history.diff("moveInstance", before.installation_id, after.installation_id))))
