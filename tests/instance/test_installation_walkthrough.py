"""Seed 003 end to end, over real gRPC against the real catalog, on SQLite and PostgreSQL (issue 16): a
vendor's connector is installed from the marketplace; instances are added; the installation is customised
(a revision with its author and its diff); a new version shows as an available update (what changes, how
many instances would fail); the update of a modified installation needs a choice, overwrite or alongside;
instances are moved; removing the installation is refused while instances use it, then done."""

from __future__ import annotations

import grpc
import pytest

from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import installation_pb2 as inpb
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from tests.instance.helpers import connection_section, install, publish, publish_version, share
from tests.rich import expect_error, fields

CONNECTION = connection_section("http://{SHOP_HOST}", "BEARER", path="/bearer/ping", token_variable="API_TOKEN")


def spec(*standard: str) -> str:
    keys = ", ".join(("{key: SHOP_HOST, description: Shop host, required: true}",
                      "{key: REGION, description: Region, default: eu}") + standard)
    return ("deployAs:\n  - name: app\n    applicationType: service\n    endpoint: /app\n    configuration:\n"
            f"      standardConfiguration: [{keys}]\n"
            "      securedConfiguration: [{key: API_TOKEN, description: Token, required: true}]\n")


V3 = spec("{key: SHOP_ID, description: Shop, required: true, default: main}")
AS_KEY = (("x-plugboard-key-id", "key-of-alice"),)  # what the gateway sets from Alice's API key


@pytest.fixture
def instances(instance_settings):
    """The instance service asking the catalog for the latest version on every read (no cache)."""
    from instance_service.server import create_server
    from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
    from tests.harness import start_server

    server = start_server(lambda: create_server(instance_settings.with_overrides(version_check_seconds=0), port=0))
    yield igrpc.InstanceServiceStub(server.channel)
    server.stop()


@pytest.fixture
def catalog(catalog_server):
    return cgrpc.CatalogServiceStub(catalog_server.channel)


@pytest.fixture
def vendor(catalog, unique):
    connector_id = publish(catalog, "vendor", f"shop-{unique}", spec(), connection=CONNECTION)
    share(catalog, "vendor", connector_id, "acme")  # version 2: the one acme sees
    return connector_id


def new_instance(instances, name, **changes):  # type: ignore[no-untyped-def]
    variables = [ipb.Variable(key="SHOP_HOST", value="shop.example"), ipb.Variable(key="API_TOKEN", value="tok")]
    variables += changes.pop("extra", [])
    return instances.CreateInstance(ispb.CreateInstanceRequest(project="acme", instance=ipb.Instance(
        name=name, timezone="UTC", date_format="Y-m-d", rate_limit_unit=ipb.RATE_LIMIT_UNIT_MINUTE,
        rate_limit_duration=1, variables=variables, **changes)))


def get(instances, installation_id):  # type: ignore[no-untyped-def]
    return instances.GetInstallation(ispb.GetInstallationRequest(project="acme", id=installation_id))


def customise(instances, installation_id, version=0, **parts):  # type: ignore[no-untyped-def]
    return instances.CustomiseInstallation(ispb.CustomiseInstallationRequest(
        project="acme", id=installation_id, version=version, customisation=inpb.InstallationCustomisation(**parts)),
        metadata=AS_KEY)


