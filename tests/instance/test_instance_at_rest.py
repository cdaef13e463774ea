"""Secrets at rest: the SQLite files (.db, -wal, -shm) never hold a secret's plaintext, nor do the logs."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from google.protobuf import field_mask_pb2

from catalog_service.server import create_server as create_catalog_server
from instance_service.server import create_server as create_instance_server
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.settings import Settings
from tests.harness import start_server
from tests.instance.helpers import publish


def database_bytes(path: Path) -> dict[str, bytes]:
    files = {suffix: Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")}
    return {suffix: file.read_bytes() for suffix, file in files.items() if file.exists()}


def test_sqlite_files_and_logs_hold_no_plaintext_secret(tmp_path, caplog):
    instance_db = tmp_path / "instance.db"
    settings = Settings(
        data_dir=tmp_path, catalog_database_url=f"sqlite:///{tmp_path / 'catalog.db'}",
        instance_database_url=f"sqlite:///{instance_db}",  # secret_keys unset: the local key file
        git_allow_file_urls=True,
    )
    first_secret = f"first-secret-{uuid.uuid4().hex}"
    second_secret = f"second-secret-{uuid.uuid4().hex}"
    setting = f"plain-setting-{uuid.uuid4().hex}"
    caplog.set_level(logging.DEBUG)
    catalog_server = start_server(lambda: create_catalog_server(settings, port=0))
    instance_server = start_server(lambda: create_instance_server(
        settings.with_overrides(catalog_target=catalog_server.target), port=0))
    try:
        key = f"vault-{uuid.uuid4().hex[:8]}"
        publish(cgrpc.CatalogServiceStub(catalog_server.channel), "acme", key)
        stub = igrpc.InstanceServiceStub(instance_server.channel)
        created = stub.CreateInstance(ispb.CreateInstanceRequest(project="acme", instance=ipb.Instance(
            name="Vault", connector_key=key, timezone="UTC", date_format="Y-m-d",
            rate_limit_unit=ipb.RATE_LIMIT_UNIT_HOUR, rate_limit_duration=1,
            variables=[ipb.Variable(key="PASSWORD", value=first_secret, secret=True),
                       ipb.Variable(key="ACCOUNT", value=setting)],
        )))
        stub.UpdateInstance(ispb.UpdateInstanceRequest(
            project="acme", instance=ipb.Instance(id=created.id, version=1, variables=[
                ipb.Variable(key="PASSWORD", value=second_secret)]),
            update_mask=field_mask_pb2.FieldMask(paths=["variables"])))

        live = database_bytes(instance_db)
        assert "-wal" in live, "WAL mode: recent writes are in the -wal file"
        assert any(setting.encode() in content for content in live.values()), "the check reads real data"
        for suffix, content in live.items():
            assert first_secret.encode() not in content, f"plaintext secret in instance.db{suffix}"
            assert second_secret.encode() not in content, f"plaintext secret in instance.db{suffix}"
    finally:
        instance_server.stop()
        catalog_server.stop()

    assert (tmp_path / "secret.key").exists()
    for suffix, content in database_bytes(instance_db).items():  # after the checkpoint at close
        assert first_secret.encode() not in content and second_secret.encode() not in content, suffix
    assert first_secret not in caplog.text and second_secret not in caplog.text
    assert "created secret key file" in caplog.text
