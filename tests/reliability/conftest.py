"""Fixtures of the reliability tests: a whole stack (catalog, instance, gateway) on SQLite or on its
own PostgreSQL database, seeded with a published connector and an instance, shared by a module.

The PostgreSQL database is created for the module (``plugboard_rel_<random>`` on the server named by
``PLUGBOARD_TEST_POSTGRES_URL``) and dropped afterwards, so these long-lived servers never share
tables with the function-scoped ``database_url`` tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.reliability.fuzz import FULL
from tests.reliability.stack import Stack, new_postgres_database, start_stack

HERE = os.path.dirname(os.path.abspath(__file__))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` here run with ``PLUGBOARD_FULL=1`` or when ``-m`` names ``slow``."""
    if FULL or "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow or PLUGBOARD_FULL=1")
    for item in items:
        if str(item.fspath).startswith(HERE) and item.get_closest_marker("slow"):
            item.add_marker(skip)


def storage_url(kind: str, directory, request: pytest.FixtureRequest) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'plugboard.db'}"
        return
    if os.environ.get("PLUGBOARD_TEST_POSTGRES", "").lower() == "skip":
        pytest.skip("PLUGBOARD_TEST_POSTGRES=skip")
    with new_postgres_database() as url:
        yield url


STORAGES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=STORAGES)
def stack(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    """Catalog, instance service and gateway on one database (per module and storage kind)."""
    directory = tmp_path_factory.mktemp(f"stack-{request.param}")
    for url in storage_url(request.param, directory, request):
        running = start_stack(request.param, url, directory)
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]
