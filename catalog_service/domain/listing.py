"""List parameters of the catalog (seed 002's limit and offset) and the page a list returns."""

from __future__ import annotations

from dataclasses import dataclass

from plugboard.errors import Validator

MAX_LIMIT = 500
DEFAULT_LIMIT = 20
MAX_OFFSET = 10_000_000


@dataclass(frozen=True)
class Page:
    """One page of a list: the items, the total matching, and the token for the next page."""

    items: list
    total: int
    offset: int
    next_page_token: str


def check_paging(limit: int, offset: int) -> int:
    """Validate seed 002's limit/offset; return the effective limit."""
    v = Validator()
    v.require(0 <= limit <= MAX_LIMIT, "limit", f"must be from 1 to {MAX_LIMIT} (0 means {DEFAULT_LIMIT})")
    v.require(0 <= offset <= MAX_OFFSET, "offset", f"must be from 0 to {MAX_OFFSET}")
    v.raise_if_any()
    return limit or DEFAULT_LIMIT
