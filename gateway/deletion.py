"""The deletion protocol of DESIGN.md: delete a connector only when no instance references it.

A check-then-delete races with a concurrent instance create, so each side writes its intent before it
reads the other's. The gateway's side:

0. the instance service counts the instances referencing it; any: the caller gets FAILED_PRECONDITION
   ``CONNECTOR_HAS_INSTANCES`` at once, and nothing was written (a refusal needs no intent: it is right
   at the moment of that count). This makes the common refusal two reads instead of four calls, two of
   them writes, and never blocks instance creation on a connector in use. None: the protocol proper
   decides, as a count before the intent is written cannot:
1. the catalog moves the connector ACTIVE -> DELETING (compare-and-swap; a second delete under way gets
   FAILED_PRECONDITION ``CONNECTOR_DELETING``), so no new instance can become READY from now on;
2. the instance service counts the instances referencing it, PENDING ones included;
3. any: the catalog reverts the connector to ACTIVE and the caller gets FAILED_PRECONDITION
   ``CONNECTOR_HAS_INSTANCES`` naming up to ``REFERENCE_LIMIT`` of them; none: the catalog deletes it.

When the count cannot be had (instance service down), the connector is reverted and the caller gets
UNAVAILABLE: nothing was deleted. When the revert itself fails, the catalog's reconciler reverts a
DELETING connector older than its bound, so the failure is only logged.

Plain Python over two small ports (``CatalogPort``, ``InstancePort``); the gRPC adapters live in
``gateway.backends``. Errors are ``plugboard.errors``; errors from the ports pass through unchanged.
"""

from __future__ import annotations

import asyncio
import logging
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
class References:
    """How many instances reference a connector, and the first few of them."""

    total: int
    instances: tuple[InstanceRef, ...] = ()


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
    if refs.total > 0:
        raise has_instances(connector_id, refs)

    await catalog.begin_deletion(connector_id)
    try:
        refs = await instances.count_references(connector_id, limit)
    except asyncio.CancelledError:
        await _revert(catalog, connector_id)
        raise
    except DeadlineExceeded:
        await _revert(catalog, connector_id)
        raise
    except PlugboardError as exc:
        await _revert(catalog, connector_id)
        raise _count_unavailable(connector_id) from exc

    if refs.total > 0:
        await _revert(catalog, connector_id)
        raise has_instances(connector_id, refs)

    await catalog.complete_deletion(connector_id)
    return DeletionResult(deleted=True, dry_run=False, referencing_instance_count=0)


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


def has_instances(connector_id: str, refs: References) -> FailedPrecondition:
    """The refusal naming the referencing instances (up to the count's limit) and the total."""
    count = refs.total
    noun = "instance" if count == 1 else "instances"
    signals.refused("connector_delete", "CONNECTOR_HAS_INSTANCES")
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
        metadata={"connector_id": connector_id, "referencing_instance_count": count},
    )


def _names(instances, count: int) -> str:
    """'a', 'b', 'c' and N more: the message a person reads names the instances too."""
    shown = ", ".join(repr(ref.name) for ref in instances[:3])
    rest = count - min(len(instances), 3)
    return f"{shown} and {rest} more" if rest > 0 else shown


async def _revert(catalog: CatalogPort, connector_id: str) -> None:
    """DELETING -> ACTIVE, even when the caller has gone away; a failure is logged, not raised."""
    revert = asyncio.ensure_future(catalog.cancel_deletion(connector_id))
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
