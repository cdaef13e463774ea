"""Moving installations and their instances between versions (issue 16, point 4), and the automatic
update of a project's own connectors.

Every move validates each instance's variables against the target version (``versions.revalidate``) and
keeps secrets bound to their destination (``binding``: an instance whose stored secrets would go to
another origin cannot move without re-entering them). A move is all or nothing: when an instance would
fail and the caller did not ask to skip the failing ones, nothing changes. The installation and every
instance that moves are written in one transaction, each compare-and-swapped on its version.

- ``update``: UpdateInstallation. An unmodified installation moves in place with its instances; a
  modified one needs a mode: OVERWRITE (in place; its customisation is dropped) or ALONGSIDE (a second
  installation at the new version; no instance moves). With ``skip_failing``, the instances that cannot
  move stay on the old version: for an in-place update on a new installation at the old version, with
  the old customisation. A dry run lists per instance what would happen and changes nothing.
- ``move``: MoveInstances, to another of the project's installations of the same connector.
- ``follow``: an unmodified automatic installation (the project's own connector) takes each newer
  version its builder publishes, with every instance, when all of them validate; otherwise it stays and
  the failing instances carry the reasons in ``blocked_reasons`` (seed 001: "if you update an installed
  connector, that update is applied to all associated instances automatically").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from plugboard import history
from plugboard.history import Record
from plugboard.errors import (
    ConcurrentModification,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PlugboardError,
    PreconditionViolation,
    Validator,
)

from . import changes
from .binding import secrets_to_resupply
from .installation_model import (
    Actor,
    AvailableUpdate,
    Installation,
    InstallationOrigin,
    InstallationState,
    MoveResult,
)
from .model import Configuration, Instance, UsableConnector, VersionPolicy
from .validation import TEXT_MAX, check_project
from .variables import new_id
from .versions import revalidate

log = logging.getLogger(__name__)

OVERWRITE = "OVERWRITE"
ALONGSIDE = "ALONGSIDE"
MOVE_MAX = 1000


class MoveStore(Protocol):
    """What moves need from the two repositories."""

    def instances_in(self, project: str, installation_id: str) -> list[Instance]: ...
    def instances_by_id(self, project: str, instance_ids: Sequence[str]) -> list[Instance]: ...
    def apply_move(self, current: Installation | None, changed: Installation | None,
                   moves: Sequence[tuple[Instance, Instance]], created: Installation | None = None,
                   records: Sequence[Record] = ()) -> None: ...
    def set_blocked(self, instance_id: str, latest_version: int, blocked: tuple[str, ...]) -> None: ...


def effective_configuration(installation: Installation, published: Configuration | None) -> Configuration | None:
    """The configuration keys instances of the installation are validated against: the published ones
    with the installation's customisation applied (defaults, descriptions, extra optional keys)."""
    from .customising import customised_configuration

    return customised_configuration(published, installation.customisation)


