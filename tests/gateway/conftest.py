"""Fixtures of the gateway tests: real catalog and instance servers and the gateway, on free ports.

The backends run on SQLite in a temporary directory; the gateway's key database is SQLite too (the key
storage tests run it on PostgreSQL as well). The catalog's reconciler is kept out of the way.
Channels to the gateway carry an API key: ``gateway.channel`` one of project ``acme`` with every scope;
``keys.channel(project, scopes)`` others.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import grpc
import pytest

from gateway import keys as key_domain
from gateway.key_store import KeyStore

from plugboard.catalog.v1 import catalog_service_pb2_grpc, certification_service_pb2_grpc
from plugboard.instance.v1 import instance_service_pb2_grpc
from plugboard.settings import Settings
from tests.catalog.gitrepos import PUBLISHING_SETTINGS
from tests.gateway.doubles import Record, create_double
from tests.harness import RunningServer, start_server
from bench.procs import free_port as closed_port

DEFAULT_DEADLINE = 7.0


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path, deleting_stale_seconds=3600, pending_stale_seconds=3600,
                    default_deadline_seconds=DEFAULT_DEADLINE, grace_seconds=1.0, **PUBLISHING_SETTINGS)


class _Auth(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Adds ``authorization: Bearer <key>`` to every call."""

    def __init__(self, key: str) -> None:
        self.key = key

    def _details(self, details):  # type: ignore[no-untyped-def]
        metadata = [*(details.metadata or ()), ("authorization", f"Bearer {self.key}")]
        return details._replace(metadata=metadata) if hasattr(details, "_replace") else _Details(
            details.method, details.timeout, metadata, details.credentials,
            getattr(details, "wait_for_ready", None), getattr(details, "compression", None))

    def intercept_unary_unary(self, continuation, details, request):  # type: ignore[no-untyped-def]
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):  # type: ignore[no-untyped-def]
        return continuation(self._details(details), request)


class _Details(grpc.ClientCallDetails):
    def __init__(self, method, timeout, metadata, credentials, wait_for_ready, compression):  # type: ignore[no-untyped-def]
        self.method, self.timeout, self.metadata = method, timeout, metadata
        self.credentials, self.wait_for_ready, self.compression = credentials, wait_for_ready, compression


def with_key(target: str, key: str) -> grpc.Channel:
    """A channel to ``target`` whose calls carry ``key``."""
    return grpc.intercept_channel(grpc.insecure_channel(target), _Auth(key))


class Keys:
    """Creates keys in a gateway's key database and channels that use them."""

    def __init__(self, database_url: str, target: str = "") -> None:
        self.store = KeyStore.open(database_url)
        self.target = target
        self._channels: list[grpc.Channel] = []

    def create(self, project: str = "acme", scopes: Iterable[str] = key_domain.SCOPES) -> str:
        return self.store.create(project, list(scopes), "test").key

    def channel(self, project: str = "acme", scopes: Iterable[str] = key_domain.SCOPES,
                key: str | None = None) -> grpc.Channel:
        channel = with_key(self.target, key or self.create(project, scopes))
        self._channels.append(channel)
        return channel

    def close(self) -> None:
        for channel in self._channels:
            channel.close()
        self.store.close()


def start_gateway(settings: Settings, catalog_target: str, instance_target: str, *,
                  project: str = "acme", **options) -> RunningServer:  # type: ignore[no-untyped-def]
    """The gateway on free ports; its ``channel`` carries a key of ``project`` with every scope."""
    from gateway.server import create_server

    gateway_settings = settings.with_overrides(catalog_target=catalog_target,
                                               instance_target=instance_target)
    server = start_server(lambda: create_server(gateway_settings, port=0, http_port=0, **options))
    store = KeyStore.open(gateway_settings.gateway_database_url)
    try:
        key = store.create(project, list(key_domain.SCOPES), "fixture").key
    finally:
        store.close()
    server.channel.close()
    server.channel = with_key(server.target, key)
    server.key = key  # type: ignore[attr-defined]
    return server


@pytest.fixture
def catalog_server(settings):
    from catalog_service.server import create_server

    server = start_server(lambda: create_server(settings, port=0, poll_seconds=0.1))
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
def keys(settings, gateway):
    """Keys of the ``gateway`` fixture's database, and channels to it that use them."""
    made = Keys(settings.gateway_database_url, gateway.target)
    yield made
    made.close()


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
