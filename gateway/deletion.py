"""The deletion protocol of DESIGN.md: delete a connector only when no instance references it.

A check-then-delete races with a concurrent instance create, so each side writes its intent before it
reads the other's. The gateway's side:

0. the instance service counts the instances and the installations referencing it (every project,
   PENDING ones included); any: the caller gets FAILED_PRECONDITION ``CONNECTOR_HAS_INSTANCES`` (or
   ``CONNECTOR_HAS_INSTALLATIONS`` when only installations are left, naming those of the caller's
   project and counting the others) at once, and nothing was written (a refusal needs no intent: it is right
   at the moment of that count). This makes the common refusal two reads instead of four calls, two of
   them writes, and never blocks instance creation on a connector in use. None: the protocol proper
   decides, as a count before the intent is written cannot:
1. the catalog moves the connector ACTIVE -> DELETING (compare-and-swap; a second delete under way gets
   FAILED_PRECONDITION ``CONNECTOR_DELETING``), so no new instance or installation can become READY from
   now on (both are written PENDING before they ask the catalog);
2. the instance service counts the instances and installations referencing it, PENDING ones included;
3. any: the catalog reverts the connector to ACTIVE and the caller gets FAILED_PRECONDITION
   ``CONNECTOR_HAS_INSTANCES`` naming up to ``REFERENCE_LIMIT`` of them; none: the catalog deletes it.

When the count cannot be had (instance service down), the connector is reverted and the caller gets
UNAVAILABLE: nothing was deleted. When the revert itself fails, the catalog's reconciler reverts a
DELETING connector older than its bound, so the failure is only logged.

A never-published draft (DeleteConnectorStaged, ``delete_draft``) goes through the same steps 1-3: its
granted preview may have instances (VersionPolicy PREVIEW, whose connector id is the draft's id), created
PENDING before they ask the catalog for the preview. Step 1 marks the draft as being deleted (the catalog
checks the caller's version and the draft's rules, then a compare-and-swap), so the preview is refused
from then on; the count, the revert and the refusal are the connector's. There is no step 0 (the mark is
also where the caller's version and the draft's rules are checked). A draft of a published connector is
refused at step 1 (``CONNECTOR_STAGED_ALREADY_PUBLISHED``): ``delete_connector`` deletes it with its
connector, and a DELETING connector refuses its draft's preview too.

Plain Python over two small ports (``CatalogPort``, ``InstancePort``); the gRPC adapters live in
``gateway.backends``. Errors are ``plugboard.errors``; errors from the ports pass through unchanged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from plugboard import signals
from plugboard.errors import (
    DeadlineExceeded,
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
    PlugboardError,
    PreconditionViolation,
    Unavailable,
)

REFERENCE_LIMIT = 10
INSTANCE_REFERENCE = "INSTANCE_REFERENCE"
INSTALLATION_REFERENCE = "INSTALLATION_REFERENCE"

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectorRef:
    """What the protocol needs to know about a published connector."""

    id: str
    key: str
    creator_project: str


@dataclass(frozen=True)
class InstanceRef:
    """An instance referencing a connector."""

    project: str
    id: str
    name: str

    @property
    def resource_name(self) -> str:
        return f"projects/{self.project}/instances/{self.id}"


@dataclass(frozen=True)
class InstallationRef:
    """An installation of a connector (in any project)."""

    project: str
    id: str

    @property
    def resource_name(self) -> str:
        return f"projects/{self.project}/installations/{self.id}"


@dataclass(frozen=True)
class References:
    """How many instances and installations reference a connector, and the first few of each."""

    total: int
    instances: tuple[InstanceRef, ...] = ()
    installation_total: int = 0
    installations: tuple[InstallationRef, ...] = ()

    @property
    def any(self) -> bool:
        return self.total > 0 or self.installation_total > 0


@dataclass(frozen=True)
class DraftTarget:
    """The draft a DeleteConnectorStaged(ByKey) names: id or key, the caller's version (0: any), project."""

    id: str = ""
    key: str = ""
    version: int = 0
    project: str = ""


@dataclass(frozen=True)
class DeletionResult:
    """The outcome of a delete that was not refused."""

    deleted: bool
    dry_run: bool
    referencing_instance_count: int
    referencing_instances: tuple[InstanceRef, ...] = ()