class Updates:
    """UpdateInstallation, MoveInstances and the automatic update of own connectors."""

    def __init__(self, installations, store: MoveStore, catalog, *,  # type: ignore[no-untyped-def]
                 clock: Callable[[], datetime]) -> None:
        self._installations = installations  # installations.InstallationStore
        self._store = store
        self._catalog = catalog
        self._clock = clock

    def _apply(self, current: Installation | None, changed: Installation | None,
               moves: Sequence[tuple[Instance, Instance]], created: Installation | None = None,
               name: str = "updateInstallation") -> None:
        """The writes of an update or a move with their change records (``changes``), in one transaction."""
        records = []
        if current is not None and changed is not None:
            records.append(changes.installation_updated(current, changed, name))
        if created is not None:
            records.append(changes.installation_created(created))
        records += [changes.instance_moved(before, after) for before, after in moves]
        self._store.apply_move(current, changed, moves, created=created, records=records)

    # ------------------------------------------------------------------------------------ planning

    async def _version(self, installation: Installation, number: int, timeout: float) -> UsableConnector:
        return await self._catalog.check_connector_usable(
            connector_id=installation.connector_id, connector_key="", project=installation.project, version=number,
            timeout=timeout, existing_use=True)

    def plan(self, instances: Sequence[Instance], source: UsableConnector | None, target: UsableConnector,
             configuration: Configuration | None, now: datetime,
             installation_id: str) -> list[tuple[Instance, Instance | None, MoveResult]]:
        """Per instance: the instance, the instance as it would be on ``target`` (None when it cannot
        move), and the result."""
        out = []
        config = configuration if configuration is not None else Configuration()
        for instance in instances:
            variables, problems = revalidate(instance, config, target.version, now)
            if not problems and source is not None and any(v.secret and v.value_set for v in instance.variables):
                missing, why = secrets_to_resupply(
                    before=source.connection, after=target.connection, old_variables=instance.variables,
                    new_variables=variables, changed=set(), supplied=set(), version=target.version)
                if missing:
                    problems = (f"{why}: re-enter the secret{'s' if len(missing) > 1 else ''} "
                                f"{', '.join(missing)} with an upgrade of this instance",)
            moved = None
            if not problems:
                moved = replace(instance, connector_version=target.version, configuration=configuration,
                                latest_version=max(target.latest_version, target.version), variables=variables,
                                blocked_reasons=(), update_time=now, installation_id=installation_id)
            out.append((instance, moved, MoveResult(instance.id, instance.name, instance.connector_version,
                                                    target.version, moved is not None, tuple(problems))))
        return out

    async def available_update(self, installation: Installation, latest: UsableConnector | None,
                               timeout: float) -> AvailableUpdate | None:
        """What the latest version changes for the installation, and how many instances would fail."""
        if latest is None or latest.version <= installation.connector_version:
            return None
        before = {item.key: item for item in (installation.configuration or Configuration()).keys}
        after = {item.key: item for item in latest.configuration.keys}
        added = tuple(sorted(set(after) - set(before)))
        removed = tuple(sorted(set(before) - set(after)))
        now_required = tuple(sorted(key for key, item in after.items()
                                    if item.required and (key not in before or not before[key].required)))
        instances = self._store.instances_in(installation.project, installation.id)
        failing = 0
        if instances:
            source = await self._version(installation, installation.connector_version, timeout)
            # Against the new version as published: what an update in place (or OVERWRITE) would do.
            configuration = latest.configuration
            failing = sum(1 for _, moved, _ in self.plan(instances, source, latest, configuration, self._clock(),
                                                         installation.id) if moved is None)
        return AvailableUpdate(version=latest.version, added_keys=added, removed_keys=removed,
                               now_required_keys=now_required, failing_instance_count=failing)

    # -------------------------------------------------------------------------------------- update

    async def update(self, project: str, installation_id: str, *, expected_version: int = 0,
                     target_version: int = 0, mode: str = "", dry_run: bool = False, skip_failing: bool = False,
                     actor: Actor | None = None, timeout: float) -> tuple[Installation, tuple[MoveResult, ...], int]:
        v = Validator()
        check_project(v, project)
        v.check_not_empty(installation_id, "id")
        v.check_max_length(installation_id, "id", TEXT_MAX)
        v.require(expected_version >= 0, "version", "must be 0 (the current one) or the expected version")
        v.require(target_version >= 0, "target_version", "must be 0 (the latest) or a version number")
        v.raise_if_any()
        current = self._installations.get(project, installation_id)
        if current.state is not InstallationState.READY:
            raise FailedPrecondition.single("INSTALLATION_REMOVING", f"projects/{project}/installations/{current.id}",
                                            "the installation is being removed")
        if expected_version and current.version != expected_version:
            raise ConcurrentModification(expected_version, current.version)
        target = await self._version(current, target_version, timeout)
        if target.version <= current.connector_version:
            raise FailedPrecondition.single(
                "NO_NEWER_VERSION", f"projects/{project}/installations/{current.id}",
                f"the installation is at version {current.connector_version}; version {target.version} is not newer")
        if current.modified and mode not in (OVERWRITE, ALONGSIDE):
            raise FailedPrecondition.single(
                "UPDATE_MODE_REQUIRED", f"projects/{project}/installations/{current.id}",
                f"the installation is modified (revision {current.revision}): choose OVERWRITE (drops the "
                "modifications) or ALONGSIDE (a second installation at the new version)")
        now = self._clock()
        if mode == ALONGSIDE:
            created = replace(
                current, id=new_id(), connector_version=target.version, connector_name=target.name or current.connector_name,
                latest_version=target.latest_version, origin=InstallationOrigin.UPDATE, slot="",
                version=1, revision=0, customisation=None, configuration=target.configuration,
                created_by=actor or Actor(project=project), modified_by=None, modify_time=None, create_time=now,
                update_time=now, instance_count=0, available_update=None)
            if not dry_run:
                self._apply(None, None, (), created=created)
            return (current if dry_run else created), (), target.version
        source = await self._version(current, current.connector_version, timeout)
        configuration = target.configuration  # OVERWRITE and unmodified: the published version as it is
        instances = self._store.instances_in(project, current.id)
        planned = self.plan(instances, source, target, configuration, now, current.id)
        results = tuple(result for _, _, result in planned)
        failing = [result for result in results if not result.moved]
        if dry_run:  # changes nothing and lists, per instance, what would fail
            return current, results, target.version
        if failing and not skip_failing:
            raise would_fail(failing, target.version)
        changed = replace(current, connector_version=target.version, connector_name=target.name or current.connector_name,
                          latest_version=max(target.latest_version, target.version), revision=0, customisation=None,
                          configuration=target.configuration, modified_by=None, modify_time=None, update_time=now)
        kept = None
        moves = [(before, after) for before, after, _ in planned if after is not None]
        if failing:  # they stay on the old version, in an installation of their own
            kept = replace(current, id=new_id(), origin=InstallationOrigin.UPDATE, slot="", version=1,
                           create_time=now, update_time=now, instance_count=0)
            moves += [(before, replace(before, installation_id=kept.id, update_time=now))
                      for before, after, _ in planned if after is None]
        try:
            self._apply(current, changed, moves, created=kept)
        except ConcurrentModification:
            raise
        log.info("installation %s of connector %s updated from version %d to %d", current.id, current.connector_id,
                 current.connector_version, target.version)
        return self._installations.get(project, current.id), results, target.version

    # ---------------------------------------------------------------------------------------- move

    async def move(self, project: str, installation_id: str, *, instance_ids: Sequence[str] = (),
                   from_installation_id: str = "", dry_run: bool = False, skip_failing: bool = False,
                   timeout: float) -> tuple[MoveResult, ...]:
        v = Validator()
        check_project(v, project)
        v.check_not_empty(installation_id, "installation_id")
        if bool(instance_ids) == bool(from_installation_id):
            v.add("instance_ids", "give exactly one of instance_ids and from_installation_id")
        v.require(len(instance_ids) <= MOVE_MAX, "instance_ids", f"at most {MOVE_MAX} instances")
        for index, item in enumerate(instance_ids[:MOVE_MAX]):
            v.require(bool(item) and len(item) <= TEXT_MAX, f"instance_ids[{index}]", "must be an instance id")
        v.raise_if_any()
        target_installation = self._installations.get(project, installation_id)
        if target_installation.state is not InstallationState.READY:
            raise FailedPrecondition.single("INSTALLATION_REMOVING",
                                            f"projects/{project}/installations/{installation_id}",
                                            "the installation is being removed")
        if from_installation_id:
            source_installation = self._installations.get(project, from_installation_id)
            if source_installation.connector_id != target_installation.connector_id:
                raise other_connector(from_installation_id)
            instances = self._store.instances_in(project, from_installation_id)
        else:
            instances = self._store.instances_by_id(project, list(dict.fromkeys(instance_ids)))
            found = {item.id for item in instances}
            missing = [item for item in instance_ids if item not in found]
            if missing:
                raise NotFound("instance", missing[0], message=f"instance {missing[0]!r} not found")
            for item in instances:
                if item.connector_id != target_installation.connector_id:
                    raise other_connector(item.id)
        target = await self._version(target_installation, target_installation.connector_version, timeout)
        configuration = effective_configuration(target_installation, target.configuration)
        now = self._clock()
        planned = []
        sources: dict[int, UsableConnector] = {}
        for instance in instances:
            if instance.installation_id == target_installation.id:
                planned.append((instance, None, MoveResult(instance.id, instance.name, instance.connector_version,
                                                           target.version, False,
                                                           ("the instance is in this installation already",))))
                continue
            if instance.connector_version not in sources:
                sources[instance.connector_version] = await self._version(target_installation,
                                                                          instance.connector_version, timeout)
            planned += self.plan([instance], sources[instance.connector_version], target, configuration, now,
                                 target_installation.id)
        results = tuple(result for _, _, result in planned)
        failing = [result for result in results if not result.moved]
        if failing and not skip_failing and not dry_run:
            raise would_fail(failing, target.version)
        if not dry_run:
            self._apply(None, None, [(before, after) for before, after, _ in planned if after is not None])
        return results

    # -------------------------------------------------------------------------------------- follow

    async def follow(self, installation: Installation, latest: UsableConnector) -> bool:
        """An unmodified automatic installation takes ``latest`` with all its instances when all of them
        validate; else the failing ones are flagged. True when it moved or flagged an instance."""
        if installation.origin is not InstallationOrigin.AUTOMATIC or installation.modified \
                or latest.version <= installation.connector_version or installation.state is not InstallationState.READY:
            return False
        try:
            source = await self._version(installation, installation.connector_version, 1.0)
        except PlugboardError:
            return False
        now = self._clock()
        instances = self._store.instances_in(installation.project, installation.id)
        planned = self.plan(instances, source, latest, latest.configuration, now, installation.id)
        failing = [(before, result) for before, after, result in planned if after is None]
        if failing:
            flagged = False
            for before, result in failing:
                if before.blocked_reasons != result.problems or before.latest_version != latest.version:
                    self._store.set_blocked(before.id, latest.version, result.problems)
                    flagged = True
            return flagged  # the instances are read again when a flag changed
        changed = replace(installation, connector_version=latest.version, connector_name=latest.name or installation.connector_name,
                          latest_version=latest.version, configuration=latest.configuration, update_time=now)
        try:
            # The version follower records itself, on behalf of the caller whose read triggered it.
            with history.acting_as(history.system(changes.VERSION_FOLLOWER, on_behalf_of=history.current())):
                self._apply(installation, changed, [(before, after) for before, after, _ in planned
                                                    if after is not None], name="followConnector")
        except (ConcurrentModification, NotFound):
            return False  # changed meanwhile: the next read follows again
        log.info("automatic installation %s followed connector %s to version %d", installation.id,
                 installation.connector_id, latest.version)
        return True


