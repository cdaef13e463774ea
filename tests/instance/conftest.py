"""Fixtures of the instance tests: the repository on SQLite and PostgreSQL, real catalog and instance
servers on free ports, a connector to publish on that catalog and a real third-party HTTP server on
loopback (``faulty_catalog.FaultyCatalog`` stands in for the catalog where a test needs it slow or failing)."""

from __future__ import annotations

import base64
import uuid

import pytest

from instance_service.domain.secrets import Keyring
from instance_service.server import close_database
from instance_service.server import create_server as create_instance_server
from instance_service.storage.migrations import COMPONENT, MIGRATIONS
from instance_service.storage.models import database_proxy
from instance_service.storage.repository import InstanceRepository
from plugboard.catalog.v1 import catalog_service_pb2_grpc
from plugboard.instance.v1 import instance_service_pb2_grpc
from plugboard.settings import Settings
from plugboard.storage.database import open_database
from plugboard.storage.migrations import migrate
from tests.catalog.gitrepos import REVIEWER_PROJECTS
from tests.harness import start_server
from tests.instance.helpers import Connector
from tests.instance.third_party import ThirdParty

TEST_KEYS = "test-1:" + base64.b64encode(bytes(range(32))).decode()


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.parse(TEST_KEYS)


@pytest.fixture
def repository(database_url):
    """The instance repository on a freshly migrated database (SQLite file or PostgreSQL)."""
    db = open_database(database_url)
    migrate(db, COMPONENT, MIGRATIONS)
    database_proxy.initialize(db)
    yield InstanceRepository(db)
    close_database(db)


@pytest.fixture
def unique():
    """A fresh suffix, so tests sharing a PostgreSQL database never collide."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def catalog_server(database_url, tmp_path):
    """The real catalog server (its own tables in the same test database)."""
    from catalog_service.server import create_server as create_catalog_server

    settings = Settings(data_dir=tmp_path, catalog_database_url=database_url, deleting_stale_seconds=3600,
                        git_allow_file_urls=True, catalog_reviewer_projects=REVIEWER_PROJECTS)
    server = start_server(lambda: create_catalog_server(settings, port=0))
    yield server
    server.stop()


@pytest.fixture
def connector(catalog_server) -> Connector:
    """A connector of the real catalog, private to "acme"; its first ``publish`` creates it."""
    return Connector(catalog_service_pb2_grpc.CatalogServiceStub(catalog_server.channel))


@pytest.fixture
def third_party():
    """The third-party system of connection tests: a real HTTP server on loopback (``ThirdParty``)."""
    server = ThirdParty()
    yield server
    server.close()


@pytest.fixture
def instance_settings(database_url, tmp_path, catalog_server) -> Settings:
    return Settings(
        data_dir=tmp_path, instance_database_url=database_url, catalog_target=catalog_server.target,
        secret_keys=TEST_KEYS, pending_stale_seconds=60.0, connection_test_allow_cidrs=("127.0.0.0/8",),
        connection_test_timeout_seconds=2.0,
    )


@pytest.fixture
def instance_server(instance_settings):
    server = start_server(lambda: create_instance_server(instance_settings, port=0))
    yield server
    server.stop()


@pytest.fixture
def instances(instance_server):
    """An InstanceService stub over a real channel."""
    return instance_service_pb2_grpc.InstanceServiceStub(instance_server.channel)
