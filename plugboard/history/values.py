"""Values as a change record's JSON holds them, for every service's records (pure Python).

``camel`` names a field as the records (and commercetools) do; ``plain`` turns a domain value into what
JSON holds (tuples as lists, enums by value, dataclasses as objects with camelCase names, times in ISO
8601); ``camel_fields`` is a dataclass's own fields under camelCase names.
"""

from __future__ import annotations

from dataclasses import asdict, fields, is_dataclass
from datetime import datetime
from enum import Enum
from typing import Any


def camel(name: str) -> str:
    """``set_creator_email`` -> ``setCreatorEmail``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def plain(value: Any) -> Any:
    """``value`` as JSON holds it: tuples as lists, enums by value, dataclasses (a media link, a support
    contact) as objects with camelCase names, times in ISO 8601; anything else as it is."""
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return {camel(f.name): plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def camel_fields(value: Any) -> dict[str, Any]:
    """A dataclass's fields with camelCase names (nested values as ``asdict`` gives them)."""
    return {camel(name): item for name, item in asdict(value).items()}
