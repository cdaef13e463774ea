"""One page of a list, as every list of every service returns it (plain data: domain code uses it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Page:
    """The items of one page, how many match in all (None when a list does not count), the offset of the
    first item, and the token for the next page ("" on the last one)."""

    items: tuple[Any, ...]
    total: int | None
    offset: int
    next_page_token: str = ""
