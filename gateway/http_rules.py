"""The ``google.api.http`` annotations of the served methods, read from the proto descriptors.

One ``HttpRoute`` per annotated method: verb, path template, body field. A template such as
``/connectors/drafts/key={key}``, ``/projects/{project}/instances/{instance.id}`` or
``/connectors/drafts/{id}:watch`` is compiled to a regular expression whose groups are the request
fields the path sets. Routes are matched most specific first (more literal characters win), so
``/connectors/drafts/key=abc`` is the by-key route, not ``/connectors/drafts/{id}`` with id ``key=abc``.

Methods without an annotation are not part of the public API: the gateway refuses them over gRPC
(``INTERNAL_METHOD``) and has no route for them. The HTTP facade and the OpenAPI document are both
built from ``routes()``: there is no second hand-written table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from google.api import annotations_pb2, http_pb2
from google.protobuf.descriptor import MethodDescriptor

_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)(?:=([^}]*))?\}")


@dataclass(frozen=True)
class HttpRoute:
    """One HTTP binding of a method."""

    method: MethodDescriptor
    verb: str  # "GET", "POST", "PUT", "PATCH", "DELETE"
    template: str
    body: str  # "" (no body), "*" (the whole request) or a request field name
    variables: tuple[str, ...]  # request field paths set from the path, in order
    pattern: re.Pattern[str]
    literal_length: int  # for ordering: more literal characters, more specific

    @property
    def path(self) -> str:
        return f"/{self.method.containing_service.full_name}/{self.method.name}"

    def match(self, path: str) -> dict[str, str] | None:
        """The path variables (percent-decoded) when ``path`` is this route's, else None."""
        found = self.pattern.fullmatch(path)
        if found is None:
            return None
        return {field: unquote(found.group(f"v{i}")) for i, field in enumerate(self.variables)}


def http_rule(method: MethodDescriptor) -> http_pb2.HttpRule | None:
    """The method's ``google.api.http`` option, or None when it has none."""
    options = method.GetOptions()
    if not options.HasExtension(annotations_pb2.http):
        return None
    return options.Extensions[annotations_pb2.http]


def compile_template(template: str) -> tuple[re.Pattern[str], tuple[str, ...], int]:
    """(regex, variable field paths, literal length) of a path template."""
    parts: list[str] = []
    variables: list[str] = []
    literal = 0
    position = 0
    for found in _VARIABLE.finditer(template):
        text = template[position:found.start()]
        parts.append(re.escape(text))
        literal += len(text)
        segment_pattern = found.group(2) or "*"
        group = f"v{len(variables)}"
        parts.append(f"(?P<{group}>.+)" if "**" in segment_pattern else f"(?P<{group}>[^/]+)")
        variables.append(found.group(1))
        position = found.end()
    tail = template[position:]
    parts.append(re.escape(tail))
    literal += len(tail)
    return re.compile("".join(parts)), tuple(variables), literal


def route_of(method: MethodDescriptor) -> HttpRoute | None:
    rule = http_rule(method)
    if rule is None:
        return None
    kind = rule.WhichOneof("pattern")
    if kind is None or kind == "custom":
        return None
    template = getattr(rule, kind)
    pattern, variables, literal = compile_template(template)
    return HttpRoute(method=method, verb=kind.upper(), template=template, body=rule.body,
                     variables=variables, pattern=pattern, literal_length=literal)


def routes(methods: list[MethodDescriptor]) -> list[HttpRoute]:
    """The routes of ``methods``, most specific first."""
    found = [route for route in map(route_of, methods) if route is not None]
    return sorted(found, key=lambda r: (-r.literal_length, -len(r.variables), r.template))
