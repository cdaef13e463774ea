"""The installation use cases (seeds 001 and 003): install, read, list, uninstall, and the installation
an instance belongs to.

Install protocol (the deletion protocol of DESIGN.md, applied to connector -> installations): the
installation is committed PENDING with its request id, then the catalog confirms the connector is ACTIVE,
published and visible to the project at the version asked, then it becomes READY (or is removed and the
install fails). The gateway's DeleteConnector marks the connector DELETING before it counts
installations, PENDING ones included, so whichever wrote second sees the other.

Uninstall protocol (installation -> instances): the installation is marked REMOVING (compare-and-swap
from READY), then its instances are counted, PENDING ones included; any: it reverts to READY and the call
is refused naming them; none: it is deleted. A CreateInstance commits its PENDING instance before it
reads the installation's state, and gives up when it is no longer READY.

A connector a project built itself (its creator project) is installed for it automatically: the first
CreateInstance that names it makes an AUTOMATIC installation at its latest version. An unmodified
automatic installation lasts as long as it has instances: deleting the last one removes it (with the
uninstall protocol), so that deleting one's own connector needs no extra step.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Protocol

from plugboard.history import Record

from plugboard.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PlugboardError,
    PreconditionViolation,
    Validator,
)
from plugboard.page import Page

from . import changes
from .installation_model import (
    SYSTEM,
    Actor,
    Installation,
    InstallationOrigin,
    InstallationQuery,
    InstallationReference,
    InstallationState,
    InstanceRef,
)
from .model import UsableConnector
from .validation import TEXT_MAX, check_project
from .variables import new_id

log = logging.getLogger(__name__)

INSTANCE_LIMIT = 10  # instances a refused uninstall names
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
SORTS = ("connector_key", "create_time", "update_time")
CONNECTOR_IDS_MAX = 100


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class InstallationStore(Protocol):
    """The repository (instance_service.storage.installations.InstallationRepository)."""

    def insert(self, installation: Installation, request_id: str = "", record: Record | None = None) -> bool: ...
    def find_by_request(self, project: str, request_id: str) -> Installation | None: ...
    def mark_ready(self, installation: Installation, record: Record | None = None) -> Installation: ...
    def discard_pending(self, installation_id: str) -> None: ...
    def get(self, project: str, installation_id: str) -> Installation: ...
    def state_of(self, installation_id: str) -> InstallationState | None: ...
    def for_connector(self, project: str, *, connector_id: str = "", connector_key: str = "") -> list[Installation]: ...
    def list(self, query: InstallationQuery) -> Page: ...
    def instances_of(self, installation_id: str, limit: int) -> tuple[int, tuple[InstanceRef, ...]]: ...
    def count_references(self, connector_id: str, limit: int) -> tuple[int, tuple[InstallationReference, ...]]: ...
    def begin_removal(self, project: str, installation_id: str, expected_version: int | None,
                      now: datetime) -> Installation: ...
    def cancel_removal(self, installation_id: str) -> None: ...
    def complete_removal(self, installation_id: str, record: Record | None = None) -> bool: ...
    def set_latest(self, installation_id: str, latest_version: int) -> None: ...
    def stale(self, older_than: datetime) -> tuple[list[str], list[str]]: ...
    def empty_automatic(self, older_than: datetime) -> list[tuple[str, str]]: ...


class CatalogPort(Protocol):
    async def check_connector_usable(self, *, connector_id: str, connector_key: str, project: str, version: int,
                                     timeout: float) -> UsableConnector: ...


def not_installed(project: str, connector: str) -> FailedPrecondition:
    return FailedPrecondition(
        [PreconditionViolation("CONNECTOR_NOT_INSTALLED", f"connectors/{connector}",
                               f"project {project} has not installed connector {connector}; install it first "
                               "(InstallConnector)")],
        reason="CONNECTOR_NOT_INSTALLED", metadata={"connector": connector},
    )


def has_instances(installation: Installation, total: int, refs: Sequence[InstanceRef]) -> FailedPrecondition:
    noun = "instance" if total == 1 else "instances"
    shown = ", ".join(repr(ref.name) for ref in refs[:3])
    rest = total - min(len(refs), 3)
    return FailedPrecondition(
        [PreconditionViolation("INSTANCE_OF_INSTALLATION", f"projects/{ref.project}/instances/{ref.id}",
                               f"instance {ref.name!r} ({ref.id}) uses installation {installation.id}")
         for ref in refs],
        message=f"installation {installation.id} of connector {installation.connector_key or installation.connector_id} "
                f"has {total} {noun} ({shown}{f' and {rest} more' if rest > 0 else ''}); remove them first",
        reason="INSTALLATION_HAS_INSTANCES",
        metadata={"installation_id": installation.id, "instance_count": total},
    )


def list_installations_query(project: str, *, page_size: int = 0, page_token: str = "",
                             connector_ids: Sequence[str] = (), connector_key: str = "",
                             modified: bool | None = None, sort: str = "") -> InstallationQuery:
    v = Validator()
    check_project(v, project)
    v.require(0 <= page_size <= MAX_PAGE_SIZE, "page_size",
              f"must be from 1 to {MAX_PAGE_SIZE} (0 means {DEFAULT_PAGE_SIZE})")
    v.require(len(connector_ids) <= CONNECTOR_IDS_MAX, "connector_ids", f"at most {CONNECTOR_IDS_MAX} ids")
    for index, item in enumerate(connector_ids[:CONNECTOR_IDS_MAX]):
        v.require(bool(item) and len(item) <= TEXT_MAX, f"connector_ids[{index}]",
                  f"must be a connector id of 1 to {TEXT_MAX} characters")
    v.check_max_length(connector_key, "connector_key", TEXT_MAX)
    v.check_max_length(page_token, "page_token", 2048)
    v.require(sort.lstrip("-") in ("",) + SORTS and sort.count("-") <= 1, "sort",
              "must be one of " + ", ".join(SORTS) + ' (with "-" for descending)')
    v.raise_if_any()
    return InstallationQuery(project=project, page_size=page_size or DEFAULT_PAGE_SIZE, page_token=page_token,
                             connector_ids=tuple(connector_ids), connector_key=connector_key, modified=modified,
                             sort=sort or "connector_key")


class Installations:
    """Installation use cases. Storage calls are synchronous (fast local database)."""

    def __init__(self, store: InstallationStore, catalog: CatalogPort, *, pending_stale_seconds: float = 60.0,
                 clock: Callable[[], datetime] = utcnow, monotonic: Callable[[], float] = time.monotonic,
                 latest: Callable[..., object] | None = None) -> None:
        self._store = store
        self._catalog = catalog
        self._pending_stale = timedelta(seconds=pending_stale_seconds)
        self._max_seconds = max(pending_stale_seconds / 2, 0.1)
        self._clock = clock
        self._monotonic = monotonic
        # ``latest(project, connector_id, timeout)``: the catalog's latest version, cached (versions.Follower).
        self._latest = latest

    @property
    def store(self) -> InstallationStore:
        return self._store

    # ----------------------------------------------------------------------------------- install

    async def install(self, project: str, *, connector_id: str = "", connector_key: str = "", version: int = 0,
                      alongside: bool = False, request_id: str = "", actor: Actor | None = None,
                      timeout: float) -> Installation:
        v = Validator()
        check_project(v, project)
        if bool(connector_id) == bool(connector_key):
            v.add("connector_id", "give exactly one of connector_id and connector_key")
        v.check_max_length(connector_id, "connector_id", TEXT_MAX)
        v.check_max_length(connector_key, "connector_key", TEXT_MAX)
        v.check_max_length(request_id, "request_id", TEXT_MAX)
        v.require(version >= 0, "version", "must be 0 (the latest) or a published version number")
        v.raise_if_any()
        deadline = self._monotonic() + min(timeout, self._max_seconds)
        if request_id:
            first = self._store.find_by_request(project, request_id)
            if first is not None:
                return await self._replayed(project, first, deadline)
        # Resolve the key and the version before writing the intent (nothing written yet), so the PENDING
        # row names the connector id and version DeleteConnector and the unique index look for.
        usable = await self._check(project, connector_id, connector_key, version, deadline)
        now = self._clock()
        pending = Installation(
            id=new_id(), project=project, connector_id=usable.connector_id, connector_key=usable.connector_key,
            connector_name=usable.name, connector_version=usable.version, latest_version=usable.latest_version,
            origin=InstallationOrigin.MARKETPLACE, state=InstallationState.PENDING, version=1, create_time=now,
            update_time=now, created_by=actor or Actor(project=project), configuration=usable.configuration,
        )
        if alongside:
            pending = replace(pending, slot=pending.id)
        if not self._store.insert(pending, request_id):
            first = self._store.find_by_request(project, request_id)
            if first is None:
                raise AlreadyExists("installation", "request_id", request_id,
                                    message="a concurrent install with this request_id failed; retry",
                                    reason="REQUEST_IN_PROGRESS")
            return await self._replayed(project, first, deadline)
        try:
            confirmed = await self._check(project, pending.connector_id, "", pending.connector_version, deadline)
            ready = replace(pending, connector_key=confirmed.connector_key, connector_name=confirmed.name,
                            latest_version=confirmed.latest_version, configuration=confirmed.configuration,
                            state=InstallationState.READY, update_time=self._clock())
            return self._store.mark_ready(ready, changes.installation_created(ready))
        except BaseException:
            self._discard(pending.id)
            raise

    async def _replayed(self, project: str, first: Installation, deadline: float) -> Installation:
        import asyncio

        while first.state is InstallationState.PENDING:
            if self._monotonic() >= deadline:
                from plugboard.errors import Aborted

                raise Aborted("an install with this request_id is still in progress; retry later",
                              reason="REQUEST_IN_PROGRESS")
            await asyncio.sleep(0.05)
            try:
                first = self._store.get(project, first.id)
            except NotFound:
                state = self._store.state_of(first.id)
                if state is None:
                    raise
        return self._store.get(project, first.id)

    def _discard(self, installation_id: str) -> None:
        try:
            self._store.discard_pending(installation_id)
        except Exception as exc:  # the reconciler removes it later
            log.warning("could not remove pending installation %s (%s); the reconciler will", installation_id,
                        type(exc).__name__)

    async def _check(self, project: str, connector_id: str, connector_key: str, version: int,
                     deadline: float) -> UsableConnector:
        from plugboard.errors import DeadlineExceeded

        remaining = deadline - self._monotonic()
        if remaining <= 0:
            raise DeadlineExceeded("the deadline passed before the catalog could confirm the connector")
        return await self._catalog.check_connector_usable(connector_id=connector_id, connector_key=connector_key,
                                                          project=project, version=version, timeout=remaining)

    # -------------------------------------------------------------------------------------- read

    async def get(self, project: str, installation_id: str, *, timeout: float = 1.0) -> Installation:
        v = Validator()
        check_project(v, project)
        v.check_not_empty(installation_id, "id")
        v.check_max_length(installation_id, "id", TEXT_MAX)
        v.raise_if_any()
        found = self._store.get(project, installation_id)
        return (await self._refresh([found], timeout))[0]

    async def list(self, query: InstallationQuery, *, timeout: float = 1.0) -> Page:
        page = self._store.list(query)
        return replace(page, items=tuple(await self._refresh(page.items, timeout)))

    async def latest(self, item: Installation, timeout: float) -> UsableConnector | None:
        """The catalog's latest version of the installation's connector (cached); None when unknown."""
        if self._latest is None:
            return None
        return await self._latest(item.project, item.connector_id, timeout)  # type: ignore[misc,no-any-return]

    async def _refresh(self, items: Sequence[Installation], timeout: float) -> list[Installation]:
        """The installations with the catalog's latest version (cached; unknown: as stored)."""
        if self._latest is None:
            return list(items)
        out = []
        for item in items:
            usable = await self._latest(item.project, item.connector_id, timeout)  # type: ignore[misc]
            latest = getattr(usable, "latest_version", 0)
            if latest > item.latest_version:
                self._store.set_latest(item.id, latest)
                item = replace(item, latest_version=latest)
            out.append(item)
        return out

    def count_references(self, connector_id: str, limit: int) -> tuple[int, tuple[InstallationReference, ...]]:
        return self._store.count_references(connector_id, limit)

    # ---------------------------------------------------------------------------------- instances

    async def for_instance(self, project: str, *, installation_id: str, connector_id: str, connector_key: str,
                           connector_version: int, timeout: float) -> tuple[Installation, bool]:
        """The installation a new instance belongs to, and whether this call made it (automatic).

        Named: that installation (of the connector, when one is named too). Else the project's
        installation of the connector: the only one, or the only one at ``connector_version``. None, and
        the connector is the project's own: an automatic installation at its latest version. Else
        FAILED_PRECONDITION CONNECTOR_NOT_INSTALLED.
        """
        if installation_id:
            found = self._store.get(project, installation_id)
            if found.state is not InstallationState.READY:
                raise removing(found)
            if (connector_id and connector_id != found.connector_id) or (
                    connector_key and connector_key != found.connector_key):
                raise InvalidArgument.single("instance.installation_id",
                                             "the installation is of another connector than the one named")
            if connector_version and connector_version != found.connector_version:
                raise InvalidArgument.single(
                    "instance.connector_version",
                    f"the installation is at version {found.connector_version}; an instance takes its "
                    "installation's version")
            return found, False
        named = connector_id or connector_key
        candidates = self._store.for_connector(project, connector_id=connector_id, connector_key=connector_key)
        if connector_version:
            at_version = [item for item in candidates if item.connector_version == connector_version]
            if not at_version and candidates:
                raise FailedPrecondition.single(
                    "CONNECTOR_VERSION_NOT_INSTALLED", f"connectors/{named}/versions/{connector_version}",
                    f"project {project} has no installation of version {connector_version} of connector {named} "
                    f"(installed: {', '.join(str(item.connector_version) for item in candidates)})")
            candidates = at_version or candidates
        if len(candidates) == 1:
            return candidates[0], False
        if len(candidates) > 1:
            raise FailedPrecondition(
                [PreconditionViolation("INSTALLATION_AMBIGUOUS", f"projects/{project}/installations/{item.id}",
                                       f"version {item.connector_version}") for item in candidates],
                message=f"project {project} has {len(candidates)} installations of connector {named}; "
                        "name one with installation_id",
                reason="INSTALLATION_AMBIGUOUS",
            )
        usable = await self._catalog.check_connector_usable(
            connector_id=connector_id, connector_key=connector_key, project=project, version=connector_version,
            timeout=timeout)
        if usable.creator_project != project:
            raise not_installed(project, named)
        return await self._automatic(project, usable), True

    async def _automatic(self, project: str, usable: UsableConnector) -> Installation:
        """The automatic installation of the project's own connector (made now, or by a concurrent call)."""
        now = self._clock()
        made = Installation(
            id=new_id(), project=project, connector_id=usable.connector_id, connector_key=usable.connector_key,
            connector_name=usable.name, connector_version=usable.version, latest_version=usable.latest_version,
            origin=InstallationOrigin.AUTOMATIC, state=InstallationState.READY, version=1, create_time=now,
            update_time=now, created_by=SYSTEM, configuration=usable.configuration,
        )
        try:
            self._store.insert(made, record=changes.installation_created(made))
            log.info("connector %s installed automatically in its project %s", usable.connector_id, project)
            return made
        except AlreadyExists:  # a concurrent create made it
            for item in self._store.for_connector(project, connector_id=usable.connector_id):
                if item.connector_version == usable.version:
                    return item
            raise

    def confirm_for_instance(self, installation: Installation) -> None:
        """After the PENDING instance is committed: the installation is still READY (uninstall protocol)."""
        state = self._store.state_of(installation.id)
        if state is not InstallationState.READY:
            raise removing(installation)

    def drop_if_unused_automatic(self, project: str, installation_id: str) -> bool:
        """Remove an unmodified automatic installation without instances (after its last instance went)."""
        try:
            found = self._store.get(project, installation_id)
        except NotFound:
            return False
        if found.origin is not InstallationOrigin.AUTOMATIC or found.modified:
            return False
        try:
            self._remove(project, found, None)
        except PlugboardError:
            return False
        return True

    # ----------------------------------------------------------------------------------- removal

    def uninstall(self, project: str, installation_id: str, expected_version: int) -> None:
        v = Validator()
        check_project(v, project)
        v.check_not_empty(installation_id, "id")
        v.check_max_length(installation_id, "id", TEXT_MAX)
        v.require(expected_version >= 0, "version", "must be 0 (no check) or the expected version")
        v.raise_if_any()
        found = self._store.get(project, installation_id)
        self._remove(project, found, expected_version or None)

    def _remove(self, project: str, installation: Installation, expected_version: int | None) -> None:
        """The uninstall protocol: REMOVING first, then count the instances (PENDING ones too)."""
        marked = self._store.begin_removal(project, installation.id, expected_version, self._clock())
        try:
            total, refs = self._store.instances_of(installation.id, INSTANCE_LIMIT)
        except BaseException:
            self._store.cancel_removal(installation.id)
            raise
        if total:
            self._store.cancel_removal(installation.id)
            raise has_instances(marked, total, refs)
        if not self._store.complete_removal(installation.id, changes.installation_removed(marked)):  # an instance came after the count
            self._store.cancel_removal(installation.id)
            total, refs = self._store.instances_of(installation.id, INSTANCE_LIMIT)
            raise has_instances(marked, max(total, 1), refs)

    # -------------------------------------------------------------------------------- reconciler

    def reconcile(self) -> int:
        """PENDING installations older than the bound are removed, REMOVING ones reverted, and unmodified
        automatic ones without instances removed; the number of rows changed."""
        older = self._clock() - self._pending_stale
        pending, removing_ids = self._store.stale(older)
        for installation_id in pending:
            self._store.discard_pending(installation_id)
        for installation_id in removing_ids:
            self._store.cancel_removal(installation_id)
        dropped = 0
        for project, installation_id in self._store.empty_automatic(older):
            dropped += self.drop_if_unused_automatic(project, installation_id)
        changed = len(pending) + len(removing_ids) + dropped
        if changed:
            log.info("installations reconciled: %d pending removed, %d removals reverted, %d unused automatic "
                     "removed", len(pending), len(removing_ids), dropped)
        return changed


def removing(installation: Installation) -> FailedPrecondition:
    return FailedPrecondition.single(
        "INSTALLATION_REMOVING", f"projects/{installation.project}/installations/{installation.id}",
        "the installation is being removed")
