"""``plugboard secrets rotate`` on SQLite and PostgreSQL: every secret ends up under the newest key (read
from the database itself), no plaintext is stored, a second run changes nothing, and a server holding
only the new key can still use the secrets (a real connection test with basic authentication)."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

import peewee

from instance_service.server import create_server as create_instance_server
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.cli import main
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard import history
from plugboard.history.storage import HistoryTable, record_model
from plugboard.settings import Settings
from plugboard.storage.database import open_database
from tests.harness import start_server
from tests.instance.helpers import publish
from tests.instance.third_party import PASSWORD, USER, ThirdParty

K1 = "k1:" + base64.b64encode(bytes(range(32))).decode()
K2 = "k2:" + base64.b64encode(bytes(range(32, 64))).decode()


def key_ids(database_url: str) -> list[str]:
    db = open_database(database_url)
    try:
        rows = db.execute_sql("SELECT ciphertext FROM instance_variables WHERE secret = %s" % (
            "TRUE" if isinstance(db, peewee.PostgresqlDatabase) else "1")).fetchall()
        values = db.execute_sql("SELECT value, fingerprint FROM instance_variables").fetchall()
    finally:
        db.close()
    ids = []
    for (blob,) in rows:
        blob = bytes(blob)
        ids.append(blob[2:2 + blob[1]].decode())
    assert values  # the table was read
    return ids


def database_text(database_url: str) -> bytes:
    """Every byte of the SQLite files, or a dump of the PostgreSQL table."""
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        return b"".join(Path(f"{path}{s}").read_bytes() for s in ("", "-wal") if Path(f"{path}{s}").exists())
    db = open_database(database_url)
    try:
        return repr(db.execute_sql("SELECT * FROM instance_variables").fetchall()).encode()
    finally:
        db.close()


BASIC_SPEC = """\
deployAs:
  - name: service-app
    applicationType: service
    endpoint: /service
    configuration:
      standardConfiguration: [{key: BASE, description: Host, required: true}]
      securedConfiguration:
        - {key: USER, description: User, required: true}
        - {key: PASS, description: Password, required: true}
connection:
  baseUrl: "http://{BASE}"
  authentication: {type: basic, usernameVariable: USER, passwordVariable: PASS}
  testRequest: {method: GET, path: /basic/ping}
"""


def test_rotate_moves_every_secret_to_the_newest_key(database_url, tmp_path, monkeypatch, capsys, catalog_server):
    catalog = catalog_server
    connector_id = publish(cgrpc.CatalogServiceStub(catalog.channel), "acme", f"basic-{uuid.uuid4().hex[:8]}",
                           BASIC_SPEC)
    third_party = ThirdParty()
    settings = Settings(data_dir=tmp_path, instance_database_url=database_url, catalog_target=catalog.target,
                        secret_keys=K1, connection_test_allow_cidrs=("127.0.0.0/8",),
                        connection_test_timeout_seconds=2)
    canaries = []
    try:
        server = start_server(lambda: create_instance_server(settings, port=0))
        stub = igrpc.InstanceServiceStub(server.channel)
        ids = []
        for index in range(7):
            extra = f"-{uuid.uuid4().hex}"
            canaries.append(extra)
            ids.append(stub.CreateInstance(ispb.CreateInstanceRequest(project="acme", instance=ipb.Instance(
                name=f"i{index}", timezone="UTC", date_format="Y-m-d", rate_limit_unit=ipb.RATE_LIMIT_UNIT_SECOND,
                rate_limit_duration=1, connector_id=connector_id,
                variables=[ipb.Variable(key="BASE", value=f"127.0.0.1:{third_party.port}"),
                           ipb.Variable(key="USER", value=USER), ipb.Variable(key="PASS", value=PASSWORD)],
            ))).id)
        server.stop()
        assert set(key_ids(database_url)) == {"k1"} and len(key_ids(database_url)) == 14

        monkeypatch.setenv("PLUGBOARD_INSTANCE_DATABASE_URL", database_url)
        monkeypatch.setenv("PLUGBOARD_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("PLUGBOARD_SECRET_KEYS", f"{K1},{K2}")
        assert main(["secrets", "rotate", "--batch-size", "4"]) == 0
        printed = capsys.readouterr().out
        assert "batch 4:" in printed and "14 re-encrypted" in printed
        assert PASSWORD not in printed and "k2" in printed

        assert set(key_ids(database_url)) == {"k2"}
        stored = database_text(database_url)
        assert PASSWORD.encode() not in stored

        # Each batch recorded the instances whose secrets it re-encrypted: system actor, fingerprints only.
        db = open_database(database_url)
        try:
            rotated = HistoryTable(db, record_model("instance_change", db)).query(
                history.Query(change="rotateSecret", limit=100)).items
        finally:
            db.close()
        assert {r.resource_id for r in rotated} == set(ids)
        assert sum(len(r.changes) for r in rotated) == 14
        assert all(r.author.system == "secrets-rotate" and r.author.kind is history.AuthorKind.SYSTEM for r in rotated)
        change = rotated[0].changes[0]
        assert change.previous["fingerprint"] and change.next["changed"] and set(change.next) == {
            "key", "changed", "fingerprint"}

        assert main(["secrets", "rotate"]) == 0  # idempotent: nothing left to do
        assert "0 re-encrypted, 14 already under key k2" in capsys.readouterr().out

        # Only the new key now: the secrets still work.
        server = start_server(lambda: create_instance_server(settings.with_overrides(secret_keys=K2), port=0))
        stub = igrpc.InstanceServiceStub(server.channel)
        result = stub.TestInstanceConnection(ispb.TestInstanceConnectionRequest(project="acme", id=ids[0]))
        assert result.outcome == ipb.CONNECTION_TEST_OUTCOME_OK, result.message
        server.stop()

        # Without the key a secret is under, rotate says so and exits 1.
        monkeypatch.setenv("PLUGBOARD_SECRET_KEYS", K1)
        assert main(["secrets", "rotate"]) == 1
        assert "14 could not be decrypted" in capsys.readouterr().out
    finally:
        third_party.close()