class CatalogPort(Protocol):
    """The catalog's side of the protocol. Every method raises ``plugboard.errors``."""

    async def get_connector(self, connector_id: str, project: str) -> ConnectorRef:
        """The published connector as ``project`` sees it (NotFound when missing or invisible)."""

    async def begin_deletion(self, connector_id: str) -> None:
        """ACTIVE -> DELETING (NotFound; FailedPrecondition CONNECTOR_DELETING when not ACTIVE)."""

    async def cancel_deletion(self, connector_id: str) -> None:
        """DELETING -> ACTIVE; idempotent on an ACTIVE connector."""

    async def complete_deletion(self, connector_id: str) -> None:
        """Delete the DELETING connector, its versions and its draft."""

    async def begin_draft_deletion(self, draft: DraftTarget) -> str:
        """Mark the never-published draft as being deleted: its id (NotFound, Aborted on a stale version,
        FailedPrecondition on the rules of deleting a draft or CONNECTOR_DELETING when already marked)."""

    async def cancel_draft_deletion(self, draft_id: str) -> None:
        """Clear the draft's mark; idempotent."""

    async def complete_draft_deletion(self, draft_id: str) -> object:
        """Delete the marked draft; the deleted draft, as the catalog answers it."""


class InstancePort(Protocol):
    """The instance service's side: the reference count, read from the primary."""

    async def count_references(self, connector_id: str, limit: int) -> References:
        """Instances referencing the connector in any project, PENDING ones included."""


async def delete_connector(
    catalog: CatalogPort,
    instances: InstancePort,
    connector_id: str,
    *,
    project: str = "",
    dry_run: bool = False,
    limit: int = REFERENCE_LIMIT,
) -> DeletionResult:
    """Run the protocol for ``connector_id``; return the result or raise the refusal.

    ``project``, when given, must be the connector's creator project: a connector it cannot see is
    NotFound, one it can see but did not create is PermissionDenied (``CONNECTOR_NOT_OWNED``).
    ``dry_run`` reports the referencing instances and changes nothing.
    """
    if not connector_id.strip():
        raise InvalidArgument.single("id", "is required")
    if project or dry_run:
        connector = await catalog.get_connector(connector_id, project)
        if project and connector.creator_project != project:
            raise PermissionDenied(
                f"only the creator project of connector {connector_id} may delete it",
                reason="CONNECTOR_NOT_OWNED", metadata={"connector_id": connector_id})
    if dry_run:
        refs = await instances.count_references(connector_id, limit)
        return DeletionResult(deleted=False, dry_run=True, referencing_instance_count=refs.total,
                              referencing_instances=refs.instances)

    refs = await _count(instances, connector_id, limit)
    if refs.any:
        raise has_instances(connector_id, refs, project)

    await catalog.begin_deletion(connector_id)
    await _count_after_intent(instances, connector_id, project, limit,
                              lambda: catalog.cancel_deletion(connector_id), "connector_delete")
    await catalog.complete_deletion(connector_id)
    return DeletionResult(deleted=True, dry_run=False, referencing_instance_count=0)


async def delete_draft(
    catalog: CatalogPort,
    instances: InstancePort,
    draft: DraftTarget,
    *,
    limit: int = REFERENCE_LIMIT,
) -> object:
    """Run the protocol for a never-published draft; the deleted draft, or raise the refusal (the same
    ``CONNECTOR_HAS_INSTANCES`` as a connector's, naming its preview's instances)."""
    if not draft.id.strip() and not draft.key.strip():
        raise InvalidArgument.single("id", "is required")
    draft_id = await catalog.begin_draft_deletion(draft)
    cancel = lambda: catalog.cancel_draft_deletion(draft_id)  # noqa: E731
    await _count_after_intent(instances, draft_id, draft.project, limit, cancel, "draft_delete")
    try:
        return await catalog.complete_draft_deletion(draft_id)
    except FailedPrecondition:  # the draft changed since it was marked (a publish request): unmark it
        await _revert(cancel, draft_id)
        raise


async def _count_after_intent(instances: InstancePort, connector_id: str, project: str, limit: int,
                              cancel: Callable[[], Awaitable[None]], operation: str) -> None:
    """Steps 2 and 3 once the intent is written: count (PENDING included); any, or no count: ``cancel``
    (the revert) and raise the refusal (or UNAVAILABLE); none: return, for the caller to delete."""
    try:
        refs = await instances.count_references(connector_id, limit)
    except asyncio.CancelledError:
        await _revert(cancel, connector_id)
        raise
    except DeadlineExceeded:
        await _revert(cancel, connector_id)
        raise
    except PlugboardError as exc:
        await _revert(cancel, connector_id)
        raise _count_unavailable(connector_id) from exc

    if refs.any:
        await _revert(cancel, connector_id)
        raise has_instances(connector_id, refs, project, operation=operation)


