"""Authorization per method, derived from the service descriptors (new RPCs are covered automatically).

For every method of a served service, ``MethodRule`` says:

- whether it is internal: a method without a ``google.api.http`` annotation is not part of the public
  API (the deletion lifecycle, the usability check, the reference count); the gateway refuses it;
- the scope it needs: reading (an HTTP GET binding) needs the service's view scope, anything else its
  manage scope; every CertificationService method needs ``certify_connectors``; the gateway's own
  API-key history (``KeyChangeHistoryService``) accepts any view scope (``ANY_OF``);
- how the key's project reaches the request. A request with a ``project`` field gets the key's project
  when it names none; one that names another project is refused: for InstanceService, where the project
  is where the instance lives, a request addressing one instance answers NOT_FOUND exactly as a missing
  instance does, the others PERMISSION_DENIED ``PROJECT_MISMATCH``; for the catalog, where the project
  is who is asking (visibility of private connectors, the creator project), PERMISSION_DENIED
  ``PROJECT_MISMATCH``. A request with a ``reviewer`` field (certification) gets the key's project
  as the reviewer the same way.

This is the one place the gateway decodes a forwarded request, and only methods whose request has such
a field pay for it. Setting the field never re-encodes the request: the field is appended to the bytes
(for a singular field the last occurrence wins when parsing, per the protobuf encoding rules).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor
from google.protobuf.message import DecodeError, Message

from gateway import keys
from gateway.forwarding import method_path
from gateway.http_rules import HttpRoute, route_of
from plugboard.errors import (
    InvalidArgument,
    NotFound,
    PermissionDenied,
    PlugboardError,
    installation_not_found,
    instance_not_found,
)

# Service -> (scope to read, scope to change).
SCOPES_BY_SERVICE: dict[str, tuple[str, str]] = {
    "plugboard.catalog.v1.CatalogService": (keys.VIEW_CONNECTORS, keys.MANAGE_CONNECTORS),
    "plugboard.catalog.v1.CertificationService": (keys.CERTIFY_CONNECTORS, keys.CERTIFY_CONNECTORS),
    "plugboard.instance.v1.InstanceService": (keys.VIEW_INSTANCES, keys.MANAGE_INSTANCES),
    # The change history: read-only, seen with the view scope of the service whose resources it records.
    "plugboard.catalog.v1.CatalogChangeHistoryService": (keys.VIEW_CONNECTORS, keys.VIEW_CONNECTORS),
    "plugboard.instance.v1.InstanceChangeHistoryService": (keys.VIEW_INSTANCES, keys.VIEW_INSTANCES),
    # The gateway's own history of the project's API keys (read-only): see ANY_OF.
    "plugboard.gateway.v1.KeyChangeHistoryService": (keys.VIEW_CONNECTORS, keys.VIEW_CONNECTORS),
}
# Services whose methods accept any of several scopes (the first is ``MethodRule.scope``). A project's
# key records (names, scopes, who created and revoked them; never a secret) concern every key of the
# project alike, whichever backend its scopes are for: any view scope reads them (a manage scope implies
# its view scope). A certify-only key, a reviewer's, reads no resource of its project and not these.
ANY_OF: dict[str, tuple[str, ...]] = {
    "plugboard.gateway.v1.KeyChangeHistoryService": (keys.VIEW_CONNECTORS, keys.VIEW_INSTANCES),
}
# Services whose requests' project is the owner of the resource -> the NOT_FOUND the service itself
# answers for a missing one (the gateway answers it for another project's resource).
OWNER_RESOURCE: dict[str, Callable[[str], NotFound]] = {"plugboard.instance.v1.InstanceService": instance_not_found}
# Routes under these path prefixes address another resource of the service than its main one.
OWNER_RESOURCE_BY_PREFIX: dict[str, Callable[[str], NotFound]] = {
    "/projects/{project}/installations/": installation_not_found,
}
IDENTITY_FIELDS = ("project", "reviewer")


@dataclass(frozen=True)
class MethodRule:
    """How the gateway treats one method."""

    method: MethodDescriptor
    path: str
    route: HttpRoute | None
    scope: str | None  # None: internal
    accepted: tuple[str, ...]  # the scopes any one of which admits the call: (scope,) unless ANY_OF says
    request_class: type[Message]
    response_class: type[Message]
    identity_field: str | None  # "project", "reviewer" or None
    owner_resource: Callable[[str], NotFound] | None  # the NOT_FOUND for another project's resource
    resource_id_field: str | None  # request field path of that resource's id
    # project -> the encoded identity field appended for it (a few projects per gateway; bounded below)
    _identity_cache: dict[str, bytes] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def internal(self) -> bool:
        return self.scope is None

    def check_scope(self, principal: keys.Principal) -> None:
        if self.scope is None:
            raise internal_method(self.method)
        if not any(scope in principal.scopes for scope in self.accepted):
            needed = (f"the scope {self.scope!r}" if len(self.accepted) == 1
                      else f"one of the scopes {', '.join(repr(s) for s in self.accepted)}")
            raise PermissionDenied(
                f"the API key lacks {needed} that "
                f"{self.method.containing_service.name}.{self.method.name} requires",
                reason="MISSING_SCOPE", metadata={"scope": ",".join(self.accepted), "method": self.path})

    def admit_bytes(self, principal: keys.Principal, request: bytes) -> bytes:
        """The request as it goes to the backend, or the refusal (a ``PlugboardError``)."""
        self.check_scope(principal)
        if self.identity_field is None:
            return request
        try:
            message = self.request_class.FromString(request)
        except DecodeError:
            raise InvalidArgument.single(
                "", f"the request is not a valid {self.request_class.DESCRIPTOR.full_name}") from None
        given = getattr(message, self.identity_field)
        if given == principal.project:
            return request
        if given:
            raise self.foreign(message, principal, given)
        return request + self._identity_bytes(principal.project)

    def admit_message(self, principal: keys.Principal, message: Message) -> None:
        """As ``admit_bytes``, on a decoded request (HTTP/JSON); sets the identity field in place."""
        self.check_scope(principal)
        if self.identity_field is None:
            return
        given = getattr(message, self.identity_field)
        if given and given != principal.project:
            raise self.foreign(message, principal, given)
        setattr(message, self.identity_field, principal.project)

    def _identity_bytes(self, project: str) -> bytes:
        encoded = self._identity_cache.get(project)
        if encoded is None:
            message = self.request_class(**{self.identity_field: project})  # type: ignore[misc]
            encoded = message.SerializeToString()
            if len(self._identity_cache) >= 1024:
                self._identity_cache.clear()
            self._identity_cache[project] = encoded
        return encoded

    def foreign(self, message: Message, principal: keys.Principal, given: str) -> PlugboardError:
        if self.owner_resource is not None and self.resource_id_field is not None:
            resource_id = str(field_value(message, self.resource_id_field))
            return self.owner_resource(resource_id)  # exactly what the service answers for a missing one
        return PermissionDenied(
            f"this API key belongs to project {principal.project!r} and cannot act for project "
            f"{given!r}", reason="PROJECT_MISMATCH", metadata={self.identity_field or "project": given})


def field_value(message: Message, path: str) -> Any:
    value: Any = message
    for part in path.split("."):
        value = getattr(value, part)
    return value


def internal_method(method: MethodDescriptor) -> PermissionDenied:
    return PermissionDenied(
        f"{method.containing_service.name}.{method.name} is internal to Plugboard and not served "
        "to external callers",
        reason="INTERNAL_METHOD", metadata={"method": method_path(method)},
    )


def rule_of(method: MethodDescriptor) -> MethodRule:
    service = method.containing_service.full_name
    route = route_of(method)
    view, manage = SCOPES_BY_SERVICE[service]
    scope = None if route is None else (view if route.verb == "GET" else manage)
    accepted = () if scope is None else ANY_OF.get(service, (scope,))
    fields = method.input_type.fields_by_name
    identity = next((name for name in IDENTITY_FIELDS if name in fields
                     and fields[name].type == fields[name].TYPE_STRING), None)
    owner = OWNER_RESOURCE.get(service) if identity == "project" else None
    if owner is not None and route is not None:
        owner = next((found for prefix, found in OWNER_RESOURCE_BY_PREFIX.items()
                      if route.template.startswith(prefix)), owner)
    resource_id = None
    if owner is not None and route is not None:
        others = [v for v in route.variables if v != "project"]
        resource_id = others[-1] if others else None
    return MethodRule(
        method=method, path=method_path(method), route=route, scope=scope, accepted=accepted,
        request_class=message_factory.GetMessageClass(method.input_type),
        response_class=message_factory.GetMessageClass(method.output_type),
        identity_field=identity,
        owner_resource=owner if resource_id else None, resource_id_field=resource_id,
    )


def rules_of(services: list[ServiceDescriptor] | tuple[ServiceDescriptor, ...]) -> dict[str, MethodRule]:
    """The rule of every method of ``services``, by method path."""
    return {method_path(m): rule_of(m) for service in services for m in service.methods}