def test_the_seed_003_walk_through(instances, catalog, vendor):
    # Install from the marketplace, then add instances.
    installed = install(instances, "acme", vendor, request_id="install-shop")
    assert installed.connector_version == 2 and not installed.modified and not installed.update_available
    a = new_instance(instances, "A", installation_id=installed.id)
    b = new_instance(instances, "B", connector_id=vendor)
    assert a.installation_id == b.installation_id == installed.id and a.connector_version == 2

    # Modify it: a new default, a label, an extra optional key, the test request. Revision 1, by Alice.
    modified = customise(
        instances, installed.id, version=installed.version,
        keys=[inpb.KeyCustomisation(key="REGION", default="us", label="Sales region")],
        extra_keys=[inpb.ExtraKey(key="NOTE", label="Note", description="Free text")],
        connection_test=inpb.ConnectionTestCustomisation(path="/bearer/ping?deep=1", headers={"X-Region": "{REGION}"}))
    assert modified.modified and modified.revision == 1 and modified.version == installed.version + 1
    assert modified.modified_by.key_id == "key-of-alice" and modified.modified_by.project == "acme"
    assert modified.modify_time.seconds > 0 and modified.connector_version == 2
    revisions = instances.ListInstallationRevisions(ispb.ListInstallationRevisionsRequest(
        project="acme", installation_id=installed.id)).revisions
    assert [r.number for r in revisions] == [1] and revisions[0].author.key_id == "key-of-alice"
    assert revisions[0].based_on_version == 2
    changes = {c.path: (c.published, c.value) for c in revisions[0].changes}
    assert changes["keys.REGION.default"] == ("eu", "us")
    assert changes["keys.REGION.label"] == ("", "Sales region")
    assert "extra_keys.NOTE" in changes and changes["connection_test.path"] == ("/bearer/ping", "/bearer/ping?deep=1")
    assert changes["connection_test.headers.X-Region"] == ("", "{REGION}")
    c = new_instance(instances, "C", connector_id=vendor, extra=[ipb.Variable(key="NOTE", value="vip")])
    values = {v.key: v.value for v in c.variables}
    assert values["REGION"] == "us" and values["NOTE"] == "vip"  # the customised default, the extra key
    listed = instances.ListInstallations(ispb.ListInstallationsRequest(
        project="acme", modified=ispb.MODIFIED_FILTER_MODIFIED)).installations
    assert [i.id for i in listed] == [installed.id] and listed[0].instance_count == 3

    # A customisation never changes the nature of a key nor where secrets go.
    refused = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: customise(
        instances, installed.id,
        keys=[inpb.KeyCustomisation(key="API_TOKEN", default="x"), inpb.KeyCustomisation(key="NOPE", label="n")],
        extra_keys=[inpb.ExtraKey(key="REGION")],
        connection_test=inpb.ConnectionTestCustomisation(path="//evil.example/steal",
                                                         headers={"X-Token": "{API_TOKEN}", "Host": "evil"})))
    assert fields(refused) == {"customisation.keys[0].default", "customisation.keys[1].key",
                               "customisation.extra_keys[0].key", "customisation.connection_test.path",
                               "customisation.connection_test.headers[X-Token]",
                               "customisation.connection_test.headers[Host]"}
    assert get(instances, installed.id).revision == 1  # nothing written

    # The vendor publishes version 3: a required setting (with a default) comes.
    publish_version(catalog, "vendor", vendor, V3, connection=CONNECTION)
    offered = get(instances, installed.id)
    assert offered.update_available and offered.latest_version == 3
    update = offered.available_update
    assert update.version == 3 and list(update.added_keys) == ["SHOP_ID"] and not update.removed_keys
    assert list(update.now_required_keys) == ["SHOP_ID"]
    assert update.failing_instance_count == 1  # C's NOTE is not a key of version 3

    # A modified installation: the caller chooses; a dry run lists what would fail and changes nothing.
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: instances.UpdateInstallation(
        ispb.UpdateInstallationRequest(project="acme", id=installed.id)), reason="UPDATE_MODE_REQUIRED")
    dry = instances.UpdateInstallation(ispb.UpdateInstallationRequest(
        project="acme", id=installed.id, mode=ispb.UPDATE_MODE_OVERWRITE, dry_run=True))
    assert dry.dry_run and dry.target_version == 3
    assert {r.instance_name: r.moved for r in dry.results} == {"A": True, "B": True, "C": False}
    assert any("NOTE" in p for p in next(r for r in dry.results if r.instance_name == "C").problems)
    refused = expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: instances.UpdateInstallation(
        ispb.UpdateInstallationRequest(project="acme", id=installed.id, mode=ispb.UPDATE_MODE_OVERWRITE)),
        reason="INSTANCES_WOULD_FAIL")
    assert refused.metadata["failing_instance_count"] == "1" and "'C'" in refused.message
    assert get(instances, installed.id).connector_version == 2  # all or nothing: nothing moved

    # Alongside: a second installation at version 3; the instances stay on version 2 until moved.
    alongside = instances.UpdateInstallation(ispb.UpdateInstallationRequest(
        project="acme", id=installed.id, mode=ispb.UPDATE_MODE_ALONGSIDE)).installation
    assert alongside.id != installed.id and alongside.connector_version == 3 and not alongside.modified
    assert alongside.origin == inpb.INSTALLATION_ORIGIN_UPDATE
    assert get(instances, installed.id).instance_count == 3 and get(instances, alongside.id).instance_count == 0
    listed = instances.ListInstallations(ispb.ListInstallationsRequest(project="acme", connector_ids=[vendor]))
    assert {i.id for i in listed.installations} == {installed.id, alongside.id}  # both on the page
    # Two installations now: a new instance names the one it belongs to.
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: new_instance(instances, "D", connector_id=vendor),
                 reason="INSTALLATION_AMBIGUOUS")

    # Move instances: one by one, or all of an installation; a failing one refuses the whole move unless
    # asked to skip it.
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: instances.MoveInstances(ispb.MoveInstancesRequest(
        project="acme", installation_id=alongside.id, from_installation_id=installed.id)),
        reason="INSTANCES_WOULD_FAIL")
    one = instances.MoveInstances(ispb.MoveInstancesRequest(project="acme", installation_id=alongside.id,
                                                            instance_ids=[a.id]))
    assert [(r.instance_id, r.moved, r.to_version) for r in one.results] == [(a.id, True, 3)]
    moved_a = instances.GetInstance(ispb.GetInstanceRequest(project="acme", id=a.id))
    assert moved_a.connector_version == 3 and moved_a.installation_id == alongside.id
    assert {v.key: v.value for v in moved_a.variables}["SHOP_ID"] == "main"
    rest = instances.MoveInstances(ispb.MoveInstancesRequest(
        project="acme", installation_id=alongside.id, from_installation_id=installed.id, skip_failing_instances=True))
    assert {r.instance_name: r.moved for r in rest.results} == {"B": True, "C": False}

    # Remove the old installation: refused while an instance uses it, naming it; then done.
    refused = expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: instances.UninstallConnector(
        ispb.UninstallConnectorRequest(project="acme", id=installed.id)), reason="INSTALLATION_HAS_INSTANCES")
    assert refused.metadata["instance_count"] == "1" and "'C'" in refused.message
    assert [v.subject for v in refused.violations] == [f"projects/acme/instances/{c.id}"]  # type: ignore[attr-defined]
    instances.DeleteInstance(ispb.DeleteInstanceRequest(project="acme", id=c.id))
    instances.UninstallConnector(ispb.UninstallConnectorRequest(project="acme", id=installed.id))
    assert [i.id for i in instances.ListInstallations(ispb.ListInstallationsRequest(
        project="acme", connector_ids=[vendor])).installations] == [alongside.id]

    # An unmodified installation needs no choice: version 4 moves it in place with its instances.
    publish_version(catalog, "vendor", vendor, V3, connection=CONNECTION)
    done = instances.UpdateInstallation(ispb.UpdateInstallationRequest(project="acme", id=alongside.id))
    assert done.installation.id == alongside.id and done.installation.connector_version == 4
    assert all(r.moved and r.to_version == 4 for r in done.results) and len(done.results) == 2
    assert instances.GetInstance(ispb.GetInstanceRequest(project="acme", id=b.id)).connector_version == 4
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: instances.UpdateInstallation(
        ispb.UpdateInstallationRequest(project="acme", id=alongside.id)), reason="NO_NEWER_VERSION")


