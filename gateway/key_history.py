"""The one service the gateway serves itself: the change history of its API keys
(``plugboard.gateway.v1.KeyChangeHistoryService``).

The key store (``gateway.key_store``) writes a record with each create and revoke, in the same
transaction. These records are read with the shared history mechanism (``plugboard.history.service``
and ``plugboard.history.servicer``, as the backends read theirs), behind the same admission as every
forwarded call (``Gatekeeper.admit_key``): the key, one of the service's accepted scopes
(``gateway.policy.ANY_OF``), the caller's project set in the request; another project's record answers
NOT_FOUND, a request naming another project PERMISSION_DENIED ``PROJECT_MISMATCH``.

``KeyHistory.handler`` is the gRPC side; ``KeyHistory.calls`` the HTTP facade's (an admitted request
message in, the response message out). The reads run in a worker thread (the gateway's event loop
carries every forwarded call).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.message import Message

from gateway.backends import split_metadata
from gateway.forwarding import Guard, method_path
from gateway.key_store import KeyStore
from plugboard.gateway.v1 import key_change_history_service_pb2 as pb
from plugboard.gateway.v1 import key_change_history_service_pb2_grpc as pb_grpc
from plugboard.history.service import ChangeHistory
from plugboard.history.servicer import servicer_class
from plugboard.rpc.handlers import refuse_nul

SERVICE = "KeyChangeHistoryService"
KEY_HISTORY_SERVICE = pb.DESCRIPTOR.services_by_name[SERVICE]
# The name ``gateway.routes.SERVICES`` gives the "backend" of the services the gateway serves itself.
LOCAL = "gateway"

LocalCall = Callable[[Message], Awaitable[Message]]


class KeyHistory:
    """ListChanges / GetChange of the key store's records."""

    def __init__(self, store: KeyStore) -> None:
        self.servicer = servicer_class(pb_grpc, SERVICE, (), offload=True)(ChangeHistory(store.history))

    def calls(self) -> dict[str, LocalCall]:
        """Method path -> the call of an admitted request (a ``PlugboardError`` for a refusal)."""
        found: dict[str, LocalCall] = {}
        for method in KEY_HISTORY_SERVICE.methods:
            behaviour = getattr(self.servicer, method.name)

            async def call(request: Message, behaviour: Any = behaviour) -> Message:
                refuse_nul(request)  # as every backend's edge refuses it, on every storage
                return await behaviour(request, None)  # type: ignore[no-any-return]

            found[method_path(method)] = call
        return found

    def handler(self, guard: Guard) -> grpc.GenericRpcHandler:
        """The gRPC handler of the service: each call admitted by ``guard`` (its project set), then
        answered from the key store."""
        methods: dict[str, grpc.RpcMethodHandler] = {}
        calls = self.calls()
        for method in KEY_HISTORY_SERVICE.methods:
            path = method_path(method)
            request_class = message_factory.GetMessageClass(method.input_type)
            methods[method.name] = grpc.unary_unary_rpc_method_handler(
                _behaviour(path, calls[path], guard, request_class), response_serializer=_serialize)
        return grpc.method_handlers_generic_handler(KEY_HISTORY_SERVICE.full_name, methods)


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()


def _behaviour(path: str, call: LocalCall, guard: Guard, request_class: type[Message]
               ) -> Callable[[bytes, grpc.aio.ServicerContext], Awaitable[Message]]:
    async def behaviour(request: bytes, context: grpc.aio.ServicerContext) -> Message:
        # A refusal (a PlugboardError) becomes its rich status at the edge (plugboard.rpc.handlers).
        _, credential = split_metadata(context.invocation_metadata())
        admission = await guard(path, request, credential)
        try:
            return await call(request_class.FromString(admission.request or b""))
        finally:
            admission.slot.release()

    return behaviour
