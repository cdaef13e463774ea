"""Pass-through forwarding: raw request and response bytes, never decoded.

``forwarding_handler`` builds the ``grpc.RpcMethodHandler`` of one method for any of the four
cardinalities. Each call goes to the backend with

- the caller's metadata, minus pseudo and hop-by-hop headers (``backends.forwardable_metadata``);
- the caller's remaining deadline, or the default deadline when the caller set none;
- cancellation: a caller that cancels (or whose deadline passes) cancels the backend call;
- the backend's initial and trailing metadata passed back;
- a backend error passed back unchanged (code, message and trailing metadata, which holds
  ``grpc-status-details-bin``). An error the channel produced itself (backend down: UNAVAILABLE at
  once, never a hang) becomes a rich Plugboard error naming the backend, not its address.

A ``guard`` (``gateway.auth.Gatekeeper.admit_key``: API key, scope, project, tenant limits) admits each
call before it is forwarded: it returns the request bytes to send (the key's project set in them) and
the tenant's slot, released when the call ends however it ends, or refuses the call by raising a
``PlugboardError``. Credentials are never forwarded (``backends.split_metadata``).

The per-call path is kept short, as a pass-through proxy's should be: the backend multicallable is made
once per method; the caller's metadata is read once and split (forwarded pairs, key) in one pass; the
deadline goes down as ``timeout=`` and cancellation needs no task of its own (a cancelled handler
cancels the awaited backend call, grpc.aio does that); initial/trailing metadata are only sent back
when the backend sent some.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NamedTuple, NoReturn

import grpc
from google.protobuf.descriptor import MethodDescriptor

from gateway.backends import Backend, forwardable_metadata, split_metadata
from gateway.quotas import UNLIMITED, Slot
from plugboard.errors import PlugboardError
from plugboard.rpc.status import from_rpc_error, has_rich_details, to_status


class Admission(NamedTuple):
    """An admitted call: the request bytes to forward (None for a streamed request) and the tenant's
    slot it holds until it ends."""

    request: bytes | None
    slot: Slot
    # The caller's identity metadata (``plugboard.history.actor``), added to the forwarded call.
    identity: tuple[tuple[str, str], ...] = ()


# Admits a call: gets the full method path, the request bytes (None for a streamed request) and the
# API key the caller presented (None: none); returns the ``Admission``, or raises a PlugboardError.
Guard = Callable[[str, bytes | None, str | None], Awaitable[Admission]]


def method_path(method: MethodDescriptor) -> str:
    """``/plugboard.catalog.v1.CatalogService/GetConnector``."""
    return f"/{method.containing_service.full_name}/{method.name}"


async def abort_with_error(context: grpc.aio.ServicerContext, err: PlugboardError) -> NoReturn:
    """End the call with ``err``: the gateway's one way of answering a gRPC call with an error. One that
    a backend described (``err.downstream`` carries rich details) goes back exactly as it came."""
    downstream = err.downstream
    if isinstance(downstream, grpc.aio.AioRpcError) and has_rich_details(downstream):
        await context.abort(downstream.code(), downstream.details() or "",
                            trailing_metadata=forwardable_metadata(downstream.trailing_metadata()))
    await context.abort_with_status(to_status(err))


class _Forward:
    """State shared by the calls of one forwarded method."""

    __slots__ = ("backend", "path", "default_deadline", "guard")

    def __init__(self, backend: Backend, path: str, default_deadline: float, guard: Guard | None):
        self.backend = backend
        self.path = path
        self.default_deadline = default_deadline
        self.guard = guard

    async def prepare(self, request: Any, context: grpc.aio.ServicerContext
                      ) -> tuple[Any, float, tuple[tuple[str, Any], ...], Slot]:
        """The request to forward (once the guard admitted the call, else the call ends here), the
        downstream timeout and metadata, and the slot the call holds (the caller releases it)."""
        metadata, credential = split_metadata(context.invocation_metadata())
        slot = UNLIMITED
        if self.guard is not None:
            streamed = not isinstance(request, bytes)
            try:
                admission = await self.guard(self.path, None if streamed else request, credential)
            except PlugboardError as err:
                await abort_with_error(context, err)
            slot = admission.slot
            metadata += admission.identity
            if not streamed:
                request = admission.request
        remaining = context.time_remaining()
        timeout = self.default_deadline if remaining is None else (remaining if remaining > 0.0 else 0.0)
        return request, timeout, metadata, slot


async def _pass_initial_metadata(call: Any, context: grpc.aio.ServicerContext) -> None:
    initial = await call.initial_metadata()
    if initial:
        initial = forwardable_metadata(initial)
        if initial:
            await context.send_initial_metadata(initial)


async def _pass_trailing_metadata(call: Any, context: grpc.aio.ServicerContext) -> None:
    trailing = await call.trailing_metadata()
    if trailing:
        trailing = forwardable_metadata(trailing)
        if trailing:
            context.set_trailing_metadata(trailing)


def _unary_response(forward: _Forward, multicallable: Any) -> Callable[..., Awaitable[bytes]]:
    async def behaviour(request: Any, context: grpc.aio.ServicerContext) -> bytes:
        request, timeout, metadata, slot = await forward.prepare(request, context)
        try:
            call = multicallable(request, timeout=timeout, metadata=metadata)
            try:
                response = await call
            except grpc.aio.AioRpcError as exc:
                await abort_with_error(context, from_rpc_error(exc, forward.backend.name))
            finally:
                if not call.done():  # the caller went away: so does the backend call
                    call.cancel()
        finally:
            slot.release()
        await _pass_initial_metadata(call, context)
        await _pass_trailing_metadata(call, context)
        return response

    return behaviour


def _stream_response(forward: _Forward, multicallable: Any) -> Callable[..., AsyncIterator[bytes]]:
    async def behaviour(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
        request, timeout, metadata, slot = await forward.prepare(request, context)
        try:
            call = multicallable(request, timeout=timeout, metadata=metadata)
            try:
                await _pass_initial_metadata(call, context)
                async for response in call:
                    yield response
                await _pass_trailing_metadata(call, context)
            except grpc.aio.AioRpcError as exc:
                await abort_with_error(context, from_rpc_error(exc, forward.backend.name))
            finally:
                if not call.done():
                    call.cancel()
        finally:
            slot.release()

    return behaviour


def forwarding_handler(
    backend: Backend,
    method: MethodDescriptor,
    *,
    default_deadline: float,
    guard: Guard | None = None,
) -> grpc.RpcMethodHandler:
    """The pass-through handler of ``method`` to ``backend`` (bytes in, bytes out)."""
    path = method_path(method)
    forward = _Forward(backend, path, default_deadline, guard)
    channel = backend.channel
    # Serializers left as None: the bytes go through as they are.
    if not method.client_streaming and not method.server_streaming:
        return grpc.unary_unary_rpc_method_handler(
            _unary_response(forward, channel.unary_unary(path, _registered_method=True)))
    if not method.client_streaming and method.server_streaming:
        return grpc.unary_stream_rpc_method_handler(
            _stream_response(forward, channel.unary_stream(path, _registered_method=True)))
    if method.client_streaming and not method.server_streaming:
        return grpc.stream_unary_rpc_method_handler(
            _unary_response(forward, channel.stream_unary(path, _registered_method=True)))
    return grpc.stream_stream_rpc_method_handler(
        _stream_response(forward, channel.stream_stream(path, _registered_method=True)))


__all__ = [
    "Admission",
    "Guard",
    "abort_with_error",
    "forwarding_handler",
    "method_path",
]
