"""The operability tests: ``slow`` ones run with ``PLUGBOARD_FULL=1`` or when ``-m`` names ``slow``; the
ones marked ``postgres`` (their own databases on PLUGBOARD_TEST_POSTGRES_URL's server) are skipped with
``PLUGBOARD_TEST_POSTGRES=skip``."""

from __future__ import annotations

import os

import pytest

from tests.reliability.fuzz import FULL

HERE = os.path.dirname(os.path.abspath(__file__))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run_slow = FULL or "slow" in (config.getoption("markexpr") or "")
    no_postgres = os.environ.get("PLUGBOARD_TEST_POSTGRES", "").lower() == "skip"
    for item in items:
        if not str(item.fspath).startswith(HERE):
            continue
        if item.get_closest_marker("slow") and not run_slow:
            item.add_marker(pytest.mark.skip(reason="slow: run with -m slow or PLUGBOARD_FULL=1"))
        if item.get_closest_marker("postgres") and no_postgres:
            item.add_marker(pytest.mark.skip(reason="PLUGBOARD_TEST_POSTGRES=skip"))
