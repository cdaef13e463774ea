"""HTTP dialects: how one route's JSON looks. The facade (``gateway.http_api``) picks one per route.

A ``Dialect`` turns an HTTP request (path variables, query, body text) into the method's protobuf
request, the protobuf response into its JSON body and HTTP status, and a ``google.rpc.Status`` into
its error body; it also describes a route for the OpenAPI document (``gateway.openapi``).

- ``commercetools`` (``gateway.dialects.commercetools``): seed 002, commercetools Connect's own JSON,
  on the CatalogService routes commercetools' SDK has (drafts, connectors by id and key, search);
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

from gateway.http_rules import HttpRoute
from gateway.policy import MethodRule


class Dialect(Protocol):
    """One JSON dialect of the HTTP facade."""

    name: str

    def request(self, route: HttpRoute, rule: MethodRule, variables: Mapping[str, str],
                query: MultiDictProxy[str], body: str) -> Message:
        """The protobuf request of an HTTP request (``body``: the text, "" when there is none);
        ``InvalidArgument`` when it is not valid."""
        ...

    def response(self, route: HttpRoute, message: Message) -> tuple[int, Any]:
        """(HTTP status, JSON body) of a successful call."""
        ...

    def error(self, status: status_pb2.Status) -> tuple[int, Any]:
        """(HTTP status, JSON body) of an error."""
        ...

    def operation(self, route: HttpRoute, rule: MethodRule, schemas: Any) -> dict[str, Any]:
        """The OpenAPI pieces of ``route``: ``parameters`` (query), ``requestBody`` (or absent),
        ``responses`` (success and error)."""
        ...


def dialect_of(route: HttpRoute) -> Dialect:
    """The dialect ``route`` speaks."""
    from gateway.dialects import commercetools, native

    if commercetools.speaks(route):
        return commercetools.DIALECT
    return native.DIALECT


def dialect_for_path(path: str) -> Dialect:
    """The dialect of a path no route matched."""
    from gateway.dialects import commercetools, native

    if path == commercetools.PREFIX or path.startswith(commercetools.PREFIX + "/"):
        return commercetools.DIALECT
    return native.DIALECT


__all__ = ["Dialect", "dialect_for_path", "dialect_of"]
