"""Customising an installation (issue 16, point 3): what a project may change, and the configuration
its instances are then validated against.

A customisation may set defaults, labels and descriptions of the published version's keys, add optional
standard keys, and change the connection test request (method, path below the base URL, expected
statuses, headers). It never changes whether a key is secured or standard, never sets a default on a
secured key, and never changes where the connection goes: the base URL, the token URL and the
authentication stay the published version's, a test path is a path (no scheme, host, "..", "//" or
"@"), and a test header may name settings but never a secret, so no secret is sent anywhere the
specification does not send it.
"""

from __future__ import annotations

from dataclasses import replace

from .model import Configuration, ConfigurationKey
from .installation_model import Customisation


def customised_configuration(published: Configuration | None,
                             customisation: Customisation | None) -> Configuration | None:
    """The published configuration keys with the customisation applied (extra keys last)."""
    if customisation is None or customisation.is_empty:
        return published
    by_key = {item.key: item for item in customisation.keys}
    keys: list[ConfigurationKey] = []
    for item in (published or Configuration()).keys:
        change = by_key.get(item.key)
        if change is not None:
            if change.default is not None and not item.secret:
                item = replace(item, default=change.default)
            if change.description is not None:
                item = replace(item, description=change.description)
        keys.append(item)
    for extra in customisation.extra_keys:
        keys.append(ConfigurationKey(key=extra.key, secret=False, required=False, default=extra.default,
                                     description=extra.description))
    return Configuration(tuple(keys))


# --------------------------------------------------------------------------------------- validation

import re  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import datetime  # noqa: E402

from plugboard.errors import ConcurrentModification, FailedPrecondition, Validator  # noqa: E402

from . import changes  # noqa: E402
from .connection import ConnectionSpec, placeholders  # noqa: E402
from .installation_model import (  # noqa: E402
    Actor,
    ConnectionTestCustomisation,
    Installation,
    InstallationState,
    Revision,
    RevisionChange,
)
from .validation import TEXT_MAX, VARIABLE_KEY, check_project  # noqa: E402

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
DESCRIPTION_MAX = 1024
PATH_MAX = 1024
KEYS_MAX = 200
HEADERS_MAX = 20
STATUSES_MAX = 20
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")
# Headers a customisation may not set: they carry credentials or decide where a request goes.
FORBIDDEN_HEADERS = frozenset({"host", "authorization", "proxy-authorization", "cookie", "forwarded",
                               "x-forwarded-for", "x-forwarded-host", "content-length", "transfer-encoding",
                               "connection"})


