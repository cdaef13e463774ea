"""List parameters of the catalog (seed 002's limit and offset) and the page a list returns."""

from __future__ import annotations

from plugboard.errors import Validator
from plugboard.page import Page  # one page type for every list (re-exported for the domain)

MAX_LIMIT = 500
DEFAULT_LIMIT = 20
MAX_OFFSET = 10_000_000


def check_paging(limit: int, offset: int) -> int:
    """Validate seed 002's limit/offset; return the effective limit."""
    v = Validator()
    v.require(0 <= limit <= MAX_LIMIT, "limit", f"must be from 1 to {MAX_LIMIT} (0 means {DEFAULT_LIMIT})")
    v.require(0 <= offset <= MAX_OFFSET, "offset", f"must be from 0 to {MAX_OFFSET}")
    v.raise_if_any()
    return limit or DEFAULT_LIMIT
