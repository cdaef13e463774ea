"""Fixtures of the catalog tests: a real catalog server on a free port, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from catalog_service.server import create_server
from plugboard.catalog.v1 import catalog_service_pb2_grpc, certification_service_pb2_grpc
from plugboard.settings import Settings
from tests.harness import start_server


@pytest.fixture
def catalog_server(database_url, tmp_path):
    settings = Settings(data_dir=tmp_path, catalog_database_url=database_url, deleting_stale_seconds=3600)
    server = start_server(lambda: create_server(settings, port=0))
    yield server
    server.stop()


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
