"""Fixtures of the catalog tests: a real catalog server on a free port, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from catalog_service.server import create_server
from plugboard.catalog.v1 import catalog_service_pb2_grpc, certification_service_pb2_grpc
from plugboard.settings import Settings
from tests.catalog.gitrepos import GOOD_FILES, PUBLISHING_SETTINGS, make_repo
from tests.harness import start_server

POLL_SECONDS = 0.2  # how often job workers and watch streams look at the database in these tests


@pytest.fixture
def catalog_settings(database_url, tmp_path) -> Settings:
    """Settings of a test catalog: its database, file:// repositories allowed, a short git deadline."""
    return Settings(data_dir=tmp_path, catalog_database_url=database_url, deleting_stale_seconds=3600,
                    publish_timeout_seconds=20, **PUBLISHING_SETTINGS)


@pytest.fixture
def catalog_server(catalog_settings):
    server = start_server(lambda: create_server(catalog_settings, port=0, poll_seconds=POLL_SECONDS))
    yield server
    server.stop()


@pytest.fixture
def repo_url(tmp_path):
    """A good connector repository (connect.yaml at tag v1.0.0); its file:// URL."""
    return make_repo(tmp_path / "good-repo", GOOD_FILES)


@pytest.fixture
def catalog(catalog_server):
    """A CatalogService stub over a real channel."""
    return catalog_service_pb2_grpc.CatalogServiceStub(catalog_server.channel)


@pytest.fixture
def certification(catalog_server):
    return certification_service_pb2_grpc.CertificationServiceStub(catalog_server.channel)


@pytest.fixture
def unique():
    """A fresh suffix, so tests sharing a PostgreSQL database never collide on keys."""
    return uuid.uuid4().hex[:10]


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` here run only when asked for (``-m slow``)."""
    if "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow")
    for item in items:
        if "slow" in item.keywords and "tests/catalog/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(skip)
