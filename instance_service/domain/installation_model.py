"""The installation model: a project's installed copy of a published connector (seeds 001 and 003).

- ``Installation``: what the store holds and reads show. Its ``connector_version`` is the version of every
  instance of it. ``slot`` is "" for the project's installation of a connector version and the
  installation's own id for an explicit "alongside" one, so that a unique constraint on (project,
  connector, version, slot) decides ALREADY_EXISTS.
- ``Customisation`` (keys, extra keys, connection test) and ``Revision``: a project's changes to its
  installation, each a revision with its author (``Actor``) and its diff against the published version.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .model import Configuration


class InstallationOrigin(enum.Enum):
    """How an installation came to be."""

    MARKETPLACE = "MARKETPLACE"  # InstallConnector
    AUTOMATIC = "AUTOMATIC"  # a project's own connector, installed with its first instance
    MIGRATED = "MIGRATED"  # the schema migration, for instances older than installations
    UPDATE = "UPDATE"  # UpdateInstallation ALONGSIDE (or the old version kept for skipped instances)


class InstallationState(enum.Enum):
    """PENDING: the install protocol's intent record; REMOVING: the uninstall protocol's."""

    PENDING = "PENDING"
    READY = "READY"
    REMOVING = "REMOVING"


@dataclass(frozen=True)
class Actor:
    """Who did something: the caller's key id and project (gateway identity), or a system actor."""

    key_id: str = ""
    project: str = ""
    system: str = ""

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in (("key_id", self.key_id), ("project", self.project),
                                              ("system", self.system)) if v}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "Actor | None":
        if not text:
            return None
        data = json.loads(text)
        return cls(key_id=str(data.get("key_id", "")), project=str(data.get("project", "")),
                   system=str(data.get("system", "")))


SYSTEM = Actor(system="system")


@dataclass(frozen=True)
class KeyCustomisation:
    """A change to one configuration key of the published version (None keeps the published value)."""

    key: str
    default: str | None = None
    label: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class ExtraKey:
    """An optional standard key the project adds to its installation."""

    key: str
    label: str = ""
    description: str = ""
    default: str = ""


@dataclass(frozen=True)
class ConnectionTestCustomisation:
    """A change to the connection test request ("" / () keeps the published value)."""

    method: str = ""
    path: str = ""
    expected_status: tuple[int, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.method or self.path or self.expected_status or self.headers)


@dataclass(frozen=True)
class Customisation:
    """Everything a project changed in its installation."""

    keys: tuple[KeyCustomisation, ...] = ()
    extra_keys: tuple[ExtraKey, ...] = ()
    connection_test: ConnectionTestCustomisation | None = None

    @property
    def is_empty(self) -> bool:
        return not self.keys and not self.extra_keys and (self.connection_test is None
                                                           or self.connection_test.is_empty)

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "keys": [{k: v for k, v in (("key", item.key), ("default", item.default), ("label", item.label),
                                        ("description", item.description)) if v is not None}
                     for item in self.keys],
            "extra_keys": [{"key": item.key, "label": item.label, "description": item.description,
                            "default": item.default} for item in self.extra_keys],
        }
        if self.connection_test is not None and not self.connection_test.is_empty:
            test = self.connection_test
            data["connection_test"] = {"method": test.method, "path": test.path,
                                       "expected_status": list(test.expected_status),
                                       "headers": [list(pair) for pair in test.headers]}
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> "Customisation | None":
        if not text:
            return None
        data: Mapping[str, Any] = json.loads(text)
        test = data.get("connection_test")
        return cls(
            keys=tuple(KeyCustomisation(key=item["key"], default=item.get("default"), label=item.get("label"),
                                        description=item.get("description")) for item in data.get("keys", ())),
            extra_keys=tuple(ExtraKey(key=item["key"], label=item.get("label", ""),
                                      description=item.get("description", ""), default=item.get("default", ""))
                             for item in data.get("extra_keys", ())),
            connection_test=None if not test else ConnectionTestCustomisation(
                method=test.get("method", ""), path=test.get("path", ""),
                expected_status=tuple(int(x) for x in test.get("expected_status", ())),
                headers=tuple((str(k), str(v)) for k, v in test.get("headers", ()))),
        )


@dataclass(frozen=True)
class RevisionChange:
    """One difference between a revision and the published version."""

    path: str
    published: str
    value: str


@dataclass(frozen=True)
class Revision:
    """One revision of an installation's customisation."""

    installation_id: str
    number: int
    author: Actor
    create_time: datetime
    based_on_version: int
    customisation: Customisation
    changes: tuple[RevisionChange, ...] = ()


@dataclass(frozen=True)
class AvailableUpdate:
    """What a newer published version changes for an installation."""

    version: int
    added_keys: tuple[str, ...] = ()
    removed_keys: tuple[str, ...] = ()
    now_required_keys: tuple[str, ...] = ()
    failing_instance_count: int = 0


@dataclass(frozen=True)
class Installation:
    """A stored installation."""

    id: str
    project: str
    connector_id: str
    connector_key: str
    connector_version: int
    origin: InstallationOrigin
    state: InstallationState
    version: int
    create_time: datetime
    update_time: datetime
    connector_name: str = ""
    latest_version: int = 0
    slot: str = ""
    revision: int = 0
    customisation: Customisation | None = None
    configuration: Configuration | None = None
    created_by: Actor | None = None
    modified_by: Actor | None = None
    modify_time: datetime | None = None
    # Output only, filled by reads.
    instance_count: int = 0
    available_update: AvailableUpdate | None = None

    @property
    def alongside(self) -> bool:
        return bool(self.slot)

    @property
    def modified(self) -> bool:
        return self.revision > 0 and self.customisation is not None and not self.customisation.is_empty

    @property
    def update_available(self) -> bool:
        return self.latest_version > self.connector_version


@dataclass(frozen=True)
class InstallationReference:
    """An installation of a connector (for the gateway's deletion protocol)."""

    project: str
    id: str
    state: InstallationState
    connector_version: int


@dataclass(frozen=True)
class InstanceRef:
    """An instance of an installation (for the uninstall refusal)."""

    project: str
    id: str
    name: str


@dataclass(frozen=True)
class InstallationQuery:
    """A validated ListInstallations request."""

    project: str
    page_size: int = 20
    page_token: str = ""
    connector_ids: tuple[str, ...] = ()
    connector_key: str = ""
    modified: bool | None = None
    sort: str = "connector_key"

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    @property
    def sort_field(self) -> str:
        return self.sort.lstrip("-")

    def filters(self) -> dict[str, object]:
        return {"project": self.project, "connector_ids": sorted(self.connector_ids),
                "connector_key": self.connector_key, "modified": self.modified, "sort": self.sort}


@dataclass(frozen=True)
class MoveResult:
    """One instance considered by an update or a move."""

    instance_id: str
    instance_name: str
    from_version: int
    to_version: int
    moved: bool
    problems: tuple[str, ...] = field(default_factory=tuple)
