"""ListInstances and CountConnectorReferences parameters: defaults, limits and their validation."""

from __future__ import annotations

from dataclasses import dataclass

from plugboard.errors import Validator

from .model import TestOutcome
from .validation import TEXT_MAX, check_project

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
SORTS = ("name", "-name")
DEFAULT_SORT = "name"
DEFAULT_REFERENCE_LIMIT = 10
MAX_REFERENCE_LIMIT = 100


@dataclass(frozen=True)
class ListQuery:
    """A validated ListInstances request (defaults applied)."""

    project: str
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    sort: str = DEFAULT_SORT
    connector_id: str = ""
    connector_key: str = ""
    name_prefix: str = ""
    last_test_outcome: TestOutcome = TestOutcome.UNSPECIFIED
    session_id: str = ""
    platform_app_key: str = ""
    page_token: str = ""

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    def filters(self) -> dict[str, str]:
        """The parameters a page token is bound to (everything but the page position and size)."""
        return {
            "project": self.project, "sort": self.sort, "connector_id": self.connector_id,
            "connector_key": self.connector_key, "name_prefix": self.name_prefix,
            "last_test_outcome": self.last_test_outcome.value, "session_id": self.session_id,
            "platform_app_key": self.platform_app_key,
        }


def list_query(
    project: str,
    *,
    page: int = 0,
    per_page: int = 0,
    sort: str = "",
    connector_id: str = "",
    connector_key: str = "",
    name_prefix: str = "",
    last_test_outcome: TestOutcome = TestOutcome.UNSPECIFIED,
    session_id: str = "",
    platform_app_key: str = "",
    page_token: str = "",
) -> ListQuery:
    """A ListQuery with defaults applied; InvalidArgument naming each bad parameter."""
    v = Validator()
    check_project(v, project)
    v.require(page >= 0, "page", "must be 1 or more (0 means 1)")
    v.require(0 <= per_page <= MAX_PER_PAGE, "per_page", f"must be from 1 to {MAX_PER_PAGE} (0 means {DEFAULT_PER_PAGE})")
    v.require(sort in ("",) + SORTS, "sort", 'must be "name" or "-name"')
    for name, value in (("connector_id", connector_id), ("connector_key", connector_key),
                        ("name_prefix", name_prefix), ("session_id", session_id),
                        ("platform_app_key", platform_app_key)):
        v.check_max_length(value, name, TEXT_MAX)
    v.check_max_length(page_token, "page_token", 2048)
    v.raise_if_any()
    return ListQuery(
        project=project, page=page or 1, per_page=per_page or DEFAULT_PER_PAGE, sort=sort or DEFAULT_SORT,
        connector_id=connector_id, connector_key=connector_key, name_prefix=name_prefix,
        last_test_outcome=last_test_outcome, session_id=session_id, platform_app_key=platform_app_key,
        page_token=page_token,
    )


def reference_limit(connector_id: str, limit: int) -> int:
    """The number of referencing instances to name (default 10, at most 100); validates connector_id."""
    v = Validator()
    v.check_not_empty(connector_id, "connector_id")
    v.require(0 <= limit <= MAX_REFERENCE_LIMIT, "limit",
              f"must be from 1 to {MAX_REFERENCE_LIMIT} (0 means {DEFAULT_REFERENCE_LIMIT})")
    v.raise_if_any()
    return limit or DEFAULT_REFERENCE_LIMIT