def check_customisation(v: Validator, item: Customisation, configuration: Configuration | None,
                        connection: ConnectionSpec | None, prefix: str = "customisation") -> None:
    """Every problem of a customisation against the installed version (one violation each)."""
    published = {key.key: key for key in (configuration or Configuration()).keys}
    v.require(len(item.keys) <= KEYS_MAX, f"{prefix}.keys", f"at most {KEYS_MAX} keys")
    seen: set[str] = set()
    for index, change in enumerate(item.keys[:KEYS_MAX]):
        path = f"{prefix}.keys[{index}]"
        spec = published.get(change.key)
        if spec is None:
            v.add(f"{path}.key", f"{change.key!r} is not a configuration key of the installed version")
            continue
        if change.key in seen:
            v.add(f"{path}.key", f"{change.key!r} is customised twice")
        seen.add(change.key)
        if change.default is not None:
            if spec.secret:
                v.add(f"{path}.default", f"{change.key!r} is a secured key: it has no default (its nature "
                                         "cannot change)")
            v.check_max_length(change.default, f"{path}.default", DESCRIPTION_MAX)
        if change.label is not None:
            v.check_max_length(change.label, f"{path}.label", TEXT_MAX)
        if change.description is not None:
            v.check_max_length(change.description, f"{path}.description", DESCRIPTION_MAX)
        v.require(change.default is not None or change.label is not None or change.description is not None,
                  f"{path}", "changes nothing: give a default, label or description")
    v.require(len(item.extra_keys) <= KEYS_MAX, f"{prefix}.extra_keys", f"at most {KEYS_MAX} extra keys")
    for index, extra in enumerate(item.extra_keys[:KEYS_MAX]):
        path = f"{prefix}.extra_keys[{index}]"
        if not VARIABLE_KEY.match(extra.key):
            v.add(f"{path}.key", "must be letters, digits, '_', '.' or '-', starting with a letter or '_'")
        elif extra.key in published:
            v.add(f"{path}.key", f"{extra.key!r} is a key of the installed version; customise it in keys")
        elif extra.key in seen:
            v.add(f"{path}.key", f"{extra.key!r} is given twice")
        seen.add(extra.key)
        v.check_max_length(extra.label, f"{path}.label", TEXT_MAX)
        v.check_max_length(extra.description, f"{path}.description", DESCRIPTION_MAX)
        v.check_max_length(extra.default, f"{path}.default", DESCRIPTION_MAX)
    test = item.connection_test
    if test is None or test.is_empty:
        return
    path = f"{prefix}.connection_test"
    if connection is None or connection.is_empty:
        v.add(path, "the installed version has no connection section: there is no test request to change")
        return
    secrets = {key for key, spec in published.items() if spec.secret}
    known = set(published) | {extra.key for extra in item.extra_keys}
    if test.method:
        v.require(test.method in METHODS, f"{path}.method", "must be one of " + ", ".join(METHODS))
    if test.path:
        bad = (not test.path.startswith("/") or test.path.startswith("//") or "://" in test.path
               or "@" in test.path or "\\" in test.path or ".." in test.path.split("?")[0]
               or any(ord(c) < 0x21 or ord(c) == 0x7F for c in test.path) or len(test.path) > PATH_MAX)
        if bad:
            v.add(f"{path}.path", "must be a path below the base URL: starting with one '/', without '..', "
                                  "'@', '\\\\', a scheme, spaces or control characters, at most "
                                  f"{PATH_MAX} characters")
        _check_names(v, placeholders(test.path), secrets, known, f"{path}.path")
    v.require(len(test.expected_status) <= STATUSES_MAX, f"{path}.expected_status", f"at most {STATUSES_MAX}")
    for index, status in enumerate(test.expected_status[:STATUSES_MAX]):
        v.require(100 <= status <= 599, f"{path}.expected_status[{index}]", "must be an HTTP status (100 to 599)")
    v.require(len(test.headers) <= HEADERS_MAX, f"{path}.headers", f"at most {HEADERS_MAX} headers")
    for name, value in test.headers[:HEADERS_MAX]:
        where = f"{path}.headers[{name}]"
        if not HEADER_NAME.match(name):
            v.add(where, "must be an HTTP header name")
        elif name.lower() in FORBIDDEN_HEADERS or name.lower().startswith("proxy-"):
            v.add(where, f"{name} carries credentials or decides where the request goes: it cannot be set")
        if any(c in value for c in "\r\n\0") or len(value) > DESCRIPTION_MAX:
            v.add(where, f"must be one line of at most {DESCRIPTION_MAX} characters")
        _check_names(v, placeholders(value), secrets, known, where)


def _check_names(v: Validator, names, secrets: set[str], known: set[str], field: str) -> None:  # type: ignore[no-untyped-def]
    for name in names:
        if name in secrets:
            v.add(field, f"{{{name}}} is a secret: a customisation never sends secrets anywhere the "
                         "specification does not")
        elif name not in known:
            v.add(field, f"{{{name}}} is not a configuration key of the installation")


def customised_connection(connection: ConnectionSpec | None,
                          customisation: Customisation | None) -> ConnectionSpec | None:
    """The connection section with the customised test request (base URL and authentication unchanged)."""
    from dataclasses import replace as _replace

    if connection is None or connection.is_empty or customisation is None:
        return connection
    test = customisation.connection_test
    if test is None or test.is_empty:
        return connection
    headers = dict(connection.headers)
    headers.update(dict(test.headers))
    return _replace(connection, method=test.method or connection.method, path=test.path or connection.path,
                    expected_status=tuple(test.expected_status) or connection.expected_status,
                    headers=tuple(headers.items()))


