"""Reading YAML 1.2 with bounded work, the way commercetools' parser (the npm ``yaml`` package) reads it.

``load(text, limits)`` returns plain Python values (dict with str keys, list, str, int, float, bool, None)
or raises ``YamlRefused`` with a message that names the line and column. It reads ruamel.yaml's event
stream and builds the values itself, iteratively, so that:

- scalars resolve by the YAML 1.2 core schema (``no``, ``yes``, ``on`` and ``off`` are strings; ``<<`` is an
  ordinary key, not a merge);
- a mapping key written twice is refused (``Map keys must be unique``), as the ``yaml`` package does;
- aliases follow the ``yaml`` package's rule against resource exhaustion: an anchor's uses, times the
  aliases its node holds, may not exceed ``max_alias_count`` (100);
- the work is bounded whatever the input: the nesting depth, the number of nodes read, the size of the
  document once aliases are expanded (nodes and characters), and a deadline.

Mapping keys become strings as in JavaScript (``1`` -> "1", ``true`` -> "true", ``null`` -> ""), because the
official rules see a JavaScript object.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)


@dataclass(frozen=True)
class YamlLimits:
    """Bounds on the work of reading one document."""

    max_depth: int = 64  # nested collections; a valid connect.yaml needs 7
    max_nodes: int = 100_000  # nodes written in the document
    max_expanded_nodes: int = 200_000  # nodes once every alias is expanded
    max_expanded_chars: int = 1024 * 1024  # characters of scalars once every alias is expanded
    max_alias_count: int = 100  # the yaml package's maxAliasCount
    deadline: float | None = None  # time.monotonic() after which reading stops


class YamlRefused(Exception):
    """The text is not a YAML document that can be read within the limits; ``str()`` says why and where."""


_NULL = re.compile(r"(?:~|[Nn]ull|NULL)?")
_BOOL = re.compile(r"(?:[Tt]rue|TRUE|[Ff]alse|FALSE)")
_INT_OCT = re.compile(r"0o[0-7]+")
_INT = re.compile(r"[-+]?[0-9]+")
_INT_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT_NAN = re.compile(r"(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)")
_FLOAT_EXP = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)")
_TAG = "tag:yaml.org,2002:"


class _Node:
    __slots__ = ("kind", "value", "items", "line", "column", "weight", "data", "block")

    def __init__(self, kind: str, line: int, column: int, value: Any = None) -> None:
        self.kind = kind  # "scalar", "seq", "map" or "alias"
        self.value = value  # scalar: its resolved value; alias: the anchored node
        self.items: list[Any] = []  # seq: nodes; map: [key node, value node] pairs
        self.line = line
        self.column = column
        self.weight: tuple[int, int] | None = None  # (nodes, characters) once aliases are expanded
        self.data: list[int] | None = None  # anchored node: [uses, alias count] (the yaml package's rule)
        self.block = False  # a block (not flow) collection


def _where(node: _Node | Any) -> str:
    return f"at line {node.line + 1}, column {node.column + 1}"


def resolve_plain(text: str) -> Any:
    """A plain scalar's value under the YAML 1.2 core schema (as the ``yaml`` package resolves it)."""
    if _NULL.fullmatch(text):
        return None
    if _BOOL.fullmatch(text):
        return text[0] in "tT"
    if _INT_OCT.fullmatch(text):
        return int(text[2:], 8)
    if _INT.fullmatch(text):
        return int(text)
    if _INT_HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT_NAN.fullmatch(text):
        return math.nan if text.endswith(("nan", "NaN", "NAN")) else (-math.inf if text[0] == "-" else math.inf)
    if _FLOAT_EXP.fullmatch(text) or _FLOAT.fullmatch(text):
        return float(text)
    return text


def _scalar_value(event: ScalarEvent) -> Any:
    tag = event.tag
    if tag is None and event.style is None:
        return resolve_plain(event.value)
    if tag is None or tag == "!" or tag == _TAG + "str":
        return event.value
    if tag in (_TAG + "null", _TAG + "bool", _TAG + "int", _TAG + "float"):
        value = resolve_plain(event.value)
        wanted = {"null": type(None), "bool": bool, "int": int, "float": (int, float)}[tag[len(_TAG):]]
        if not isinstance(value, wanted) or (tag.endswith("int") and isinstance(value, bool)):
            raise YamlRefused(f"the value {event.value!r} is not a {tag[len(_TAG):]} "
                              f"{_where(_mark(event))}")
        return float(value) if tag.endswith("float") else value
    return event.value  # other tags are not resolved: the text, as the yaml package keeps it


