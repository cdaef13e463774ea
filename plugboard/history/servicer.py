"""The change-history servicer, one implementation for every service's history service.

``add_servicer(server, module, service, history, resource_methods)`` registers ``module``'s (the
generated ``*_pb2_grpc`` of a service's ``change_history_service.proto``) history service ``service``: ``ListChanges``,
``GetChange`` and each method in ``resource_methods`` (e.g. ``ListDraftChanges``: ListChanges whose
``resource_id`` comes from the path). With ``offload`` the reads run in a worker thread
(``asyncio.to_thread``): the gateway's event loop carries every forwarded call, so its own history
(``gateway.key_history``) must not block it on its key database; the backends read in the coroutine,
which is faster for SQLite point reads (see DESIGN.md).
"""

from __future__ import annotations

import asyncio
from typing import Any

from . import convert
from .service import DEFAULT_LIMIT, ChangeHistory


def servicer_class(module: Any, service: str, resource_methods: tuple[str, ...], *, offload: bool = False) -> type:
    base = getattr(module, f"{service}Servicer")

    async def read(call: Any, *args: Any) -> Any:
        return await asyncio.to_thread(call, *args) if offload else call(*args)

    async def ListChanges(self, request, context):
        query = convert.query_from_proto(request)
        page = await read(self.history.list, query)
        return convert.page_to_proto(page, query.limit or DEFAULT_LIMIT)

    async def GetChange(self, request, context):
        return convert.record_to_proto(await read(self.history.get, request.id, request.project))

    def __init__(self, history: ChangeHistory) -> None:
        self.history = history

    namespace: dict[str, Any] = {"__init__": __init__, "ListChanges": ListChanges, "GetChange": GetChange,
                                 "__doc__": f"{base.__name__}: the change history (plugboard.history)."}
    for name in resource_methods:
        namespace[name] = ListChanges
    return type("ChangeHistoryServicer", (base,), namespace)


def add_servicer(server: Any, module: Any, service: str, history: ChangeHistory,
                 resource_methods: tuple[str, ...]) -> None:
    """Register ``module``'s ``service`` (e.g. ``CatalogChangeHistoryService``) over ``history``."""
    register = getattr(module, f"add_{service}Servicer_to_server")
    register(servicer_class(module, service, resource_methods)(history), server)
