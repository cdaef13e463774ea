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
    explicit: frozenset[str] | set[str] = frozenset(),
) -> tuple[Variable, ...]:
    """The instance's variables after an update naming ``changes``; InvalidArgument per problem.

    - A variable is named by its ``key``, or by its ``id`` (then a key given too must be its key).
    - A stored variable merges: a field the change leaves empty (or false) keeps its stored value; a field
      named in ``explicit`` (the update mask's ``variables.<field>`` paths) is replaced even when empty or
      false, which is how a field is cleared. A secret sent with an empty value keeps its value (reads
      return secrets without values) unless ``value`` is explicit. ``required`` and ``locked`` stay what
      they are.
    - ``secret: true`` makes a setting a secret: its value (the new one, or the stored one) is encrypted
      and write-only from then on. The reverse needs ``variables.secret`` in the mask and the value
      re-entered in the same request; a secured configuration key is always secret.
    - A locked variable's value cannot change (giving the same value is fine).
    - A new key must be a configuration key of the instance's connector version (any key when that
      version declares none); it is secret when the specification or the caller says so.
    - A key left out keeps its value.

    With ``validator``, problems are recorded there (the caller raises, together with its own findings)
    and changes whose key is malformed or repeated (already reported by ``check_variable_shapes``) are
    skipped.
    """
    configuration = current.configuration or Configuration()
    v = validator if validator is not None else Validator()
    updated: dict[str, Variable] = {item.key: item for item in current.variables}
    by_id = {item.id: item for item in current.variables}
    order = [item.key for item in current.variables]
    seen: set[str] = set()
    named_by_id: set[str] = set()
    for index, change in enumerate(changes):
        path = f"{field}[{index}]"
        if change.id:
            named = by_id.get(change.id)
            if named is None:
                v.add(f"{path}.id", "is not the id of a variable of this instance")
                continue
            if change.key and change.key != named.key:
                v.add(f"{path}.key", f"the variable with this id has key {named.key!r}, not {change.key!r}")
                continue
            key = named.key
            if key in seen:
                v.add(f"{path}.id", f"names variable {key!r}, which the request already names")
                continue
            named_by_id.add(key)
        else:
            key = change.key
            if key in named_by_id:
                v.add(f"{path}.key", f"names variable {key!r}, which the request already names by its id")
                continue
            if not VARIABLE_KEY.match(key) or key in seen:
                if validator is None:
                    v.add(f"{path}.key", "must be a valid key, given once")
                continue
        seen.add(key)
        stored = updated.get(key)
        if stored is not None:
            merged = _merge_one(keyring, current, stored, change, configuration, now, path, v, explicit)
            if merged is not None:
                updated[key] = merged
            continue
        # A key the instance does not have yet.
        if configuration.is_empty:
            secret, required = change.secret, change.required
            value = change.value
        else:
            spec = configuration.get(key)
            if spec is None:
                where = f"connector version {current.connector_version}"
                v.add(f"{path}.key", f"unknown variable {key!r}: not a configuration key of {where}")
                continue
            secret, required = spec.secret or change.secret, spec.required
            value = change.value or ("" if spec.secret else spec.default)
        if required and not value:
            v.add(f"{path}.value", f"variable {key!r} is required and has no value")
            continue
        resolved = ResolvedVariable(
            key=key, value=value, secret=secret, required=required, label=change.label,
            locked=change.locked, alias=change.alias, configurable=change.configurable,
            advanced=change.advanced,
        )
        updated[key] = seal(keyring, current.project, current.id, resolved, now, variable_id=new_variable_id())
        order.append(key)
    if validator is None:
        v.raise_if_any()
    return tuple(updated[key] for key in order)


def _merge_one(
    keyring: Keyring, current: Instance, stored: Variable, change: VariableInput, configuration: Configuration,
    now: datetime, path: str, v: Validator, explicit: frozenset[str] | set[str],
) -> Variable | None:
    """One stored variable after a change (``merge_variables``); None (with a violation) when refused."""
    key = stored.key
    spec = configuration.get(key)

    def pick(name: str, given, kept):  # type: ignore[no-untyped-def]
        return given if (given or name in explicit) else kept

    make_secret = change.secret and not stored.secret
    make_plain = "secret" in explicit and not change.secret and stored.secret
    if make_plain:
        if spec is not None and spec.secret:
            v.add(f"{path}.secret", f"variable {key!r} is a secured configuration key of connector version "
                  f"{current.connector_version}: it is always secret")
            return None
        if not change.value:
            v.add(f"{path}.value", f"making secret variable {key!r} a setting needs its value re-entered "
                  "in the same request")
            return None
    secret = (stored.secret or make_secret) and not make_plain
    value_given = bool(change.value) or "value" in explicit
    value = change.value
    if value_given and not value and not secret and spec is not None and spec.default:
        value = spec.default
    if not value_given:  # the stored value stays
        same_value = True
        value = "" if stored.secret else (stored.value or "")
    elif stored.secret:
        same_value = _same_secret(keyring, current, stored, value)
    else:
        same_value = value == (stored.value or "")
    if stored.locked and not same_value:
        v.add(f"{path}.value", f"variable {key!r} is locked: its value cannot change")
        return None
    if stored.required and value_given and not value and not (stored.secret and secret and same_value):
        v.add(f"{path}.value", f"variable {key!r} is required and has no value")
        return None
    label = pick("label", change.label, stored.label)
    alias = pick("alias", change.alias, stored.alias)
    configurable = pick("configurable", change.configurable, stored.configurable)
    advanced = pick("advanced", change.advanced, stored.advanced)
    if same_value and secret == stored.secret:
        return Variable(
            id=stored.id, key=key, label=label, secret=stored.secret, locked=stored.locked, alias=alias,
            configurable=configurable, advanced=advanced, required=stored.required, value=stored.value,
            ciphertext=stored.ciphertext, fingerprint=stored.fingerprint,
            value_update_time=stored.value_update_time,
        )
    resolved = ResolvedVariable(
        key=key, value=value, secret=secret, required=stored.required, label=label, locked=stored.locked,
        alias=alias, configurable=configurable, advanced=advanced,
    )
    return seal(keyring, current.project, current.id, resolved, now, variable_id=stored.id)
