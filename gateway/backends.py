"""Talking to the backends: one long-lived channel each, per-call scope, error translation, adapters.

- ``Backend`` / ``open_backend``: a named channel (``plugboard.rpc.client.channel``) kept for the life of
  the gateway. Calls are made without ``wait_for_ready``, so a backend that is down fails them at once
  with UNAVAILABLE instead of queueing them until the deadline; the reconnect backoff is capped so a
  restarted backend is used again within seconds.
- ``CallScope``: what an incoming call hands on to every downstream call it makes: its metadata (minus
  hop-by-hop and pseudo headers) and its deadline (the caller's, or the default when it set none).
- A failed downstream call becomes a domain error through ``plugboard.rpc.status.from_rpc_error`` (the
  one converter): the backend's own error as it raised it, or one naming the backend, never its address.
- ``GrpcCatalog`` / ``GrpcInstances``: the gRPC adapters of ``gateway.deletion``'s ports.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import grpc

from gateway.deletion import ConnectorRef, DraftTarget, InstallationRef, InstanceRef, References
from plugboard.catalog.v1 import catalog_service_pb2, catalog_service_pb2_grpc
from plugboard.instance.v1 import instance_service_pb2, instance_service_pb2_grpc
from plugboard import identity
from plugboard.identity import IDENTITY_HEADERS
from plugboard.rpc import client
from plugboard.rpc.status import from_rpc_error

Metadata = tuple[tuple[str, str | bytes], ...]

# Transport-level headers that belong to one hop; gRPC sets its own on the next one.
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "host",
    "content-type", "content-length", "user-agent",
    "grpc-timeout", "grpc-encoding", "grpc-accept-encoding", "grpc-internal-encoding-request",
    "grpc-status", "grpc-message", "grpc-previous-rpc-attempts", "grpc-retry-pushback-ms",
})

# The caller's credentials stay at the gateway: backends trust the network, not keys. The identity
# metadata only the gateway sets (the key's id, name and project) is dropped from what a caller sends.
CREDENTIALS = frozenset({"authorization", "x-api-key", "cookie"}) | IDENTITY_HEADERS

# A compensating call (reverting DELETING) gets at least this long, even when the caller's deadline is
# nearly spent: leaving the connector DELETING until the reconciler runs blocks new instances.
COMPENSATION_SECONDS = 5.0


def forwardable_metadata(metadata: Iterable[Any] | None) -> Metadata:
    """``metadata`` without pseudo headers (``:authority``...), hop-by-hop headers and credentials."""
    if not metadata:
        return ()
    kept = []
    for key, value in metadata:
        lowered = key.lower()
        if lowered.startswith(":") or lowered in HOP_BY_HOP or lowered in CREDENTIALS \
                or lowered.startswith(identity.RESERVED_PREFIX):
            continue
        kept.append((lowered, value))
    return tuple(kept)


_DROPPED = HOP_BY_HOP | CREDENTIALS


def split_metadata(metadata: Iterable[Any] | None) -> tuple[Metadata, str | None]:
    """``forwardable_metadata(metadata)`` and the API key presented in it (as
    ``gateway.auth.credential_from`` reads it), in one pass: the forwarding hot path."""
    if not metadata:
        return (), None
    kept = []
    bearer = api_key = None
    for key, value in metadata:
        lowered = key.lower()
        if lowered in _DROPPED or lowered.startswith(":") or lowered.startswith(identity.RESERVED_PREFIX):
            if lowered == "authorization" and bearer is None and isinstance(value, str):
                scheme, _, token = value.strip().partition(" ")
                if scheme.lower() == "bearer" and token.strip():
                    bearer = token.strip()
            elif lowered == "x-api-key" and isinstance(value, str) and value.strip():
                api_key = value.strip()
            continue
        kept.append((lowered, value))
    return tuple(kept), bearer or api_key


@dataclass
class Backend:
    """A backend service reached over one long-lived channel."""

    name: str  # "catalog", "instance": named in error messages, never the address
    target: str
    channel: grpc.aio.Channel

    async def close(self) -> None:
        await self.channel.close()


def open_backend(name: str, target: str, *, max_message_bytes: int) -> Backend:
    """A ``Backend`` whose channel connects lazily (on the first call), so start-up order is free."""
    return Backend(name=name, target=target, channel=client.channel(target, max_message_bytes=max_message_bytes))


class CallScope:
    """Metadata and absolute deadline of one incoming call, applied to each downstream call."""

    __slots__ = ("metadata", "_deadline")

    def __init__(self, metadata: Metadata, timeout_seconds: float) -> None:
        self.metadata = metadata
        self._deadline = time.monotonic() + max(timeout_seconds, 0.0)

    def timeout(self, *, at_least: float = 0.0) -> float:
        """Seconds left before the caller's deadline (or ``at_least``, whichever is longer)."""
        return max(self._deadline - time.monotonic(), at_least, 0.0)


