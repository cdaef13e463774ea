"""Connector versions: following the latest one, pinning, and explicit upgrades.

How the instance service learns of new versions: it asks the catalog (CheckConnectorUsable with
version 0, which answers the latest published version and its specification) when it reads instances
(GetInstance, ListInstances, TestInstanceConnection), at most once per (project, connector) per
``cache_seconds`` (answers and failures are both cached), with a short timeout. A published version is
immutable, so a cached answer can only be late, never wrong. When the catalog does not answer, reads show
what was last seen. Then, for each instance read:

- a following instance (FOLLOW_LATEST) behind the latest version moves to it when its variables validate
  against the new specification (its version goes up by one, as for any change); otherwise it stays,
  flagged with the reasons (``blocked_reasons``), and is evaluated again on later reads (an update of its
  variables may unblock it);
- a pinned instance stays; its ``latest_version`` tells that a newer one exists.

``UpgradeInstance`` moves one instance, or all of a project's instances of a connector, to a chosen
version after the same validation; a dry run reports and changes nothing. An instance moved to a version
older than the latest becomes PINNED unless the request says otherwise (a following one would move
straight back).

Secrets stay bound to their destination (``binding``): when the target version's connection goes to
another origin than the current one (or the request's variables change one that decides the
destination), the upgrade of one instance must re-supply, in its ``variables``, every secret the new
connection uses, or it is refused with FAILED_PRECONDITION SECRETS_MUST_BE_RESUPPLIED. A dry run and an
upgrade of all of a connector's instances (which cannot carry variables) report it as that instance's
problem instead, and leave it where it is; a following instance is not moved there by a read either
(``blocked_reasons`` says why), until an upgrade of it re-supplies its secrets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from plugboard import history
from plugboard.errors import (
    ConcurrentModification,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PlugboardError,
    Validator,
)
from plugboard.history import Record

from . import changes
from .binding import changed_keys, require_resupplied, secrets_to_resupply, supplied_keys
from .model import (
    FOLLOWING,
    Configuration,
    Instance,
    UsableConnector,
    Variable,
    VariableInput,
    VersionPolicy,
    catalog_use,
)
from .secrets import Keyring
from .validation import TEXT_MAX, check_project, check_variable_shapes
from .variables import merge_variables, new_id

log = logging.getLogger(__name__)


def revalidate(
    instance: Instance, configuration: Configuration, version: int, now: datetime
) -> tuple[tuple[Variable, ...], tuple[str, ...]]:
    """The instance's variables under another version's configuration keys, and the problems (one per
    variable) that keep it from moving there. Secrets are never decrypted: only whether they are set."""
    if configuration.is_empty:
        return instance.variables, ()
    problems: list[str] = []
    out: list[Variable] = []
    have = {item.key for item in instance.variables}
    for item in instance.variables:
        spec = configuration.get(item.key)
        if spec is None:
            problems.append(f"variable {item.key!r} is not a configuration key of version {version}")
            continue
        if spec.secret and not item.secret:  # a caller may keep any value secret, never the reverse
            problems.append(f"variable {item.key!r} is a secret in version {version}")
            continue
        if spec.required and not item.value_set:
            if not spec.secret and spec.default:
                item = replace(item, value=spec.default, value_update_time=now)
            else:
                problems.append(f"variable {item.key!r} is required by version {version} and has no value")
                continue
        out.append(replace(item, required=spec.required))
    for spec in configuration.keys:
        if spec.key in have:
            continue
        if not spec.secret and spec.default:
            out.append(Variable(id=new_id(), key=spec.key, value=spec.default, required=spec.required,
                                value_update_time=now))
        elif spec.required:
            kind = "secret" if spec.secret else "setting"
            problems.append(f"required {kind} {spec.key!r} of version {version} is missing")
    return tuple(out), tuple(problems)


def moved(instance: Instance, usable: UsableConnector, variables: tuple[Variable, ...], now: datetime,
          policy: VersionPolicy | None = None) -> Instance:
    """The instance on ``usable.version`` with its revalidated variables."""
    return replace(
        instance, connector_version=usable.version, configuration=usable.configuration,
        latest_version=max(usable.latest_version, usable.version), variables=variables, blocked_reasons=(),
        version_policy=policy or instance.version_policy, update_time=now,
    )


def _would_move(instance: Instance, usable: UsableConnector) -> bool:
    return (instance.version_policy in FOLLOWING and usable.version == usable.latest_version
            and instance.connector_version < usable.latest_version)


class VersionStore:
    """What versions need from the repository (see InstanceRepository)."""

    def update(self, current: Instance, changed: Instance, variables_changed: bool,
               record: Record | None = None) -> Instance: ...
    def set_upgrade_status(self, instance_id: str, latest_version: int, blocked: tuple[str, ...]) -> None: ...
    def get(self, project: str, instance_id: str) -> Instance: ...
    def list_for_connector(self, project: str, connector_id: str) -> list[Instance]: ...


class Follower:
    """Keeps read instances up to date with their connector's latest version (module docstring)."""

    def __init__(self, store: VersionStore, catalog, *, cache_seconds: float = 30.0,  # type: ignore[no-untyped-def]
                 check_timeout: float = 1.0, clock: Callable[[], datetime],
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._catalog = catalog
        self._cache_seconds = cache_seconds
        self._check_timeout = check_timeout
        self._clock = clock
        self._monotonic = monotonic
        self._cache: dict[tuple[str, str, bool], tuple[float, UsableConnector | None]] = {}
        self._versions: dict[tuple[str, str, int, bool], UsableConnector] = {}

    async def latest(self, project: str, connector_id: str, timeout: float,
                     preview: bool = False) -> UsableConnector | None:
        """The catalog's latest version (``preview``: its current preview) of a connector a project has
        instances of (cached); None when unknown."""
        key = (project, connector_id, preview)
        now = self._monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        try:
            usable = await self._catalog.check_connector_usable(
                connector_id=connector_id, connector_key="", project=project, version=0,
                timeout=max(0.0, min(timeout, self._check_timeout)), existing_use=True, preview=preview,
            )
        except PlugboardError as exc:
            log.info("version check of connector %s skipped: %s", connector_id, exc.reason)
            usable = None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (self._monotonic(), usable)
        return usable

    async def refresh(self, instances: Sequence[Instance], timeout: float) -> list[Instance]:
        """The instances after following (moves and flags written to the store)."""
        out = []
        for instance in instances:
            usable = await self.latest(instance.project, instance.connector_id, timeout,
                                       preview=instance.version_policy is VersionPolicy.PREVIEW)
            if usable is None:
                out.append(instance)
                continue
            current = None
            if _would_move(instance, usable) and any(item.secret and item.value_set for item in instance.variables):
                # Where does the current version's connection go? Unknown: stay where it is for now.
                current = await self._version(instance, timeout)
                if current is None:
                    out.append(instance)
                    continue
            out.append(self.apply(instance, usable, current))
        return out

    async def _version(self, instance: Instance, timeout: float) -> UsableConnector | None:
        """The instance's own (immutable) version as the catalog answers it, cached; None when unknown."""
        key = (instance.project, instance.connector_id, instance.connector_version,
               instance.version_policy is VersionPolicy.PREVIEW)
        found = self._versions.get(key)
        if found is not None:
            return found
        try:
            found = await self._catalog.check_connector_usable(
                connector_id=instance.connector_id, connector_key="", project=instance.project,
                version=instance.connector_version, timeout=max(0.0, min(timeout, self._check_timeout)),
                **catalog_use(instance),
            )
        except PlugboardError as exc:
            log.info("version check of connector %s skipped: %s", instance.connector_id, exc.reason)
            return None
        if len(self._versions) > 10_000:
            self._versions.clear()
        self._versions[key] = found
        return found

    def apply(self, instance: Instance, usable: UsableConnector, current: UsableConnector | None = None) -> Instance:
        """The instance with the latest version seen. An instance in an installation never moves on a
        read: its version is its installation's, which moves with UpdateInstallation."""
        latest = usable.latest_version
        if instance.installation_id:
            # The reasons an automatic installation could not take the latest version (updating.follow)
            # stand while the instance is behind.
            blocked = instance.blocked_reasons if instance.connector_version < latest else ()
            if instance.latest_version == latest and instance.blocked_reasons == blocked:
                return instance
            return self._status(instance, latest, blocked)
        return self._follow(instance, usable, current)

    def _follow(self, instance: Instance, usable: UsableConnector, current: UsableConnector | None) -> Instance:
        latest = usable.latest_version
        if instance.connector_version >= latest or instance.version_policy not in FOLLOWING \
                or usable.version != latest:
            blocked: tuple[str, ...] = ()
            if instance.latest_version == latest and instance.blocked_reasons == blocked:
                return instance
            return self._status(instance, latest, blocked)
        now = self._clock()
        variables, problems = revalidate(instance, usable.configuration, latest, now)
        if not problems and current is not None:  # secrets are not moved to another origin unasked
            missing, why = secrets_to_resupply(before=current.connection, after=usable.connection,
                                               old_variables=instance.variables, new_variables=variables,
                                               changed=set(), supplied=set(), version=latest)
            if missing:
                problems = (f"{why}: re-enter the secret{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                            "with an upgrade of this instance",)
        if problems:
            if instance.latest_version == latest and instance.blocked_reasons == problems:
                return instance
            return self._status(instance, latest, problems)
        try:
            following = moved(instance, usable, variables, now)
            follower = history.system(changes.VERSION_FOLLOWER, on_behalf_of=history.current())
            result = self._store.update(instance, following, True,
                                        changes.updated(instance, following, author=follower))
        except (ConcurrentModification, NotFound):
            return instance  # changed or deleted meanwhile: the next read follows again
        log.info("instance %s followed connector %s to version %d", instance.id, instance.connector_id, latest)
        return result

    def _status(self, instance: Instance, latest: int, blocked: tuple[str, ...]) -> Instance:
        self._store.set_upgrade_status(instance.id, latest, blocked)
        return replace(instance, latest_version=latest, blocked_reasons=blocked)


# ------------------------------------------------------------------------------------------ upgrades


@dataclass(frozen=True)
class UpgradeResult:
    """One instance considered by an upgrade."""

    instance_id: str
    from_version: int
    upgraded: bool
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpgradeReport:
    results: tuple[UpgradeResult, ...]
    dry_run: bool
    target_version: int


def validate_upgrade(project: str, instance_id: str, connector_id: str, target_version: int,
                     variables: Sequence[VariableInput] = ()) -> None:
    v = Validator()
    if variables and not instance_id:
        v.add("variables", "variables can only be given together with instance_id")
    check_variable_shapes(v, variables, "variables", by_id=True)
    check_project(v, project)
    if bool(instance_id) == bool(connector_id):
        v.add("instance_id", "give exactly one of instance_id and connector_id")
    v.check_max_length(instance_id, "instance_id", TEXT_MAX)
    v.check_max_length(connector_id, "connector_id", TEXT_MAX)
    v.require(target_version >= 0, "target_version", "must be 0 (the latest) or a version number")
    v.raise_if_any()


class Upgrades:
    """UpgradeInstance (module docstring)."""

    def __init__(self, store: VersionStore, catalog, keyring: Keyring, *,  # type: ignore[no-untyped-def]
                 clock: Callable[[], datetime], placement=None) -> None:
        # updating.Placement: where a moved instance goes, now that its version is its installation's.
        self._placement = placement
        self._store = store
        self._catalog = catalog
        self._keyring = keyring
        self._clock = clock

    async def upgrade(self, project: str, *, instance_id: str = "", connector_id: str = "",
                      target_version: int = 0, dry_run: bool = False,
                      policy: VersionPolicy = VersionPolicy.UNSPECIFIED,
                      variables: Sequence[VariableInput] = (), timeout: float) -> UpgradeReport:
        validate_upgrade(project, instance_id, connector_id, target_version, variables)
        if policy is VersionPolicy.PREVIEW:
            raise InvalidArgument.single("version_policy", "an upgrade moves to a published version: FOLLOW_LATEST or PINNED "
                                         "(an instance is put on a preview when it is created)")
        if instance_id:
            targets = [self._store.get(project, instance_id)]
            connector_id = targets[0].connector_id
        else:
            targets = self._store.list_for_connector(project, connector_id)
        usable = await self._catalog.check_connector_usable(
            connector_id=connector_id, connector_key="", project=project, version=target_version,
            timeout=timeout, existing_use=bool(targets),
        )
        if target_version and usable.version != target_version:  # defensive: the catalog answered another
            raise InvalidArgument.single("target_version", f"version {target_version} is not available")
        if connector_id and not instance_id and self._placement is not None:
            moves = await self._placement.upgrade_connector(project, connector_id, usable, dry_run=dry_run,
                                                            timeout=timeout)
            return UpgradeReport(tuple(UpgradeResult(item.instance_id, item.from_version, item.moved, item.problems)
                                       for item in moves), dry_run, usable.version)
        chosen = policy if policy is not VersionPolicy.UNSPECIFIED else None
        if chosen is None and usable.version < usable.latest_version:
            chosen = VersionPolicy.PINNED
        results = []
        versions: dict[tuple[int, bool], UsableConnector] = {(usable.version, False): usable}
        for instance in targets:
            now = self._clock()
            original = instance
            if variables:  # values for the target version: merged as an update against its keys would be
                target = replace(instance, configuration=usable.configuration, connector_version=usable.version)
                instance = replace(instance, variables=merge_variables(self._keyring, target, variables, now,
                                                                       field="variables"))
            merged, problems = revalidate(instance, usable.configuration, usable.version, now)
            leaving_preview = instance.version_policy is VersionPolicy.PREVIEW  # its number is no published version
            moves = not problems and (instance.connector_version != usable.version or leaving_preview)
            if (moves or variables) and any(item.secret and item.value_set for item in merged):
                number = (original.connector_version, original.version_policy is VersionPolicy.PREVIEW)
                if number not in versions:
                    versions[number] = await self._catalog.check_connector_usable(
                        connector_id=connector_id, connector_key="", project=project, version=number[0],
                        timeout=timeout, **catalog_use(original),
                    )
                binding = dict(before=versions[number].connection, after=usable.connection,
                               old_variables=original.variables, new_variables=merged,
                               changed=changed_keys(original, variables, merged),
                               supplied=supplied_keys(original, variables), version=usable.version)
                if instance_id and not dry_run:
                    require_resupplied(**binding)  # type: ignore[arg-type]
                missing, why = secrets_to_resupply(**binding)  # type: ignore[arg-type]
                if missing:
                    problems += (f"{why}: re-enter the secret{'s' if len(missing) > 1 else ''} "
                                 f"{', '.join(missing)} with an upgrade of this instance",)
                    moves = False
            policy = chosen or (VersionPolicy.FOLLOW_LATEST if leaving_preview else None)
            policy_changes = policy is not None and policy is not instance.version_policy
            if not problems and self._placement is not None and (moves or bool(variables)):
                changed = moved(instance, usable, merged, now, policy)
                try:
                    placed = self._placement.place(instance, changed, usable, dry_run=dry_run)
                except ConcurrentModification:
                    placed = ("the instance changed meanwhile; nothing was done, retry",)
                if placed and instance_id and not dry_run:
                    raise FailedPrecondition.single("CONNECTOR_VERSION_NOT_INSTALLED",
                                                    f"projects/{project}/instances/{instance.id}", placed[0])
                results.append(UpgradeResult(instance.id, instance.connector_version, moves and not placed,
                                             problems + placed))
                continue
            if not problems and not dry_run and (moves or policy_changes or bool(variables)):
                changed = moved(instance, usable, merged, now, policy)
                try:
                    self._store.update(instance, changed, True, changes.updated(instance, changed))
                except ConcurrentModification:
                    results.append(UpgradeResult(instance.id, instance.connector_version, False,
                                                 ("the instance changed meanwhile; nothing was done, retry",)))
                    continue
            results.append(UpgradeResult(instance.id, instance.connector_version, moves, problems))
        return UpgradeReport(tuple(results), dry_run, usable.version)
