"""HTTP dialects: how one route's JSON looks. The facade (``gateway.http_api``) picks one per route.

A ``Dialect`` turns an HTTP request (path variables, query, body text) into the method's protobuf
request, the protobuf response into its JSON body and HTTP status, and a ``google.rpc.Status`` into
its error body; it also describes a route for the OpenAPI document (``gateway.openapi``).

- ``commercetools`` (``gateway.dialects.commercetools``): seed 002, commercetools Connect's own JSON,
  on the CatalogService routes commercetools' SDK has (drafts, connectors by id and key, search);
- ``patchworks`` (``gateway.dialects.patchworks``): seed 004, Patchworks' API, on ``/api/v1/connectors``
  (second bindings of the InstanceService methods, see ``dialect_routes``);
- ``native`` (``gateway.dialects.native``): protobuf's JSON mapping with ``google.rpc.Status`` errors,
  for everything neither seed has (certification, versions, watch, connector deletion, instances under
  ``/projects/...``).

``dialect_of(route)`` is the one rule per route; ``dialect_for_path`` names the dialect of a path no route
matched (its 404/405 speaks the dialect of the API the caller was aiming at).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from google.protobuf.message import Message
from google.rpc import status_pb2
from multidict import MultiDictProxy
from yarl import URL

from gateway.http_rules import HttpRoute
from gateway.policy import MethodRule


class Dialect(Protocol):
    """One JSON dialect of the HTTP facade."""

    name: str

    def credential(self, headers: Mapping[str, str]) -> str | None:
        """The API key the caller presented, or None."""
        ...

    def request(self, route: HttpRoute, rule: MethodRule, variables: Mapping[str, str],
                query: MultiDictProxy[str], body: str, headers: Mapping[str, str]) -> Message:
        """The protobuf request of an HTTP request (``body``: the text, "" when there is none);
        ``InvalidArgument`` when it is not valid."""
        ...

    def response(self, route: HttpRoute, message: Message, url: URL) -> tuple[int, Any]:
        """(HTTP status, JSON body; None: no content) of a successful call to ``url``."""
        ...

    def error(self, status: status_pb2.Status) -> tuple[int, Any]:
        """(HTTP status, JSON body) of an error."""
        ...

    def operation(self, route: HttpRoute, rule: MethodRule, schemas: Any) -> dict[str, Any]:
        """The OpenAPI pieces of ``route``: ``parameters`` (query), ``requestBody`` (or absent),
        ``responses`` (success and error)."""
        ...


def dialect_routes(routes: list[HttpRoute]) -> list[HttpRoute]:
    """``routes`` (the ``google.api.http`` bindings) with the dialects' own bindings of the same
    methods (Patchworks' ``/api/v1/connectors``), most specific first."""
    from gateway.dialects import patchworks

    extra = patchworks.routes([route.method for route in routes])
    return sorted([*routes, *extra], key=lambda r: (-r.literal_length, -len(r.variables), r.template))


def dialect_of(route: HttpRoute) -> Dialect:
    """The dialect ``route`` speaks."""
    from gateway.dialects import commercetools, native, patchworks

    if patchworks.speaks(route):
        return patchworks.DIALECT
    if commercetools.speaks(route):
        return commercetools.DIALECT
    return native.DIALECT


def dialect_for_path(path: str) -> Dialect:
    """The dialect of a path no route matched."""
    from gateway.dialects import commercetools, native, patchworks

    for module in (patchworks, commercetools):
        if path == module.PREFIX or path.startswith(module.PREFIX + "/"):
            return module.DIALECT  # type: ignore[no-any-return]
    return native.DIALECT


def route_key(route: HttpRoute) -> tuple[str, str]:
    """What identifies a route (a method may have several)."""
    return route.verb, route.template


__all__ = ["Dialect", "dialect_for_path", "dialect_of", "dialect_routes", "route_key"]
