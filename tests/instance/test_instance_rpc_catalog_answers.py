"""CreateInstance and the catalog's answers, over real gRPC. The specification shapes come from the real
catalog, publishing real connect.yaml files from real git repositories; slow answers (deadline
propagation, replays while PENDING) and failures come from ``FaultyCatalog``, a real gRPC server that
delays or fails CheckConnectorUsable on demand."""

from __future__ import annotations

import threading
import time

import grpc
import pytest
from google.protobuf import field_mask_pb2

from instance_service.server import create_server as create_instance_server
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.errors import Internal, NotFound
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.settings import Settings
from tests.harness import start_server
from tests.instance.conftest import TEST_KEYS
from tests.instance.faulty_catalog import FaultyCatalog, serve_faulty_catalog
from tests.instance.helpers import publish, publish_version
from tests.rich import expect_error, fields

SHOP_SPEC = """\
deployAs:
  - name: service-app
    applicationType: service
    endpoint: /service
    configuration:
      standardConfiguration:
        - {key: SHOP_DOMAIN, description: Shop host, required: true}
        - {key: REGION, description: Region, default: eu}
        - {key: PAGE_SIZE, description: Page size, required: true, default: "50"}
      securedConfiguration:
        - {key: API_TOKEN, description: API token, required: true}
inheritAs:
  configuration:
    securedConfiguration:
      - {key: WEBHOOK_SECRET, description: Webhook signing secret}
"""


@pytest.fixture
def catalog(catalog_server):
    return cgrpc.CatalogServiceStub(catalog_server.channel)


@pytest.fixture
def fake():
    fake = FaultyCatalog()
    server = start_server(lambda: serve_faulty_catalog(fake))
    fake.target = server.target  # type: ignore[attr-defined]
    yield fake
    server.stop()


@pytest.fixture
def stub(fake, database_url, tmp_path):
    settings = Settings(data_dir=tmp_path, instance_database_url=database_url, catalog_target=fake.target,
                        secret_keys=TEST_KEYS)
    server = start_server(lambda: create_instance_server(settings, port=0))
    yield igrpc.InstanceServiceStub(server.channel)
    server.stop()


def body(**changes) -> ipb.Instance:  # type: ignore[no-untyped-def]
    values = dict(name="Shop", timezone="UTC", date_format="Y-m-d", rate_limit_unit=ipb.RATE_LIMIT_UNIT_SECOND,
                  rate_limit_duration=1, connector_id="c-1")
    values.update(changes)
    return ipb.Instance(**values)


def create(stub, request_id="", timeout=None, **changes):  # type: ignore[no-untyped-def]
    return stub.CreateInstance(ispb.CreateInstanceRequest(project="acme", request_id=request_id, instance=body(**changes)),
                               timeout=timeout)


def references(stub, connector_id="c-1") -> int:  # type: ignore[no-untyped-def]
    return stub.CountConnectorReferences(ispb.CountConnectorReferencesRequest(connector_id=connector_id)).total


def test_the_specification_decides_variables(instances, catalog, unique):
    connector_id = publish(catalog, "acme", f"shop-{unique}", SHOP_SPEC)
    assert publish_version(catalog, "acme", connector_id, SHOP_SPEC) == 2
    created = create(instances, connector_id=connector_id, connector_version=1, variables=[
        ipb.Variable(key="SHOP_DOMAIN", value="shop.example"),
        ipb.Variable(key="API_TOKEN", value="tok", secret=False),       # secured: a secret anyway
        ipb.Variable(key="WEBHOOK_SECRET", value="hook"),                # global secured key
    ])
    by_key = {v.key: v for v in created.variables}
    assert set(by_key) == {"SHOP_DOMAIN", "API_TOKEN", "WEBHOOK_SECRET", "REGION", "PAGE_SIZE"}
    assert by_key["API_TOKEN"].secret and by_key["API_TOKEN"].required and by_key["API_TOKEN"].value == ""
    assert by_key["WEBHOOK_SECRET"].secret and by_key["WEBHOOK_SECRET"].value_set
    assert by_key["REGION"].value == "eu" and by_key["PAGE_SIZE"].value == "50" and by_key["PAGE_SIZE"].required
    assert created.connector_version == 1 and created.upgrade.latest_version == 2
    assert created.upgrade.newer_version_available

    # Update: a key outside the specification is refused; a new spec key is accepted as the spec says.
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: instances.UpdateInstance(ispb.UpdateInstanceRequest(
        project="acme", instance=ipb.Instance(id=created.id, version=1, variables=[ipb.Variable(key="EXTRA", value="x")]),
        update_mask=field_mask_pb2.FieldMask(paths=["variables"]))))
    assert fields(error) == {"instance.variables[0].key"} and "connector version 1" in error.violations[0].description


