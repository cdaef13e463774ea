"""The instance use cases, including the create protocol of DESIGN.md.

``Instances`` depends on two ports, both plain Python interfaces: ``InstanceStore`` (the repository in
``instance_service.storage``) and ``CatalogPort`` (the catalog client in ``instance_service.transport``).

Create protocol (no orphaned instances, ever):

1. Validate the request; nothing is written when it is wrong.
2. A replay of the project's request_id returns the first instance (waiting while it is still PENDING).
3. A create by connector key first asks the catalog for the connector's id, so that the PENDING row
   names the connector id the gateway's reference count looks for.
4. Commit the instance as PENDING together with its request id (the unique constraint decides between
   concurrent replays).
5. Ask the catalog whether the connector is ACTIVE, published and visible to the project; it answers with
   the version's specification. Validate the variables against it and encrypt the secrets.
6. Mark the instance READY with its variables. On any failure in 5-6 (catalog refusal or outage, bad
   variables, cancellation), remove the PENDING row and its request id, then raise.

A PENDING row left by a crash is removed by ``remove_stale_pending`` (the reconciler), once older than
``pending_stale_seconds``; a create never waits on the catalog longer than half that bound, so the
reconciler never removes a row whose create is still running.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Protocol

from plugboard.errors import (
    Aborted,
    AlreadyExists,
    ConcurrentModification,
    DeadlineExceeded,
    FailedPrecondition,
    NotFound,
    Validator,
)
from plugboard.history import Record
from plugboard.page import Page

from . import changes
from .customising import customised_configuration as _customised
from .installation_model import InstallationOrigin
from .binding import changed_keys, require_resupplied, supplied_keys
from .listing import ListQuery, reference_limit
from .model import Instance, InstanceDraft, InstanceState, References, UsableConnector, VersionPolicy, catalog_use
from .secrets import Keyring
from .updates import InstancePatch, update_violations
from .validation import TEXT_MAX, check_project, effective_policy, resolve_variables, validate_draft
from .variables import merge_variables, new_id, seal_all

if TYPE_CHECKING:  # pragma: no cover
    from .installation_model import Installation
    from .installations import Installations
    from .updating import Updates
    from .versions import Follower

log = logging.getLogger(__name__)

def effective_configuration(installation: "Installation", published):  # type: ignore[no-untyped-def]
    return _customised(published, installation.customisation)


# Compare-and-swap attempts of an update without an expected version before it answers ABORTED.
UNCONDITIONAL_ATTEMPTS = 5


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class CatalogPort(Protocol):
    """What the instance service asks the catalog."""

    async def check_connector_usable(
        self, *, connector_id: str, connector_key: str, project: str, version: int, timeout: float,
        existing_use: bool = False, preview: bool = False,
    ) -> UsableConnector:
        """The connector is ACTIVE, published and visible to the project: its version and configuration.
        ``existing_use``: the project has an instance of it (``model.catalog_use``); ``preview``: the
        connector's preview (version a preview number) rather than a published version.

        Raises NotFound, FailedPrecondition or InvalidArgument as the catalog said, Unavailable when the
        catalog cannot be reached, DeadlineExceeded when ``timeout`` passes.
        """
        ...


class InstanceStore(Protocol):
    """The repository (see instance_service.storage.repository.InstanceRepository)."""

    def insert_pending(self, instance: Instance, request_id: str) -> bool: ...
    def find_by_request(self, project: str, request_id: str) -> Instance | None: ...
    def mark_ready(self, instance: Instance, record: Record | None = None) -> Instance: ...
    def discard_pending(self, instance_id: str) -> None: ...
    def get(self, project: str, instance_id: str) -> Instance: ...
    def list(self, query: ListQuery) -> Page: ...
    def update(self, current: Instance, changed: Instance, variables_changed: bool,
               record: Record | None = None) -> Instance: ...
    def delete(self, project: str, instance_id: str, expected_version: int | None,
               record: Callable[[Instance], Record] | None = None) -> None: ...
    def count_references(self, connector_id: str, limit: int) -> References: ...
    def remove_stale_pending(self, older_than: datetime) -> int: ...


class Instances:
    """Instance use cases. Storage calls are synchronous (fast local database, no await inside)."""

    def __init__(
        self,
        store: InstanceStore,
        catalog: CatalogPort,
        keyring: Keyring,
        *,
        pending_stale_seconds: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
        follower: "Follower | None" = None,
        installations: "Installations | None" = None,
        updates: "Updates | None" = None,
    ) -> None:
        self._installations = installations
        self._updates = updates
        self._follower = follower
        self._store = store
        self._catalog = catalog
        self._keyring = keyring
        self._pending_stale = timedelta(seconds=pending_stale_seconds)
        # A create gives up on the catalog well before the reconciler may remove its PENDING row.
        self._max_create_seconds = max(pending_stale_seconds / 2, 0.1)
        self._clock = clock
        self._monotonic = monotonic

    # ------------------------------------------------------------------------------------ create

    async def create(self, project: str, draft: InstanceDraft, request_id: str, *, timeout: float) -> Instance:
        """Create an instance (steps in the module docstring); ``timeout`` is the caller's remaining time.

        An installation chosen by connector that is being removed meanwhile (the automatic installation
        of the project's own connector, going with its last instance) is chosen again once the removal
        is decided: the create then takes the installation that stays, or makes a new automatic one, or
        fails CONNECTOR_NOT_INSTALLED."""
        give_up = self._monotonic() + min(timeout, self._max_create_seconds)
        while True:
            try:
                return await self._create(project, draft, request_id,
                                          timeout=max(give_up - self._monotonic(), 0.0))
            except (FailedPrecondition, AlreadyExists) as exc:
                retry = (exc.reason == "INSTALLATION_ALREADY_EXISTS"  # only the automatic install inserts one
                         or (exc.reason == "INSTALLATION_REMOVING" and not draft.installation_id))
                if not retry or self._monotonic() + 0.02 >= give_up:
                    raise
            await asyncio.sleep(0.02)

    async def _create(self, project: str, draft: InstanceDraft, request_id: str, *, timeout: float) -> Instance:
        validate_draft(project, draft)
        v = Validator()
        v.check_max_length(request_id, "request_id", TEXT_MAX)
        v.raise_if_any()
        deadline = self._monotonic() + min(timeout, self._max_create_seconds)

        while True:
            if self._monotonic() >= deadline:
                raise DeadlineExceeded("the deadline passed before the instance could be created")
            if request_id:
                first = await self._replayed(project, request_id, deadline)
                if first is not None:
                    return first
            installation: "Installation | None" = None
            automatic = False
            connector_id, connector_key, version = draft.connector_id, draft.connector_key, draft.connector_version
            preview = draft.version_policy is VersionPolicy.PREVIEW
            if self._installations is not None and not preview:
                # Step 3: the installation the instance belongs to (a preview's instance belongs to none: it
                # follows the connector's granted preview, for the creator and privateProjects only) (made now for the project's own
                # connector); it decides the connector id and the version. Nothing of the instance yet.
                installation, automatic = await self._installations.for_instance(
                    project, installation_id=draft.installation_id, connector_id=draft.connector_id,
                    connector_key=draft.connector_key, connector_version=draft.connector_version,
                    timeout=max(deadline - self._monotonic(), 0.0))
                if not automatic and installation.origin is InstallationOrigin.AUTOMATIC and not draft.connector_version:
                    # The project's own connector: its installation takes the newer version first.
                    if await self._follow_installations([installation], max(deadline - self._monotonic(), 0.0)):
                        installation = self._installations.store.get(project, installation.id)
                connector_id, connector_key = installation.connector_id, installation.connector_key
                version = installation.connector_version
            elif not connector_id:
                # Step 3: resolve the key before writing the intent record (nothing written yet).
                resolved = await self._check(project, "", draft.connector_key, draft.connector_version, deadline,
                                             preview=draft.version_policy is VersionPolicy.PREVIEW)
                connector_id = resolved.connector_id
            now = self._clock()
            pending = Instance(
                id=new_id(), project=project, name=draft.name, connector_id=connector_id,
                connector_key=connector_key, connector_version=version,
                version_policy=effective_policy(draft), timezone=draft.timezone,
                date_format=draft.date_format, rate_limit_unit=draft.rate_limit_unit,
                rate_limit_duration=draft.rate_limit_duration, state=InstanceState.PENDING, version=1,
                create_time=now, update_time=now, connection_pool_id=draft.connection_pool_id,
                certificate_id=draft.certificate_id, platform_app_key=draft.platform_app_key,
                session_id=draft.session_id, type=draft.type,
                installation_id=installation.id if installation is not None else "",
            )
            if self._store.insert_pending(pending, request_id):
                break
            if automatic and installation is not None:
                self._installations.drop_if_unused_automatic(project, installation.id)  # type: ignore[union-attr]
            # Another call with the same request id won the unique constraint: return its result, or try
            # again if it failed and removed itself meanwhile.
        try:
            if installation is not None:  # the uninstall protocol: our intent is written, read theirs
                self._installations.confirm_for_instance(installation)  # type: ignore[union-attr]
            # An instance of an installation the project already has is a use of a deployed connector: it
            # keeps resolving the installed version whatever unlisting or privacy did since (seed 002, Unlist).
            usable = await self._check(project, connector_id, "", version, deadline, preview=preview,
                                       existing_use=installation is not None and not automatic)
            configuration = usable.configuration
            if installation is not None:  # the installation's customisation (defaults, extra keys) applies
                configuration = effective_configuration(installation, configuration) or configuration
            resolved_vars = resolve_variables(draft.variables, configuration, version=usable.version)
            now = self._clock()
            ready = replace(
                pending,
                connector_id=usable.connector_id,
                connector_key=usable.connector_key,
                connector_version=usable.version,
                latest_version=usable.latest_version,
                configuration=configuration,
                state=InstanceState.READY,
                update_time=now,
                variables=seal_all(self._keyring, project, pending.id, resolved_vars, now),
            )
            return self._store.mark_ready(ready, changes.created(ready))
        except BaseException:
            self._discard(pending.id)
            if automatic and installation is not None:
                self._installations.drop_if_unused_automatic(project, installation.id)  # type: ignore[union-attr]
            raise

    def _discard(self, instance_id: str) -> None:
        try:
            self._store.discard_pending(instance_id)
        except Exception as exc:  # the reconciler removes it later; the caller gets the original error
            log.warning("could not remove pending instance %s (%s); the reconciler will", instance_id,
                        type(exc).__name__)

    async def _replayed(self, project: str, request_id: str, deadline: float) -> Instance | None:
        """The instance a request id created; waits while it is PENDING; None when there is none."""
        while True:
            first = self._store.find_by_request(project, request_id)
            if first is None or first.state is InstanceState.READY:
                return first
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                raise Aborted(
                    "a create with this request_id is still in progress; retry later",
                    reason="REQUEST_IN_PROGRESS", metadata={"request_id": request_id},
                )
            await asyncio.sleep(min(0.05, remaining))

    async def _check(
        self, project: str, connector_id: str, connector_key: str, version: int, deadline: float,
        preview: bool = False, existing_use: bool = False,
    ) -> UsableConnector:
        remaining = deadline - self._monotonic()
        if remaining <= 0:
            raise DeadlineExceeded("the deadline passed before the catalog could confirm the connector")
        return await self._catalog.check_connector_usable(
            connector_id=connector_id, connector_key=connector_key, project=project, version=version,
            timeout=remaining, preview=preview, existing_use=existing_use,
        )

    # -------------------------------------------------------------------------------------- read

    def get(self, project: str, instance_id: str) -> Instance:
        v = Validator()
        check_project(v, project)
        v.check_not_empty(instance_id, "id")
        v.raise_if_any()
        return self._store.get(project, instance_id)

    async def read(self, project: str, instance_id: str, *, timeout: float) -> Instance:
        """GetInstance: the instance after following its connector's latest version (versions.py)."""
        instance = self.get(project, instance_id)
        if self._follower is None:
            return instance
        if await self._follow_installations([instance], timeout):
            instance = self.get(project, instance_id)
        return (await self._follower.refresh([instance], timeout))[0]

    async def read_page(self, query: ListQuery, *, timeout: float) -> Page:
        """ListInstances: one page, each instance after following (versions.py)."""
        page = self._store.list(query)
        if self._follower is None or not page.items:
            return page
        if await self._follow_installations(page.items, timeout):
            page = self._store.list(query)
        return replace(page, items=tuple(await self._follower.refresh(page.items, timeout)))

    async def _follow_installations(self, instances: "Sequence[Instance | Installation]", timeout: float) -> bool:
        """Automatic installations of the instances (or the installations given) take their connector's
        newer version (``updating.Updates.follow``); True when one moved (the instances are read again)."""
        if self._updates is None or self._installations is None or self._follower is None:
            return False
        moved, seen = False, set()
        for instance in instances:
            installation_id = getattr(instance, "installation_id", None)
            if installation_id is None:  # an Installation
                installation_id = instance.id
            if not installation_id or installation_id in seen:
                continue
            seen.add(installation_id)
            usable = await self._follower.latest(instance.project, instance.connector_id, timeout)
            if usable is None or usable.version != usable.latest_version \
                    or usable.latest_version <= instance.connector_version:
                continue
            try:
                installation = self._installations.store.get(instance.project, installation_id)
            except NotFound:
                continue
            moved = await self._updates.follow(installation, usable) or moved
        return moved

    def count_references(self, connector_id: str, limit: int) -> References:
        return self._store.count_references(connector_id, reference_limit(connector_id, limit))

    # ------------------------------------------------------------------------------------ update

    async def update(self, project: str, instance_id: str, expected_version: int, patch: InstancePatch, *,
                     timeout: float = 10.0) -> Instance:
        """Apply ``patch`` if the instance is still at ``expected_version`` (ABORTED otherwise); with
        ``expected_version`` 0, to the instance as it is: read, patch and compare-and-swap, read again
        when another update won the race (at most ``UNCONDITIONAL_ATTEMPTS`` times, then ABORTED).

        Bad input is reported at once: the request's own problems together with those found against
        the stored instance (locked values, keys unknown to its connector version). A change of a
        variable that decides where the connection goes must re-supply the connection's secrets
        (``binding``; FAILED_PRECONDITION SECRETS_MUST_BE_RESUPPLIED): the version's connection section
        is asked of the catalog then, and only then (a value changed while secrets are stored).
        """
        if expected_version != 0:
            return await self._update_at(project, instance_id, expected_version, patch, conditional=True,
                                         timeout=timeout)
        for attempt in range(UNCONDITIONAL_ATTEMPTS):
            try:
                return await self._update_at(project, instance_id, 0, patch, conditional=False, timeout=timeout)
            except ConcurrentModification:
                if attempt == UNCONDITIONAL_ATTEMPTS - 1:
                    raise
        raise AssertionError("not reached")

    async def _update_at(self, project: str, instance_id: str, expected_version: int, patch: InstancePatch, *,
                         conditional: bool, timeout: float) -> Instance:
        v = update_violations(project, instance_id, expected_version, patch)
        if not project or not instance_id or expected_version < 0:
            v.raise_if_any()
        try:
            current = self._store.get(project, instance_id)
        except NotFound:
            v.raise_if_any()
            raise
        if conditional and current.version != expected_version:
            v.raise_if_any()
            raise ConcurrentModification(expected_version, current.version)
        now = self._clock()
        variables = None
        if patch.variables is not None:
            variables = merge_variables(self._keyring, current, patch.variables, now, validator=v,
                                        explicit=patch.variable_fields)
        if "version_policy" in patch.fields and (current.version_policy is VersionPolicy.PREVIEW) != (
                patch.fields["version_policy"] is VersionPolicy.PREVIEW):
            v.add("instance.version_policy", "an instance is created on a preview (PREVIEW) and leaves it with "
                  "UpgradeInstance; an update cannot switch to or from PREVIEW")
        v.raise_if_any()
        if patch.is_empty:
            return current
        changed_values = changed_keys(current, patch.variables or (), variables or ())
        if changed_values and any(item.secret and item.value_set for item in variables or ()):
            usable = await self._catalog.check_connector_usable(
                connector_id=current.connector_id, connector_key="", project=project,
                version=current.connector_version, timeout=timeout, **catalog_use(current),
            )
            require_resupplied(before=usable.connection, after=usable.connection, old_variables=current.variables,
                               new_variables=variables or (), changed=changed_values,
                               supplied=supplied_keys(current, patch.variables or ()))
        changed = replace(current, **dict(patch.fields), update_time=now)
        if variables is not None:
            changed = replace(changed, variables=variables)
        return self._store.update(current, changed, variables is not None, changes.updated(current, changed))

    def delete(self, project: str, instance_id: str, expected_version: int) -> None:
        v = Validator()
        check_project(v, project)
        v.check_not_empty(instance_id, "id")
        v.require(expected_version >= 0, "version", "must be 0 (no check) or the expected version")
        v.raise_if_any()
        installation_id = ""
        if self._installations is not None:
            installation_id = self._store.get(project, instance_id).installation_id
        self._store.delete(project, instance_id, expected_version or None, changes.deleted)
        if installation_id:  # an unmodified automatic installation lasts as long as its instances
            self._installations.drop_if_unused_automatic(project, installation_id)  # type: ignore[union-attr]

    # ------------------------------------------------------------------------------- reconciler

    def remove_stale_pending(self) -> int:
        """Remove PENDING instances older than the stale bound (left by crashed creates)."""
        removed = self._store.remove_stale_pending(self._clock() - self._pending_stale)
        if removed:
            log.info("removed %d stale pending instance(s)", removed)
        return removed

    def reconcile_installations(self) -> int:
        """The installations' reconciler (``Installations.reconcile``), after the instances'."""
        return self._installations.reconcile() if self._installations is not None else 0