class Placement:
    """Where UpgradeInstance puts an instance it moves, now that its version is its installation's."""

    def __init__(self, updates: "Updates") -> None:
        self._updates = updates

    def place(self, instance: Instance, changed: Instance, target: UsableConnector, *, dry_run: bool) -> tuple[str, ...]:
        """Write ``changed`` (the instance on ``target.version``) into the right installation: its own when
        it is at that version; else the project's installation of that version; else its own, moved in
        place, when the instance is its only one and it is unmodified. The problems when none fits (and
        nothing is written); nothing is written on a dry run."""
        updates = self._updates
        there = [item for item in updates._installations.for_connector(instance.project, connector_id=instance.connector_id)
                 if item.connector_version == target.version]
        if not instance.installation_id:
            # A preview's instance (it belongs to no installation) leaves the preview into the project's
            # installation of the published version.
            if instance.version_policy is VersionPolicy.PREVIEW and there:
                if not dry_run:
                    updates._apply(None, None, [(instance, replace(changed, installation_id=there[0].id))])
                return ()
            if instance.version_policy is VersionPolicy.PREVIEW:
                return (f"version {target.version} is not installed in this project: install it (InstallConnector), "
                        "then move the preview's instance to it",)
            return ("the instance belongs to no installation",)  # a PENDING row older than installations
        current = updates._installations.get(instance.project, instance.installation_id)
        if current.connector_version == target.version:
            if not dry_run:
                updates._apply(None, None, [(instance, changed)])
            return ()
        if there:
            if not dry_run:
                updates._apply(None, None, [(instance, replace(changed, installation_id=there[0].id))])
            return ()
        others = [item for item in updates._store.instances_in(instance.project, current.id) if item.id != instance.id]
        if not others and not current.modified:
            if not dry_run:
                now = updates._clock()
                moved = replace(current, connector_version=target.version, connector_name=target.name or current.connector_name,
                                latest_version=max(target.latest_version, target.version),
                                configuration=target.configuration, update_time=now)
                updates._apply(current, moved, [(instance, changed)])
            return ()
        return (f"version {target.version} is not installed and the instance shares installation {current.id} "
                "with other instances (or it is modified): update the installation (UpdateInstallation) or "
                "install the version alongside and move the instance (MoveInstances)",)

    async def upgrade_connector(self, project: str, connector_id: str, target: UsableConnector, *, dry_run: bool,
                                timeout: float) -> list[MoveResult]:
        """Every installation of the connector in the project to ``target``: unmodified ones in place with
        the instances that validate (the others stay on the old version); modified ones are left, each of
        their instances with the reason."""
        updates = self._updates
        results: list[MoveResult] = []
        for installation in updates._installations.for_connector(project, connector_id=connector_id):
            if installation.connector_version == target.version:
                results += [MoveResult(item.id, item.name, item.connector_version, target.version, False)
                            for item in updates._store.instances_in(project, installation.id)]
                continue
            if installation.modified:
                results += [MoveResult(item.id, item.name, item.connector_version, target.version, False,
                                       (f"installation {installation.id} is modified: update it with "
                                        "UpdateInstallation OVERWRITE or ALONGSIDE",))
                            for item in updates._store.instances_in(project, installation.id)]
                continue
            try:
                _, moved, _ = await updates.update(project, installation.id, target_version=target.version,
                                                   dry_run=dry_run, skip_failing=True, timeout=timeout)
            except FailedPrecondition as exc:
                if exc.reason != "NO_NEWER_VERSION":
                    raise
                moved = await updates.move(project, installation.id, from_installation_id=installation.id,
                                           dry_run=True, skip_failing=True, timeout=timeout)
                moved = tuple(replace(item, moved=False, problems=(
                    f"version {target.version} is older than the installation's: UpgradeInstance moves one "
                    "instance, MoveInstances several",)) for item in moved)
            except PlugboardError as exc:
                if exc.reason != "INSTALLATION_ALREADY_EXISTS":
                    raise
                there = [item for item in updates._installations.for_connector(project, connector_id=connector_id)
                         if item.connector_version == target.version]
                moved = await updates.move(project, there[0].id, from_installation_id=installation.id,
                                           dry_run=dry_run, skip_failing=True, timeout=timeout)
            results += list(moved)
        return results


def would_fail(failing: Sequence[MoveResult], version: int) -> FailedPrecondition:
    count = len(failing)
    return FailedPrecondition(
        [PreconditionViolation("INSTANCE_WOULD_FAIL", f"instances/{item.instance_id}",
                               f"instance {item.instance_name!r}: {'; '.join(item.problems)}") for item in failing[:100]],
        message=f"{count} instance{'s' if count != 1 else ''} would fail validation against version {version} "
                f"({', '.join(repr(item.instance_name) for item in failing[:3])}"
                f"{f' and {count - 3} more' if count > 3 else ''}); nothing was changed. Fix them, or ask to skip "
                "the failing instances",
        reason="INSTANCES_WOULD_FAIL", metadata={"failing_instance_count": count, "version": version},
    )


def other_connector(resource: str) -> FailedPrecondition:
    return FailedPrecondition.single("OTHER_CONNECTOR", resource,
                                     "instances move only between installations of the same connector")


__all__ = ["ALONGSIDE", "OVERWRITE", "Updates", "effective_configuration", "would_fail", "InvalidArgument"]