class _Mark:
    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column


def _mark(event: Any) -> _Mark:
    mark = getattr(event, "start_mark", None)
    return _Mark(getattr(mark, "line", 0), getattr(mark, "column", 0))


def _same_key(a: _Node, b: _Node) -> bool:
    """The yaml package's uniqueKeys test: the same node, or scalars with the same resolved value."""
    if a is b:
        return True
    if a.kind != "scalar" or b.kind != "scalar":
        return False
    x, y = a.value, b.value
    if type(x) is not type(y) and not (isinstance(x, (int, float)) and isinstance(y, (int, float))
                                       and not isinstance(x, bool) and not isinstance(y, bool)):
        return False
    return x == y


def load(text: str, limits: YamlLimits = YamlLimits()) -> Any:
    """The document's value; raises ``YamlRefused`` (never anything else for any input text)."""
    try:
        root = _compose(text, limits)
    except YamlRefused:
        raise
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise YamlRefused(f"{problem}{where}") from None
    except YAMLError as exc:
        raise YamlRefused(str(exc).splitlines()[0][:200] if str(exc) else "syntax error") from None
    except RecursionError:
        raise YamlRefused("the document is nested too deeply") from None
    if root is None:
        return None
    return _Converter(limits).value(root)


_TABBED_COMMENT = re.compile(r"^[ \t]*\t[ \t]*(?=#|$)", re.M)


def _untab_comment_lines(text: str) -> str:
    """YAML 1.2 allows tabs before a comment or on an empty line (ruamel.yaml's scanner does not): those
    tabs become spaces, one for one, so that line and column numbers stay the same."""
    return _TABBED_COMMENT.sub(lambda m: m.group(0).replace("\t", " "), text)


