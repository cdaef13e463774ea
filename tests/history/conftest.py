"""The change history's stack: real catalog, instance and gateway servers on one database (SQLite or
PostgreSQL), shared by the tests of a module (starting three servers per test would dominate the time).

``stack.catalog`` / ``certification`` / ``instances`` go through the gateway with a key of project
``acme`` (name ``history-test``); ``stack.direct_*`` call the backends as internal callers;
``stack.records()`` reads every record of both services directly (no project filter). The gateway's
key store is on the same database (its API-key records: ``stack.key_changes``).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import grpc
import pytest

from gateway import keys as key_domain
from gateway.key_store import KeyStore
from plugboard.catalog.v1 import catalog_service_pb2_grpc, certification_service_pb2_grpc
from plugboard.catalog.v1 import change_history_service_pb2_grpc as catalog_history
from plugboard.gateway.v1 import key_change_history_service_pb2_grpc as key_history
from plugboard.history.v1 import history_pb2 as hpb
from plugboard.instance.v1 import change_history_service_pb2_grpc as instance_history
from plugboard.instance.v1 import instance_service_pb2_grpc
from plugboard.settings import Settings
from tests.catalog.gitrepos import PUBLISHING_SETTINGS, REVIEWER
from tests.gateway.conftest import with_key
from tests.harness import RunningServer, start_server

PROJECT = "acme"
KEY_NAME = "history-test"


@dataclass
class Stack:
    catalog_server: RunningServer
    instance_server: RunningServer
    gateway: RunningServer
    settings: Settings
    key: str
    key_id: str
    channels: list[grpc.Channel] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.channel = with_key(self.gateway.target, self.key)
        self.channels.append(self.channel)
        self.catalog = catalog_service_pb2_grpc.CatalogServiceStub(self.channel)
        self.certification = certification_service_pb2_grpc.CertificationServiceStub(self.channel)
        self.instances = instance_service_pb2_grpc.InstanceServiceStub(self.channel)
        self.catalog_changes = catalog_history.CatalogChangeHistoryServiceStub(self.channel)
        self.instance_changes = instance_history.InstanceChangeHistoryServiceStub(self.channel)
        self.key_changes = key_history.KeyChangeHistoryServiceStub(self.channel)
        self.direct_catalog = catalog_service_pb2_grpc.CatalogServiceStub(self.catalog_server.channel)
        self.direct_certification = certification_service_pb2_grpc.CertificationServiceStub(
            self.catalog_server.channel)
        self.direct_catalog_changes = catalog_history.CatalogChangeHistoryServiceStub(self.catalog_server.channel)
        self.direct_instance_changes = instance_history.InstanceChangeHistoryServiceStub(
            self.instance_server.channel)

    def reviewer(self) -> tuple[certification_service_pb2_grpc.CertificationServiceStub, str]:
        """The certification service through the gateway with a key of a reviewer project (a reviewer never
        reviews its own project's connectors), and that key's id."""
        if not hasattr(self, "_reviewer"):
            channel, key_id, _ = self.key_channel(REVIEWER, name="reviewer")
            self._reviewer = (certification_service_pb2_grpc.CertificationServiceStub(channel), key_id)
        return self._reviewer

    def key_channel(self, project: str, scopes: Any = key_domain.SCOPES, name: str = "other"
                    ) -> tuple[grpc.Channel, str, str]:
        """A channel with a new key of ``project``, the key's id and the key itself."""
        store = KeyStore.open(self.settings.gateway_database_url)
        try:
            new = store.create(project, list(scopes), name)
        finally:
            store.close()
        channel = with_key(self.gateway.target, new.key)
        self.channels.append(channel)
        return channel, new.record.key_id, new.key

    def records(self) -> list[hpb.ChangeRecord]:
        """Every record of both services, newest first per service."""
        found: list[hpb.ChangeRecord] = []
        for stub in (self.direct_catalog_changes, self.direct_instance_changes):
            token = ""
            while True:
                page = stub.ListChanges(hpb.ListChangesRequest(limit=500, page_token=token))
                found.extend(page.results)
                token = page.next_page_token
                if not token:
                    break
        return found

    def ids(self) -> set[str]:
        return {r.id for r in self.records()}

    def new_since(self, before: set[str]) -> list[hpb.ChangeRecord]:
        return [r for r in self.records() if r.id not in before]

    def close(self) -> None:
        for channel in self.channels:
            channel.close()
        self.gateway.stop()
        self.instance_server.stop()
        self.catalog_server.stop()


def _admin(url: str):  # type: ignore[no-untyped-def]
    import psycopg2

    conn = psycopg2.connect(url, connect_timeout=5)
    conn.autocommit = True
    return conn


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stack(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("history")
    dropped = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'plugboard.db'}"
    else:
        if os.environ.get("PLUGBOARD_TEST_POSTGRES", "").lower() == "skip":
            pytest.skip("PLUGBOARD_TEST_POSTGRES=skip")
        base = os.environ.get("PLUGBOARD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
        name = f"plugboard_hist_{uuid.uuid4().hex[:12]}"
        admin = _admin(base)
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        admin.close()
        parts = urlsplit(base)
        url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
        dropped = (base, name)
    from catalog_service.server import create_server as create_catalog
    from gateway.server import create_server as create_gateway
    from instance_service.server import create_server as create_instance

    settings = Settings(data_dir=tmp, catalog_database_url=url, instance_database_url=url, gateway_database_url=url,
                        deleting_stale_seconds=3600, pending_stale_seconds=3600, default_deadline_seconds=10.0,
                        grace_seconds=1.0, connection_test_allow_cidrs=("127.0.0.0/8",),
                        connection_test_timeout_seconds=2.0, version_check_seconds=0.0, **PUBLISHING_SETTINGS)
    catalog = start_server(lambda: create_catalog(settings, port=0, poll_seconds=0.1))
    instance = start_server(lambda: create_instance(settings.with_overrides(catalog_target=catalog.target), port=0))
    gateway_settings = settings.with_overrides(catalog_target=catalog.target, instance_target=instance.target)
    gateway = start_server(lambda: create_gateway(gateway_settings, port=0, http_port=0, key_cache_seconds=0.0))
    store = KeyStore.open(settings.gateway_database_url)
    try:
        new = store.create(PROJECT, list(key_domain.SCOPES), KEY_NAME)
    finally:
        store.close()
    built = Stack(catalog, instance, gateway, gateway_settings, new.key, new.record.key_id)
    yield built
    built.close()
    if dropped is not None:
        admin = _admin(dropped[0])
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{dropped[1]}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]
