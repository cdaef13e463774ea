"""The walking skeleton's spine, end to end through the gateway over real gRPC (issue 2, README).

API key -> draft -> publish without certification -> instance with a secret -> the secret is not
returned -> delete refused naming the instance -> delete the instance -> delete the connector ->
NOT_FOUND. Runs on SQLite and on PostgreSQL (the gateway's keys included).
"""

from __future__ import annotations

import uuid

import grpc
import pytest

from catalog_service.server import create_server as create_catalog
from gateway.server import create_server as create_gateway
from instance_service.server import create_server as create_instance
from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.catalog.v1 import update_actions_pb2 as apb
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.settings import Settings
from gateway.key_store import KeyStore
from tests.catalog.gitrepos import PUBLISHING_SETTINGS, settled, shared_repo_url
from tests.gateway.conftest import with_key
from tests.harness import start_server
from tests.rich import expect_error


@pytest.fixture
def stack(database_url, tmp_path):
    """Catalog, instance service and gateway, each a real server on a free port."""
    base = Settings(data_dir=tmp_path, catalog_database_url=database_url, instance_database_url=database_url,
                    gateway_database_url=database_url, **PUBLISHING_SETTINGS)
    catalog = start_server(lambda: create_catalog(base, port=0))
    instance_settings = base.with_overrides(catalog_target=catalog.target)
    instance = start_server(lambda: create_instance(instance_settings, port=0))
    gateway_settings = base.with_overrides(catalog_target=catalog.target, instance_target=instance.target)
    gateway = start_server(lambda: create_gateway(gateway_settings, port=0, http_port=0))
    store = KeyStore.open(database_url)
    key = store.create("acme", ["manage_connectors", "manage_instances"], "spine").key
    store.close()
    gateway.channel.close()
    gateway.channel = with_key(gateway.target, key)
    yield gateway
    for server in (gateway, instance, catalog):
        server.stop()


def test_spine_through_the_gateway(stack):
    catalog = cgrpc.CatalogServiceStub(stack.channel)
    instances = igrpc.InstanceServiceStub(stack.channel)
    key = f"shop-sync-{uuid.uuid4().hex[:8]}"
    secret = f"canary-{uuid.uuid4().hex}"

    draft = catalog.CreateConnectorStaged(cpb.CreateConnectorStagedRequest(
        project="acme",
        draft=spb.ConnectorStagedDraft(
            key=key, name="Shop sync",
            repository=spb.Repository(url=shared_repo_url(), tag="v1.0.0"),
        ),
    ))
    assert draft.status == spb.CONNECTOR_STATUS_DRAFT

    published = catalog.UpdateConnectorStaged(cpb.UpdateConnectorStagedRequest(
        id=draft.id, version=draft.version, project="acme",
        actions=[apb.ConnectorStagedUpdateAction(publish=apb.ConnectorStagedUpdateAction.Publish(certification=False))],
    ))
    published = settled(catalog, draft.id)
    assert published.status == spb.CONNECTOR_STATUS_PUBLISHED
    assert published.publishing_report.entries, "publishing writes a real report"

    created = instances.CreateInstance(ispb.CreateInstanceRequest(
        project="acme", request_id=f"req-{key}",
        instance=ipb.Instance(
            name="Shop EU", connector_key=key, timezone="Europe/London", date_format="Y-m-d",
            rate_limit_unit=ipb.RATE_LIMIT_UNIT_MINUTE, rate_limit_duration=1,
            variables=[ipb.Variable(key="SHOP_DOMAIN", value="shop.example.com"),
                       ipb.Variable(key="API_TOKEN", value=secret, secret=True)],
        ),
    ))
    assert created.state == ipb.INSTANCE_STATE_READY and created.connector_id == draft.id

    fetched = instances.GetInstance(ispb.GetInstanceRequest(project="acme", id=created.id))
    assert secret not in str(fetched) and secret.encode() not in fetched.SerializeToString()
    (variable,) = [v for v in fetched.variables if v.key == "API_TOKEN"]
    assert variable.secret and variable.value_set and variable.value == "" and variable.fingerprint

    refused = expect_error(grpc.StatusCode.FAILED_PRECONDITION,
                           lambda: catalog.DeleteConnector(cpb.DeleteConnectorRequest(id=draft.id, project="acme")),
                           reason="CONNECTOR_HAS_INSTANCES")
    assert any(created.id in v.subject for v in refused.violations)
    assert catalog.GetConnector(cpb.GetConnectorRequest(id=draft.id)).lifecycle_state == 1  # back to ACTIVE

    instances.DeleteInstance(ispb.DeleteInstanceRequest(project="acme", id=created.id))
    deleted = catalog.DeleteConnector(cpb.DeleteConnectorRequest(id=draft.id, project="acme"))
    assert deleted.deleted

    expect_error(grpc.StatusCode.NOT_FOUND, lambda: catalog.GetConnector(cpb.GetConnectorRequest(id=draft.id)))