async def _call(method: Any, request: Any, scope: CallScope, backend: str, *,
                at_least: float = 0.0) -> Any:
    try:
        return await method(request, timeout=scope.timeout(at_least=at_least), metadata=scope.metadata)
    except grpc.aio.AioRpcError as exc:
        raise from_rpc_error(exc, backend) from exc


class GrpcCatalog:
    """``deletion.CatalogPort`` over the catalog's gRPC API, within one incoming call's scope."""

    def __init__(self, stub: catalog_service_pb2_grpc.CatalogServiceStub, scope: CallScope) -> None:
        self._stub = stub
        self._scope = scope

    async def get_connector(self, connector_id: str, project: str) -> ConnectorRef:
        connector = await _call(
            self._stub.GetConnector,
            catalog_service_pb2.GetConnectorRequest(id=connector_id, project=project),
            self._scope, "catalog")
        return ConnectorRef(id=connector.id, key=connector.key,
                            creator_project=connector.creator_project)

    async def begin_deletion(self, connector_id: str) -> None:
        await _call(self._stub.BeginConnectorDeletion,
                    catalog_service_pb2.BeginConnectorDeletionRequest(id=connector_id),
                    self._scope, "catalog")

    async def cancel_deletion(self, connector_id: str) -> None:
        await _call(self._stub.CancelConnectorDeletion,
                    catalog_service_pb2.CancelConnectorDeletionRequest(id=connector_id),
                    self._scope, "catalog", at_least=COMPENSATION_SECONDS)

    async def complete_deletion(self, connector_id: str) -> None:
        await _call(self._stub.CompleteConnectorDeletion,
                    catalog_service_pb2.CompleteConnectorDeletionRequest(id=connector_id),
                    self._scope, "catalog")

    async def begin_draft_deletion(self, draft: DraftTarget) -> str:
        marked = await _call(self._stub.BeginConnectorDeletion, catalog_service_pb2.BeginConnectorDeletionRequest(
            staged=True, id=draft.id, key=draft.key, version=draft.version, project=draft.project),
            self._scope, "catalog")
        return str(marked.id)

    async def cancel_draft_deletion(self, draft_id: str) -> None:
        await _call(self._stub.CancelConnectorDeletion,
                    catalog_service_pb2.CancelConnectorDeletionRequest(id=draft_id, staged=True),
                    self._scope, "catalog", at_least=COMPENSATION_SECONDS)

    async def complete_draft_deletion(self, draft_id: str) -> object:
        """The deleted draft (a ``ConnectorStaged``)."""
        response = await _call(self._stub.CompleteConnectorDeletion,
                               catalog_service_pb2.CompleteConnectorDeletionRequest(id=draft_id, staged=True),
                               self._scope, "catalog")
        return response.connector_staged


class GrpcInstances:
    """``deletion.InstancePort`` over the instance service's gRPC API, within one call's scope."""

    def __init__(self, stub: instance_service_pb2_grpc.InstanceServiceStub, scope: CallScope) -> None:
        self._stub = stub
        self._scope = scope

    async def count_references(self, connector_id: str, limit: int) -> References:
        response = await _call(
            self._stub.CountConnectorReferences,
            instance_service_pb2.CountConnectorReferencesRequest(connector_id=connector_id, limit=limit),
            self._scope, "instance")
        return References(
            total=response.total,
            instances=tuple(InstanceRef(project=i.project, id=i.id, name=i.name)
                            for i in response.instances),
            installation_total=response.installation_total,
            installations=tuple(InstallationRef(project=i.project, id=i.id) for i in response.installations),
        )