async def _count(instances: InstancePort, connector_id: str, limit: int) -> References:
    """The count before any write (step 0): a failure ends the call with nothing to revert."""
    try:
        return await instances.count_references(connector_id, limit)
    except (DeadlineExceeded, asyncio.CancelledError):
        raise
    except PlugboardError as exc:
        raise _count_unavailable(connector_id) from exc


def _count_unavailable(connector_id: str) -> Unavailable:
    return Unavailable(
        f"could not count the instances of connector {connector_id}; nothing was deleted, retry later",
        reason="REFERENCE_CHECK_UNAVAILABLE", metadata={"connector_id": connector_id},
    )


def has_installations(connector_id: str, refs: References, project: str) -> FailedPrecondition:
    """The refusal while installations exist (and no instance): it names the installations of the
    caller's project and counts the others (another project's installation is not the caller's to see)."""
    count = refs.installation_total
    visible = [ref for ref in refs.installations if not project or ref.project == project]
    others = count - len(visible) if project else 0
    noun = "installation" if count == 1 else "installations"
    shown = ", ".join(ref.resource_name for ref in visible[:3]) or "none in your project"
    return FailedPrecondition(
        [PreconditionViolation(type=INSTALLATION_REFERENCE, subject=ref.resource_name,
                               description=f"project {ref.project} has connector {connector_id} installed")
         for ref in visible],
        message=f"connector {connector_id} is installed {count} time{'s' if count != 1 else ''} ({shown}"
                f"{f'; {others} in other projects' if others > 0 else ''}); it can be deleted once every "
                f"{noun[:-1] if count == 1 else 'installation'} is removed",
        reason="CONNECTOR_HAS_INSTALLATIONS",
        metadata={"connector_id": connector_id, "installation_count": count},
    )


def has_instances(connector_id: str, refs: References, project: str = "", *,
                  operation: str = "connector_delete") -> FailedPrecondition:
    """The refusal naming the referencing instances (up to the count's limit) and the total; without
    instances, the installations (``has_installations``). ``operation`` names the refused delete in the
    refusals metric (``draft_delete`` for a draft)."""
    if refs.total == 0 and refs.installation_total > 0:
        return has_installations(connector_id, refs, project)
    count = refs.total
    noun = "instance" if count == 1 else "instances"
    signals.refused(operation, "CONNECTOR_HAS_INSTANCES")
    return FailedPrecondition(
        [
            PreconditionViolation(
                type=INSTANCE_REFERENCE,
                subject=ref.resource_name,
                description=f"instance {ref.name!r} ({ref.id}) in project {ref.project} uses "
                            f"connector {connector_id}",
            )
            for ref in refs.instances
        ],
        message=f"connector {connector_id} is used by {count} {noun} "
                f"({_names(refs.instances, count)}); delete them first",
        reason="CONNECTOR_HAS_INSTANCES",
        metadata={"connector_id": connector_id, "referencing_instance_count": count,
                  **({"installation_count": refs.installation_total} if refs.installation_total else {})},
    )


def _names(instances, count: int) -> str:
    """'a', 'b', 'c' and N more: the message a person reads names the instances too."""
    shown = ", ".join(repr(ref.name) for ref in instances[:3])
    rest = count - min(len(instances), 3)
    return f"{shown} and {rest} more" if rest > 0 else shown


async def _revert(cancel: Callable[[], Awaitable[None]], connector_id: str) -> None:
    """DELETING -> ACTIVE (``cancel``), even when the caller has gone away; a failure is logged, not raised."""
    revert = asyncio.ensure_future(cancel())
    try:
        await asyncio.shield(revert)
    except asyncio.CancelledError:
        # The caller went away while reverting: the revert goes on in the background.
        revert.add_done_callback(lambda task: _log_failed_revert(connector_id, task))
        raise
    except PlugboardError as exc:
        _log_revert_failure(connector_id, exc)


def _log_failed_revert(connector_id: str, task: asyncio.Future[None]) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if isinstance(exc, PlugboardError):
        _log_revert_failure(connector_id, exc)


def _log_revert_failure(connector_id: str, exc: PlugboardError) -> None:
    _log.warning(
        "connector %s stays DELETING until the catalog's reconciler reverts it: "
        "CancelConnectorDeletion failed with %s", connector_id, exc.reason,
    )