def test_missing_required_and_unknown_keys_fail_and_leave_nothing(instances, catalog, unique):
    connector_id = publish(catalog, "acme", f"shop-{unique}", SHOP_SPEC)
    error = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: create(
        instances, request_id="r-1", connector_id=connector_id, variables=[
            ipb.Variable(key="NOT_IN_SPEC", value="x"), ipb.Variable(key="REGION", value="us")]))
    assert [v.field for v in error.violations].count("instance.variables") == 2  # SHOP_DOMAIN, API_TOKEN
    assert "instance.variables[0].key" in fields(error)
    assert references(instances, connector_id) == 0
    # The request id was released with the PENDING row: a corrected replay creates the instance.
    fixed = create(instances, request_id="r-1", connector_id=connector_id, variables=[
        ipb.Variable(key="SHOP_DOMAIN", value="s"), ipb.Variable(key="API_TOKEN", value="t")])
    assert fixed.state == ipb.INSTANCE_STATE_READY and references(instances, connector_id) == 1


def test_create_by_key_resolves_the_id_before_writing(instances, catalog, unique):
    key = f"shop-{unique}"
    connector_id = publish(catalog, "acme", key, SHOP_SPEC)
    created = create(instances, connector_id="", connector_key=key, variables=[
        ipb.Variable(key="SHOP_DOMAIN", value="s"), ipb.Variable(key="API_TOKEN", value="t")])
    assert created.connector_id == connector_id and created.connector_key == key
    assert references(instances, connector_id) == 1  # the row names the id the reference count looks for


def test_the_callers_deadline_reaches_the_catalog_and_nothing_is_left(stub, fake):
    fake.delay = 2.0
    started = time.monotonic()
    expect_error(grpc.StatusCode.DEADLINE_EXCEEDED, lambda: create(stub, request_id="slow", timeout=0.5))
    assert time.monotonic() - started < 1.5
    assert fake.deadlines and fake.deadlines[0] is not None and fake.deadlines[0] <= 0.5
    fake.delay = 0.0
    deadline = time.monotonic() + 5
    while references(stub) and time.monotonic() < deadline:  # the create removes its row as it gives up
        time.sleep(0.05)
    assert references(stub) == 0


def test_a_replay_while_the_first_is_pending_waits_for_it(stub, fake):
    fake.delay = 0.4
    results: list[ipb.Instance] = []
    threads = [threading.Thread(target=lambda: results.append(create(stub, request_id="same"))) for _ in range(3)]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join(10)
    assert len(results) == 3 and len({r.id for r in results}) == 1
    assert references(stub) == 1


def test_catalog_errors_pass_through_or_become_unavailable(stub, fake):
    fake.error = NotFound("connector", "c-1", reason="CONNECTOR_NOT_FOUND")
    error = expect_error(grpc.StatusCode.NOT_FOUND, lambda: create(stub), reason="CONNECTOR_NOT_FOUND")
    assert error.resource_name == "c-1"
    fake.error = Internal("boom at 10.0.0.7", reason="INTERNAL")
    error = expect_error(grpc.StatusCode.UNAVAILABLE, lambda: create(stub), reason="CATALOG_UNAVAILABLE")
    assert "10.0.0.7" not in error.message
    assert references(stub) == 0
