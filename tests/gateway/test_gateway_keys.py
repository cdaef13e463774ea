"""API keys on SQLite and PostgreSQL: the store, the CLI (``plugboard keys``), and a gateway whose key
database is that store (create -> admitted, revoke -> UNAUTHENTICATED)."""

from __future__ import annotations

import asyncio
import re

import grpc
import pytest

from gateway import keys as key_domain
from gateway.auth import Authenticator, credential_from
from gateway.key_store import KeyStore
from plugboard import cli
from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.errors import InvalidArgument, NotFound, Unauthenticated
from tests.gateway.conftest import start_gateway, with_key
from tests.rich import expect_error


@pytest.fixture
def store(database_url):
    opened = KeyStore.open(database_url)
    yield opened
    opened.close()


def test_a_key_is_shown_once_and_stored_as_a_digest(store, database_url):
    new = store.create("acme", ["view_connectors", "manage_instances"], "ci")
    key_id, secret = key_domain.parse(new.key)
    assert len(secret) == 64 and int(secret, 16) >= 0  # 256 bits
    record = store.find(key_id)
    assert record.digest == key_domain.digest(secret) and secret not in repr(record)
    assert record.scopes == ("manage_instances", "view_connectors") and record.project == "acme"
    rows = store.db.execute_sql("SELECT * FROM api_keys").fetchall()
    assert secret not in repr(rows) and new.key not in repr(rows)
    principal = key_domain.verify(record, secret)
    assert principal.scopes == {"view_connectors", "manage_instances", "view_instances"}


def test_wrong_unknown_malformed_and_revoked_keys_are_refused_alike(store):
    authenticator = Authenticator(store, cache_seconds=0)
    key = store.create("acme", ["view_connectors"]).key
    assert asyncio.run(authenticator.authenticate(key)).project == "acme"
    key_id, secret = key_domain.parse(key)
    wrong = f"pbk_{key_id}_{'0' * 64}"
    unknown = f"pbk_{'f' * 12}_{secret}"
    for presented in (wrong, unknown, "pbk_x", "Bearer", key + "x"):
        with pytest.raises(Unauthenticated) as info:
            asyncio.run(authenticator.authenticate(presented))
        assert info.value.reason == "API_KEY_INVALID" and secret not in info.value.message
    store.revoke(key_id)
    with pytest.raises(Unauthenticated):
        asyncio.run(authenticator.authenticate(key))
    with pytest.raises(Unauthenticated) as info:
        asyncio.run(authenticator.authenticate(None))
    assert info.value.reason == "API_KEY_MISSING"


def test_keys_are_validated_and_listed_without_secrets(store):
    with pytest.raises(InvalidArgument) as info:
        store.create("", ["view_everything"])
    assert {v.field for v in info.value.violations} == {"project", "scopes"}
    first = store.create("acme", ["view_connectors"])
    second = store.create("globex", ["certify_connectors"])
    assert [r.key_id for r in store.list()] == [first.record.key_id, second.record.key_id]
    assert [r.key_id for r in store.list("globex")] == [second.record.key_id]
    store.revoke(first.record.key_id)
    store.revoke(first.record.key_id)  # idempotent
    assert [r.key_id for r in store.list()] == [second.record.key_id]
    assert store.list(include_revoked=True)[0].revoked
    with pytest.raises(NotFound):
        store.revoke("000000000000")


def test_credentials_are_read_from_bearer_or_x_api_key():
    assert credential_from([("authorization", "Bearer k1")]) == "k1"
    assert credential_from([("Authorization", "bearer  k2 ")]) == "k2"
    assert credential_from([("x-api-key", "k3")]) == "k3"
    assert credential_from([("authorization", "Basic abc")]) is None
    assert credential_from([]) is None


def test_cli_creates_lists_and_revokes(database_url, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("PLUGBOARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PLUGBOARD_GATEWAY_DATABASE_URL", database_url)
    assert cli.main(["keys", "create", "--project", "acme", "--scope", "view_connectors",
                     "--scope", "manage_instances,view_instances", "--name", "ci"]) == 0
    out, err = capsys.readouterr()
    key = out.strip()
    assert re.fullmatch(r"pbk_[0-9a-f]{12}_[0-9a-f]{64}", key) and "only time" in err
    key_id = key[4:16]

    assert cli.main(["keys", "list"]) == 0
    out, _ = capsys.readouterr()
    assert key_id in out and "acme" in out and "view_connectors" in out and key[16:] not in out

    assert cli.main(["keys", "create", "--project", "acme", "--scope", "fly"]) == 2
    assert "unknown scope" in capsys.readouterr().err

    assert cli.main(["keys", "revoke", key_id]) == 0
    assert key_id in capsys.readouterr().out
    assert cli.main(["keys", "list"]) == 0
    assert key_id not in capsys.readouterr().out
    assert cli.main(["keys", "list", "--all"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert cli.main(["keys", "revoke", "000000000000"]) == 1


def test_a_gateway_on_this_key_database_admits_and_then_refuses_a_revoked_key(
        database_url, settings, catalog_server, instance_server, store):
    gateway_settings = settings.with_overrides(gateway_database_url=database_url)
    gateway = start_gateway(gateway_settings, catalog_server.target, instance_server.target,
                            key_cache_seconds=0)
    key = store.create("acme", ["view_connectors"]).key
    channel = with_key(gateway.target, key)
    try:
        stub = cgrpc.CatalogServiceStub(channel)
        assert stub.ListConnectors(cpb.ListConnectorsRequest()).total >= 0
        store.revoke(key[4:16])
        expect_error(grpc.StatusCode.UNAUTHENTICATED, lambda: stub.ListConnectors(cpb.ListConnectorsRequest()),
                     reason="API_KEY_INVALID")
    finally:
        channel.close()
        gateway.stop()
