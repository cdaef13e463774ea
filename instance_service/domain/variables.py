"""Turning resolved (plaintext) variables into stored ones, and the update rules for variables.

Secret values leave this module only as ciphertext bound to (project, instance id, key) plus a
fingerprint; non-secret values are stored as they are.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Sequence
from datetime import datetime

from plugboard.errors import Validator

from .model import Configuration, Instance, Variable, VariableInput
from .secrets import Keyring, SecretDecryptionError, variable_aad
from .validation import VARIABLE_KEY, ResolvedVariable


def new_id() -> str:
    """A random (version 4) UUID in its canonical text form; what ``str(uuid.uuid4())`` gives, in a
    fifth of the time (four per create)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def seal(
    keyring: Keyring,
    project: str,
    instance_id: str,
    resolved: ResolvedVariable,
    now: datetime,
    *,
    variable_id: str | None = None,
) -> Variable:
    """A stored variable: a secret's value encrypted and fingerprinted, a setting's value kept."""
    common = dict(
        id=variable_id or new_id(), key=resolved.key, label=resolved.label, secret=resolved.secret,
        locked=resolved.locked, alias=resolved.alias, configurable=resolved.configurable,
        required=resolved.required, advanced=resolved.advanced,
    )
    if resolved.secret:
        if not resolved.value:
            return Variable(**common)  # type: ignore[arg-type]
        return Variable(
            **common,  # type: ignore[arg-type]
            ciphertext=keyring.encrypt(resolved.value, variable_aad(project, instance_id, resolved.key)),
            fingerprint=keyring.fingerprint(resolved.value),
            value_update_time=now,
        )
    return Variable(**common, value=resolved.value,  # type: ignore[arg-type]
                    value_update_time=now if resolved.value else None)


def seal_all(
    keyring: Keyring, project: str, instance_id: str, resolved: Sequence[ResolvedVariable], now: datetime
) -> tuple[Variable, ...]:
    return tuple(seal(keyring, project, instance_id, item, now) for item in resolved)


def _same_secret(keyring: Keyring, current: Instance, stored: Variable, value: str) -> bool:
    if stored.ciphertext is None:
        return value == ""
    try:
        plain = keyring.decrypt(stored.ciphertext, variable_aad(current.project, current.id, stored.key))
    except SecretDecryptionError:
        return False
    return hmac.compare_digest(plain.encode("utf-8"), value.encode("utf-8"))


def merge_variables(
    keyring: Keyring,
    current: Instance,
    changes: Sequence[VariableInput],
    now: datetime,
    *,
    field: str = "instance.variables",
    new_variable_id: Callable[[], str] = new_id,
    validator: Validator | None = None,
) -> tuple[Variable, ...]:
    """The instance's variables after an update naming ``changes``; InvalidArgument per problem.

    - A key the instance has: its value is replaced (a secret given with an empty value keeps its value,
      since reads return secrets without values); label, alias, configurable and advanced are replaced;
      ``secret``, ``required`` and ``locked`` stay what they are.
    - A locked variable's value cannot change (giving the same value is fine).
    - A new key must be a configuration key of the instance's connector version (any key when that
      version declares none); the specification decides whether it is secret.
    - A key left out keeps its value.

    With ``validator``, problems are recorded there (the caller raises, together with its own findings)
    and changes whose key is malformed or repeated (already reported by ``check_variable_shapes``) are
    skipped.
    """
    configuration = current.configuration or Configuration()
    v = validator if validator is not None else Validator()
    updated: dict[str, Variable] = {item.key: item for item in current.variables}
    order = [item.key for item in current.variables]
    seen: set[str] = set()
    for index, change in enumerate(changes):
        path = f"{field}[{index}]"
        if not VARIABLE_KEY.match(change.key) or change.key in seen:
            if validator is None:
                v.add(f"{path}.key", "must be a valid key, given once")
            continue
        seen.add(change.key)
        stored = updated.get(change.key)
        if stored is not None:
            spec = configuration.get(change.key)
            value = change.value
            if not stored.secret and not value and spec is not None and spec.default:
                value = spec.default
            if stored.secret and not value:
                keeps_value = True
            else:
                keeps_value = (
                    _same_secret(keyring, current, stored, value) if stored.secret else value == (stored.value or "")
                )
            if stored.locked and not keeps_value:
                v.add(f"{path}.value", f"variable {change.key!r} is locked: its value cannot change")
                continue
            if stored.required and not stored.secret and not value:
                v.add(f"{path}.value", f"variable {change.key!r} is required and has no value")
                continue
            resolved = ResolvedVariable(
                key=stored.key, value=value, secret=stored.secret, required=stored.required,
                label=change.label, locked=stored.locked, alias=change.alias,
                configurable=change.configurable, advanced=change.advanced,
            )
            if keeps_value:
                updated[change.key] = Variable(
                    id=stored.id, key=stored.key, label=change.label, secret=stored.secret,
                    locked=stored.locked, alias=change.alias, configurable=change.configurable,
                    required=stored.required, advanced=change.advanced, value=stored.value,
                    ciphertext=stored.ciphertext, fingerprint=stored.fingerprint,
                    value_update_time=stored.value_update_time,
                )
            else:
                updated[change.key] = seal(keyring, current.project, current.id, resolved, now,
                                           variable_id=stored.id)
            continue
        # A key the instance does not have yet.
        if configuration.is_empty:
            secret, required = change.secret, change.required
            value = change.value
        else:
            spec = configuration.get(change.key)
            if spec is None:
                where = f"connector version {current.connector_version}"
                v.add(f"{path}.key", f"unknown variable {change.key!r}: not a configuration key of {where}")
                continue
            secret, required = spec.secret, spec.required
            value = change.value or ("" if spec.secret else spec.default)
        if required and not value:
            v.add(f"{path}.value", f"variable {change.key!r} is required and has no value")
            continue
        resolved = ResolvedVariable(
            key=change.key, value=value, secret=secret, required=required, label=change.label,
            locked=change.locked, alias=change.alias, configurable=change.configurable,
            advanced=change.advanced,
        )
        updated[change.key] = seal(keyring, current.project, current.id, resolved, now,
                                   variable_id=new_variable_id())
        order.append(change.key)
    if validator is None:
        v.raise_if_any()
    return tuple(updated[key] for key in order)