def diff(item: Customisation, configuration: Configuration | None,
         connection: ConnectionSpec | None) -> tuple[RevisionChange, ...]:
    """What differs from the published version, one entry per changed item."""
    published = {key.key: key for key in (configuration or Configuration()).keys}
    changes: list[RevisionChange] = []
    for change in item.keys:
        spec = published.get(change.key)
        before = {"default": spec.default if spec else "", "label": "",
                  "description": spec.description if spec else ""}
        for name in ("default", "label", "description"):
            value = getattr(change, name)
            if value is not None and value != before[name]:
                changes.append(RevisionChange(f"keys.{change.key}.{name}", before[name], value))
    for extra in item.extra_keys:
        changes.append(RevisionChange(f"extra_keys.{extra.key}", "",
                                      f"optional setting, default {extra.default!r}"
                                      + (f", {extra.description}" if extra.description else "")))
    test = item.connection_test
    if test is not None and not test.is_empty:
        spec_test = connection or ConnectionSpec()
        if test.method and test.method != spec_test.method:
            changes.append(RevisionChange("connection_test.method", spec_test.method, test.method))
        if test.path and test.path != spec_test.path:
            changes.append(RevisionChange("connection_test.path", spec_test.path, test.path))
        if test.expected_status and tuple(test.expected_status) != tuple(spec_test.expected_status):
            changes.append(RevisionChange("connection_test.expected_status",
                                          ",".join(map(str, spec_test.expected_status)),
                                          ",".join(map(str, test.expected_status))))
        spec_headers = dict(spec_test.headers)
        for name, value in test.headers:
            if spec_headers.get(name) != value:
                changes.append(RevisionChange(f"connection_test.headers.{name}", spec_headers.get(name, ""), value))
    return tuple(changes)


class Customising:
    """CustomiseInstallation and ListInstallationRevisions."""

    def __init__(self, store, catalog, *, clock: Callable[[], datetime]) -> None:  # type: ignore[no-untyped-def]
        self._store = store  # installations.InstallationStore
        self._catalog = catalog
        self._clock = clock

    async def customise(self, project: str, installation_id: str, expected_version: int, item: Customisation, *,
                        actor: Actor, timeout: float) -> Installation:
        v = Validator()
        check_project(v, project)
        v.check_not_empty(installation_id, "id")
        v.check_max_length(installation_id, "id", TEXT_MAX)
        v.require(expected_version >= 0, "version", "must be 0 (the current one) or the expected version")
        if not project or not installation_id:
            v.raise_if_any()
        current = self._store.get(project, installation_id)
        if current.state is not InstallationState.READY:
            raise FailedPrecondition.single("INSTALLATION_REMOVING", f"projects/{project}/installations/{current.id}",
                                            "the installation is being removed")
        if expected_version and expected_version != current.version:
            v.raise_if_any()
            raise ConcurrentModification(expected_version, current.version)
        usable = await self._catalog.check_connector_usable(
            connector_id=current.connector_id, connector_key="", project=project,
            version=current.connector_version, timeout=timeout, existing_use=True)
        check_customisation(v, item, usable.configuration, usable.connection)
        v.raise_if_any()
        now = self._clock()
        number = current.revision + 1
        revision = Revision(installation_id=current.id, number=number, author=actor, create_time=now,
                            based_on_version=current.connector_version, customisation=item,
                            changes=diff(item, usable.configuration, usable.connection))
        changed = replace(current, revision=number, customisation=None if item.is_empty else item,
                          modified_by=actor, modify_time=now, update_time=now)
        return self._store.update(current, changed, revision,
                                  changes.installation_updated(current, changed, "customiseInstallation"))

    def revisions(self, project: str, installation_id: str, page_size: int, page_token: str):  # type: ignore[no-untyped-def]
        v = Validator()
        check_project(v, project)
        v.check_not_empty(installation_id, "installation_id")
        v.check_max_length(installation_id, "installation_id", TEXT_MAX)
        v.require(0 <= page_size <= 100, "page_size", "must be from 1 to 100 (0 means 20)")
        v.check_max_length(page_token, "page_token", 2048)
        v.raise_if_any()
        return self._store.revisions(project, installation_id, page_size or 20, page_token)
