"""Secrets bound to their destination: a change that can send an instance's secrets somewhere else must
re-supply them (issue 13.10).

A secret is entered for a destination: the connection's base URL and token URL, rendered from the
connector version's templates and the instance's variables. Whoever may update an instance but does not
know its secrets must not be able to point that destination at a host they control and let a
connection test deliver the stored secrets there. So:

- an update that changes the value of any variable used in the base URL or token URL template
  (``destination_keys``), or
- an upgrade (or a follow to the latest version) whose connection goes to another origin (scheme, host,
  port of the base URL or token URL, ``origins``),

must carry, in the same request, a value for every secret the connection uses (``connection_keys``) that
has one stored; otherwise it is refused with FAILED_PRECONDITION, reason SECRETS_MUST_BE_RESUPPLIED, one
PreconditionFailure violation per secret to re-enter. Nothing is decrypted to decide: a secret in a
template stands for itself (its placeholder), since its value only changes when it is re-supplied.
A version without a connection section sends nothing, so moving from or to one binds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from plugboard.errors import FailedPrecondition, PreconditionViolation

from .connection import ConnectionSpec, Misconfigured, Position, placeholders, render, shown_origin
from .model import Instance, Variable, VariableInput

REASON = "SECRETS_MUST_BE_RESUPPLIED"
VIOLATION = "SECRET_NOT_RESUPPLIED"


def _present(spec: ConnectionSpec | None) -> ConnectionSpec | None:
    return spec if spec is not None and not spec.is_empty else None


def destination_templates(spec: ConnectionSpec) -> list[str]:
    templates = [spec.base_url_template]
    if spec.authentication.token_url_template:
        templates.append(spec.authentication.token_url_template)
    return templates


def destination_keys(spec: ConnectionSpec | None) -> frozenset[str]:
    """The variables that decide where the connection goes (base URL and token URL templates)."""
    spec = _present(spec)
    if spec is None:
        return frozenset()
    return frozenset(name for template in destination_templates(spec) for name in placeholders(template))


def connection_keys(spec: ConnectionSpec | None) -> frozenset[str]:
    """Every variable the connection sends or uses: templates and the authentication's variables."""
    spec = _present(spec)
    if spec is None:
        return frozenset()
    auth = spec.authentication
    names = set(destination_keys(spec)) | set(placeholders(spec.path))
    for _name, template in spec.headers:
        names.update(placeholders(template))
    names.update(name for name in (auth.api_key_variable, auth.username_variable, auth.password_variable,
                                   auth.token_variable, auth.client_id_variable, auth.client_secret_variable)
                 if name)
    return frozenset(names)


def _origin(shown: str) -> str:
    scheme = shown.partition("://")[0].lower() if "://" in shown else ""
    authority = shown_origin(shown).lower()
    host, sep, port = authority.rpartition(":")
    if not sep or not port.isdigit() or authority.endswith("]"):
        host, port = authority, {"https": "443", "http": "80"}.get(scheme, "")
    return f"{scheme}://{host}:{port}"


def origins(spec: ConnectionSpec | None, variables: Iterable[Variable]) -> tuple[str, ...] | None:
    """The origins the connection goes to, secrets as their placeholders; None without a connection."""
    spec = _present(spec)
    if spec is None:
        return None
    values: dict[str, str] = {}
    secret_keys: set[str] = set()
    for item in variables:
        if item.secret:
            secret_keys.add(item.key)
            values[item.key] = "secret"  # stands for itself: only ``shown`` (its placeholder) is used
        elif item.value:
            values[item.key] = item.value
    out = []
    for template in destination_templates(spec):
        try:
            shown = render(template, values, "destination", secret_keys, position=Position.URL).shown
        except Misconfigured:  # a variable without a value: the template's own authority decides
            shown = template
        out.append(_origin(shown))
    return tuple(out)


def changed_keys(instance: Instance, changes: Sequence[VariableInput], after: Sequence[Variable]) -> set[str]:
    """Keys whose value the request changes: given with a value that differs from the stored one (a new
    key counts). Flags alone (``secret: true`` on a setting) and explicit clears move nothing."""
    before = {item.key: item for item in instance.variables}
    now = {item.key: item for item in after}
    by_id = {item.id: item.key for item in instance.variables}
    changed = set()
    for change in changes:
        key = change.key or by_id.get(change.id, "")
        if not change.value or not key:
            continue
        was = before.get(key)
        if was is None:
            changed.add(key)
        elif was.secret:  # merge keeps the ciphertext when the same secret is given again
            if key not in now or now[key].ciphertext != was.ciphertext:
                changed.add(key)
        elif change.value != (was.value or ""):
            changed.add(key)
    return changed


def supplied_keys(instance: Instance, changes: Sequence[VariableInput]) -> set[str]:
    """Keys the request gives a value for (a variable named by id counts by its key)."""
    by_id = {item.id: item.key for item in instance.variables}
    return {change.key or by_id.get(change.id, "") for change in changes if change.value} - {""}


def require_resupplied(
    *, before: ConnectionSpec | None, after: ConnectionSpec | None, old_variables: Sequence[Variable],
    new_variables: Sequence[Variable], changed: set[str], supplied: set[str], version: int | None = None,
) -> None:
    """FailedPrecondition SECRETS_MUST_BE_RESUPPLIED when the change moves the destination of secrets
    that the request does not re-supply (module docstring)."""
    missing, why = secrets_to_resupply(before=before, after=after, old_variables=old_variables,
                                       new_variables=new_variables, changed=changed, supplied=supplied,
                                       version=version)
    if missing:
        raise FailedPrecondition(
            [PreconditionViolation(VIOLATION, f"variables/{key}",
                                   f"re-enter secret {key!r} in the same request: {why}") for key in missing],
            reason=REASON,
            message=f"{why}; re-enter the secret{'s' if len(missing) > 1 else ''} "
                    f"{', '.join(missing)} in the same request",
            metadata={"secrets": ",".join(missing)},
        )


def secrets_to_resupply(
    *, before: ConnectionSpec | None, after: ConnectionSpec | None, old_variables: Sequence[Variable],
    new_variables: Sequence[Variable], changed: set[str], supplied: set[str], version: int | None = None,
) -> tuple[list[str], str]:
    """The secrets to re-enter (sorted) and why; ([], "") when the change keeps the destination.
    ``changed``: the keys whose value the request changes (``changed_keys``)."""
    moving = sorted(changed & (destination_keys(before) | destination_keys(after)))
    old_origins, new_origins = origins(before, old_variables), origins(after, new_variables)
    moved_origin = old_origins is not None and new_origins is not None and old_origins != new_origins
    if not moving and not moved_origin:
        return [], ""
    used = connection_keys(after)
    missing = sorted(item.key for item in new_variables
                     if item.secret and item.value_set and item.key in used and item.key not in supplied)
    if moving:
        names = ", ".join(repr(key) for key in moving)
        why = f"variable{'s' if len(moving) > 1 else ''} {names} decide{'' if len(moving) > 1 else 's'} " \
              "where the connection sends its secrets"
    else:
        where = f"version {version}" if version else "the new version"
        why = f"the connection of {where} goes to another origin"
    return missing, why