def test_overwrite_drops_the_customisation_and_moves_every_instance(instances, catalog, vendor):
    installed = install(instances, "acme", vendor)
    a = new_instance(instances, "A", installation_id=installed.id)
    customise(instances, installed.id, extra_keys=[inpb.ExtraKey(key="NOTE")])
    c = new_instance(instances, "C", installation_id=installed.id, extra=[ipb.Variable(key="NOTE", value="x")])
    publish_version(catalog, "vendor", vendor, V3, connection=CONNECTION)
    # Skipping the failing instance: it stays on version 2, in an installation of its own with the old
    # customisation; everything else is overwritten.
    result = instances.UpdateInstallation(ispb.UpdateInstallationRequest(
        project="acme", id=installed.id, mode=ispb.UPDATE_MODE_OVERWRITE, skip_failing_instances=True))
    assert result.installation.connector_version == 3 and not result.installation.modified
    assert {r.instance_name: r.moved for r in result.results} == {"A": True, "C": False}
    assert instances.GetInstance(ispb.GetInstanceRequest(project="acme", id=a.id)).connector_version == 3
    kept = instances.GetInstance(ispb.GetInstanceRequest(project="acme", id=c.id))
    assert kept.connector_version == 2 and kept.installation_id != installed.id
    old = get(instances, kept.installation_id)
    assert old.connector_version == 2 and old.modified and old.instance_count == 1
    revisions = instances.ListInstallationRevisions(ispb.ListInstallationRevisionsRequest(
        project="acme", installation_id=installed.id)).revisions
    assert [r.number for r in revisions] == [1]  # the history stays


def test_customise_errors(instances, vendor):
    installed = install(instances, "acme", vendor)
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: instances.CustomiseInstallation(
        ispb.CustomiseInstallationRequest(project="beta", id=installed.id)))
    expect_error(grpc.StatusCode.ABORTED, lambda: customise(instances, installed.id, version=99),
                 reason="CONCURRENT_MODIFICATION")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: customise(
        instances, installed.id, connection_test=inpb.ConnectionTestCustomisation(method="TRACE",
                                                                                  expected_status=[42])))
    reverted = customise(instances, installed.id)  # an empty customisation: back to the published version
    assert not reverted.modified and reverted.revision == 1
