"""Fixtures of the gateway tests: real catalog and instance servers and the gateway, on free ports.

The backends run on SQLite in a temporary directory (the gateway keeps no state, so storage backends
do not change what these tests see); the catalog's reconciler is kept out of the way.
"""

from __future__ import annotations

import socket
import uuid

import pytest

from plugboard.catalog.v1 import catalog_service_pb2_grpc, certification_service_pb2_grpc
from plugboard.instance.v1 import instance_service_pb2_grpc
from plugboard.settings import Settings
from tests.gateway.doubles import Record, create_double
from tests.harness import RunningServer, start_server

DEFAULT_DEADLINE = 7.0


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, deleting_stale_seconds=3600, pending_stale_seconds=3600,
                    default_deadline_seconds=DEFAULT_DEADLINE, grace_seconds=1.0)


def start_gateway(settings: Settings, catalog_target: str, instance_target: str) -> RunningServer:
    from gateway.server import create_server

    gateway_settings = settings.with_overrides(catalog_target=catalog_target,
                                               instance_target=instance_target)
    return start_server(lambda: create_server(gateway_settings, port=0))


@pytest.fixture
def catalog_server(settings):
    from catalog_service.server import create_server

    server = start_server(lambda: create_server(settings, port=0))
    yield server
    server.stop()


@pytest.fixture
def instance_server(settings, catalog_server):
    from instance_service.server import create_server

    instance_settings = settings.with_overrides(catalog_target=catalog_server.target)
    server = start_server(lambda: create_server(instance_settings, port=0))
    yield server
    server.stop()


@pytest.fixture
def gateway(settings, catalog_server, instance_server):
    """The gateway in front of the real catalog and instance servers."""
    server = start_gateway(settings, catalog_server.target, instance_server.target)
    yield server
    server.stop()


@pytest.fixture
def record() -> Record:
    return Record()


@pytest.fixture
def double_gateway(settings, record):
    """The gateway in front of the recording catalog double (no instance service)."""
    double = start_server(lambda: create_double(record))
    server = start_gateway(settings, double.target, f"127.0.0.1:{closed_port()}")
    yield server
    server.stop()
    double.stop()


@pytest.fixture
def catalog(gateway):
    """CatalogService through the gateway."""
    return catalog_service_pb2_grpc.CatalogServiceStub(gateway.channel)


@pytest.fixture
def direct_catalog(catalog_server):
    """CatalogService on the catalog itself (internal callers)."""
    return catalog_service_pb2_grpc.CatalogServiceStub(catalog_server.channel)


@pytest.fixture
def certification(gateway):
    return certification_service_pb2_grpc.CertificationServiceStub(gateway.channel)


@pytest.fixture
def instances(gateway):
    """InstanceService through the gateway."""
    return instance_service_pb2_grpc.InstanceServiceStub(gateway.channel)


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]