def _compose(text: str, limits: YamlLimits) -> _Node | None:
    anchors: dict[str, _Node] = {}
    stack: list[_Node] = []
    pending_key: list[_Node | None] = []  # per open mapping: the key waiting for its value
    root: _Node | None = None
    documents = 0
    count = 0
    parser = YAML(typ="safe", pure=True)
    text = _untab_comment_lines(text)
    lines = text.split("\n")
    for event in parser.parse(text):
        count += 1
        if count % 2000 == 0 and limits.deadline is not None and time.monotonic() > limits.deadline:
            raise YamlRefused("reading the document took too long")
        if isinstance(event, DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise YamlRefused("Source contains multiple documents " + _where(_mark(event)))
            continue
        mark = _mark(event)
        if isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            done = stack.pop()
            pending_key.pop()
            _close(done)
            _attach(done, stack, pending_key)
            if not stack:
                root = done
            continue
        if isinstance(event, AliasEvent):
            target = anchors.get(event.anchor)
            if target is None:
                raise YamlRefused(f"Unresolved alias (the anchor must be set before the alias): "
                                  f"{event.anchor} {_where(mark)}")
            if any(open_node is target for open_node in stack):
                raise YamlRefused(f"the alias *{event.anchor} refers to a node that contains it {_where(mark)}")
            node = _Node("alias", mark.line, mark.column, target)
            node.weight = target.weight
        elif isinstance(event, ScalarEvent):
            if event.style in ("'", '"'):
                _check_continuation(event, stack, lines)
            node = _Node("scalar", mark.line, mark.column, _scalar_value(event))
            node.weight = (1, len(node.value) if isinstance(node.value, str) else 0)
        elif isinstance(event, (SequenceStartEvent, MappingStartEvent)):
            node = _Node("seq" if isinstance(event, SequenceStartEvent) else "map", mark.line, mark.column)
            node.block = not event.flow_style
        else:
            continue
        if count > limits.max_nodes * 2 + 10:
            raise YamlRefused(f"the document has more than {limits.max_nodes} nodes")
        anchor = getattr(event, "anchor", None)
        if anchor and not isinstance(event, AliasEvent):
            anchors[anchor] = node
        if node.kind in ("seq", "map"):
            if len(stack) >= limits.max_depth:
                raise YamlRefused(f"the document is nested deeper than {limits.max_depth} levels {_where(mark)}")
            stack.append(node)
            pending_key.append(None)
            continue
        _attach(node, stack, pending_key)
        if not stack:
            root = node
    return root


def _check_continuation(event: ScalarEvent, stack: list[_Node], lines: list[str]) -> None:
    """The yaml package ends a quoted scalar at a line indented no deeper than the block collection
    holding it (and then misses its closing quote); ruamel.yaml reads on. Refuse it, as the yaml package."""
    end = getattr(event, "end_mark", None)
    start = _mark(event)
    if end is None or end.line == start.line:
        return
    block = next((node for node in reversed(stack) if node.block), None)
    needed = block.column + 1 if block is not None else 0
    for number in range(start.line + 1, end.line + 1):
        line = lines[number] if number < len(lines) else ""
        if line.strip(" \t\r") and len(line) - len(line.lstrip(" ")) < needed:
            quote = event.style
            raise YamlRefused(f"Missing closing {quote}quote {_where(start)}")


def _attach(node: _Node, stack: list[_Node], pending_key: list[_Node | None]) -> None:
    if not stack:
        return
    parent = stack[-1]
    if parent.kind == "seq":
        parent.items.append(node)
        return
    key = pending_key[-1]
    if key is None:
        for existing, _ in parent.items:
            if _same_key(existing, node):
                raise YamlRefused(f"Map keys must be unique {_where(node)}")
        pending_key[-1] = node
        return
    parent.items.append((key, node))
    pending_key[-1] = None


class _Converter:
    """Nodes to values, with the alias and expansion budgets checked as the yaml package converts."""

    def __init__(self, limits: YamlLimits) -> None:
        self.limits = limits
        self.nodes = 0
        self.chars = 0
        self.done: dict[int, Any] = {}  # id(node) -> value, so an alias shares its anchor's value

    def value(self, root: _Node) -> Any:
        return self._convert(root)

    def _spend(self, node: _Node, alias: _Node) -> None:
        nodes, chars = node.weight or (1, 0)
        self.nodes += nodes
        self.chars += chars
        if self.nodes > self.limits.max_expanded_nodes or self.chars > self.limits.max_expanded_chars:
            raise YamlRefused(f"expanding the aliases makes the document larger than "
                              f"{self.limits.max_expanded_nodes} nodes or {self.limits.max_expanded_chars} "
                              f"characters {_where(alias)}")

    def _convert(self, node: _Node) -> Any:
        if node.kind == "alias":
            target = node.value
            if target.data is None:
                target.data = [0, 0]
            target.data[0] += 1
            if target.data[1] == 0:
                target.data[1] = _alias_count(target)
            if target.data[0] * target.data[1] > self.limits.max_alias_count:
                raise YamlRefused("Excessive alias count indicates a resource exhaustion attack "
                                  + _where(node))
            self._spend(target, node)
            return self.done[id(target)]
        if node.kind == "scalar":
            value = node.value
        elif node.kind == "seq":
            value = [self._convert(item) for item in node.items]
        else:
            value = {}
            for key_node, value_node in node.items:
                key = _js_key(self._convert(key_node))
                value[key] = self._convert(value_node)
        self.nodes += 1
        if node.kind == "scalar" and isinstance(value, str):
            self.chars += len(value)
        if self.nodes > self.limits.max_expanded_nodes or self.chars > self.limits.max_expanded_chars:
            raise YamlRefused(f"the document is larger than {self.limits.max_expanded_nodes} nodes or "
                              f"{self.limits.max_expanded_chars} characters")
        self.done[id(node)] = value
        return value


def _alias_count(node: _Node) -> int:
    """The yaml package's getAliasCount: the largest (uses x alias count) of the aliases a node holds."""
    if node.kind == "alias":
        data = node.value.data
        return data[0] * data[1] if data else 0
    if node.kind == "seq":
        return max((_alias_count(item) for item in node.items), default=0)
    if node.kind == "map":
        return max((max(_alias_count(k), _alias_count(v)) for k, v in node.items), default=0)
    return 1


def _close(node: _Node) -> None:
    """Record a finished collection's weight: (nodes, characters) with its aliases expanded."""
    children = node.items if node.kind == "seq" else [child for pair in node.items for child in pair]
    nodes, chars = 1, 0
    for child in children:
        n, c = child.weight or (1, 0)
        nodes, chars = nodes + n, chars + c
    node.weight = (nodes, chars)


def _js_key(key: Any) -> str:
    """A mapping key as a JavaScript object key."""
    if isinstance(key, str):
        return key
    if key is None:
        return ""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float):
        if math.isnan(key):
            return "NaN"
        if math.isinf(key):
            return "Infinity" if key > 0 else "-Infinity"
        if key == int(key) and abs(key) < 1e21:
            return str(int(key))
        return repr(key)
    if isinstance(key, int):
        return str(key)
    return str(key)
