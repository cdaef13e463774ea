"""Installations over real gRPC against the real catalog, on SQLite and PostgreSQL (issue 16, points 1, 2
and 5): InstallConnector (idempotent, ALREADY_EXISTS unless alongside), GetInstallation, ListInstallations
(the manage-connectors page), UninstallConnector (refused while instances exist), instances that belong to
an installation, and the automatic installation of a project's own connectors."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import installation_pb2 as inpb
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from tests.instance.helpers import install, publish, publish_version, share
from tests.rich import expect_error

SPEC = ("deployAs:\n  - name: app\n    applicationType: service\n    endpoint: /app\n    configuration:\n"
        "      standardConfiguration: [{key: REGION, description: Region, default: eu}]\n"
        "      securedConfiguration: [{key: API_TOKEN, description: Token, required: true}]\n")


@pytest.fixture
def catalog(catalog_server):
    return cgrpc.CatalogServiceStub(catalog_server.channel)


@pytest.fixture
def shared(catalog, unique):
    """A connector built by "vendor" and visible to "acme" and "beta" (version 2 is the visible one)."""
    connector_id = publish(catalog, "vendor", f"crm-{unique}", SPEC)
    share(catalog, "vendor", connector_id, "acme", "beta")
    return connector_id


def create(instances, project="acme", **changes):  # type: ignore[no-untyped-def]
    fields = dict(name="Shop", timezone="UTC", date_format="Y-m-d", rate_limit_unit=ipb.RATE_LIMIT_UNIT_MINUTE,
                  rate_limit_duration=1, variables=[ipb.Variable(key="API_TOKEN", value="tok")])
    fields.update(changes)
    return instances.CreateInstance(ispb.CreateInstanceRequest(project=project, instance=ipb.Instance(**fields)))


def get(instances, project, installation_id):  # type: ignore[no-untyped-def]
    return instances.GetInstallation(ispb.GetInstallationRequest(project=project, id=installation_id))


def uninstall(instances, project, installation_id, version=0):  # type: ignore[no-untyped-def]
    return instances.UninstallConnector(ispb.UninstallConnectorRequest(project=project, id=installation_id,
                                                                       version=version))


def test_install_get_and_replay(instances, shared):
    first = install(instances, "acme", shared, request_id="install-1")
    assert first.state == inpb.INSTALLATION_STATE_READY and first.connector_id == shared
    assert first.connector_version == 2 and first.latest_version == 2 and not first.update_available
    assert first.origin == inpb.INSTALLATION_ORIGIN_MARKETPLACE and not first.modified and first.revision == 0
    assert first.connector_key.startswith("crm-") and first.connector_name.startswith("Connector crm-")
    assert first.created_by.project == "acme" and first.instance_count == 0
    again = install(instances, "acme", shared, request_id="install-1")
    assert again.id == first.id
    assert get(instances, "acme", first.id) == first


def test_a_second_install_of_a_version_needs_alongside(instances, shared):
    first = install(instances, "acme", shared)
    expect_error(grpc.StatusCode.ALREADY_EXISTS, lambda: install(instances, "acme", shared),
                 reason="INSTALLATION_ALREADY_EXISTS")
    second = install(instances, "acme", shared, alongside=True)
    assert second.id != first.id and second.alongside and not first.alongside
    older = install(instances, "acme", shared, version=1)  # another version is another installation
    assert older.connector_version == 1 and older.update_available and older.latest_version == 2


def test_install_errors(instances, shared, catalog, unique):
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: install(instances, "acme"))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: install(instances, "", shared))
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: install(instances, "acme", "missing"))
    private = publish(catalog, "vendor", f"private-{unique}", SPEC)
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: install(instances, "acme", private))
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: install(instances, "acme", shared, version=9),
                 reason="CONNECTOR_VERSION_NOT_FOUND")
    assert instances.ListInstallations(ispb.ListInstallationsRequest(project="acme")).total == 0


def test_another_projects_installation_is_not_found_like_a_missing_one(instances, shared):
    mine = install(instances, "acme", shared)
    theirs = expect_error(grpc.StatusCode.NOT_FOUND, lambda: get(instances, "beta", mine.id))
    missing = expect_error(grpc.StatusCode.NOT_FOUND, lambda: get(instances, "beta", "no-such-id"))
    assert theirs.reason == missing.reason == "INSTALLATION_NOT_FOUND"
    assert theirs.message.replace(mine.id, "X") == missing.message.replace("no-such-id", "X")
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: uninstall(instances, "beta", mine.id))


def test_instances_need_an_installation_and_take_its_version(instances, shared, catalog):
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: create(instances, connector_id=shared),
                 reason="CONNECTOR_NOT_INSTALLED")
    installation = install(instances, "acme", shared, version=1)
    by_connector = create(instances, connector_id=shared)
    assert by_connector.installation_id == installation.id and by_connector.connector_version == 1
    by_key = create(instances, connector_key=installation.connector_key, name="by key")
    assert by_key.installation_id == installation.id
    by_installation = create(instances, installation_id=installation.id, name="named")
    assert by_installation.connector_id == shared and by_installation.connector_version == 1
    assert get(instances, "acme", installation.id).instance_count == 3

    latest = install(instances, "acme", shared)  # two installations: the connector alone is ambiguous
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: create(instances, connector_id=shared),
                 reason="INSTALLATION_AMBIGUOUS")
    assert create(instances, connector_id=shared, connector_version=2).installation_id == latest.id
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: create(instances, connector_id=shared,
                                                                     connector_version=3),
                 reason="CONNECTOR_VERSION_NOT_INSTALLED")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: create(instances, installation_id=latest.id,
                                                                  connector_version=1))
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: create(instances, "beta", installation_id=latest.id))


def test_list_installations_shows_the_manage_connectors_page(instances, shared, catalog, unique):
    other = publish(catalog, "vendor", f"erp-{unique}", SPEC)
    share(catalog, "vendor", other, "acme")
    a = install(instances, "acme", shared)
    b = install(instances, "acme", other, version=1)
    create(instances, connector_id=shared)
    listed = instances.ListInstallations(ispb.ListInstallationsRequest(project="acme"))
    assert listed.total == 2 and [i.id for i in listed.installations] == [a.id, b.id]  # by connector key
    assert [i.instance_count for i in listed.installations] == [1, 0]
    assert listed.installations[1].update_available and listed.installations[1].latest_version == 2
    only = instances.ListInstallations(ispb.ListInstallationsRequest(project="acme", connector_ids=[other]))
    assert [i.id for i in only.installations] == [b.id]
    desc = instances.ListInstallations(ispb.ListInstallationsRequest(project="acme", sort="-connector_key"))
    assert [i.id for i in desc.installations] == [b.id, a.id]
    page = instances.ListInstallations(ispb.ListInstallationsRequest(project="acme", page_size=1))
    assert len(page.installations) == 1 and page.next_page_token
    rest = instances.ListInstallations(ispb.ListInstallationsRequest(project="acme", page_size=1,
                                                                     page_token=page.next_page_token))
    assert [i.id for i in rest.installations] == [b.id] and not rest.next_page_token
    unmodified = instances.ListInstallations(ispb.ListInstallationsRequest(
        project="acme", modified=ispb.MODIFIED_FILTER_MODIFIED))
    assert unmodified.total == 0
    assert instances.ListInstallations(ispb.ListInstallationsRequest(project="beta")).total == 0
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: instances.ListInstallations(
        ispb.ListInstallationsRequest(project="acme", sort="name")))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: instances.ListInstallations(
        ispb.ListInstallationsRequest(project="acme", page_token="forged")))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: instances.ListInstallations(
        ispb.ListInstallationsRequest(project="acme", page_size=101)))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: instances.ListInstallations(  # other parameters
        ispb.ListInstallationsRequest(project="acme", page_size=1, sort="-connector_key",
                                      page_token=page.next_page_token)))


def test_uninstall_is_refused_while_instances_exist(instances, shared):
    installation = install(instances, "acme", shared)
    made = [create(instances, connector_id=shared, name=f"shop {n:02d}") for n in range(12)]
    refused = expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: uninstall(instances, "acme", installation.id),
                           reason="INSTALLATION_HAS_INSTANCES")
    assert refused.metadata["instance_count"] == "12"
    assert len(refused.violations) == 10  # type: ignore[attr-defined]
    assert "shop 00" in refused.message and "and 9 more" in refused.message
    assert get(instances, "acme", installation.id).state == inpb.INSTALLATION_STATE_READY  # reverted
    for instance in made:
        instances.DeleteInstance(ispb.DeleteInstanceRequest(project="acme", id=instance.id))
    expect_error(grpc.StatusCode.ABORTED, lambda: uninstall(instances, "acme", installation.id, version=7),
                 reason="CONCURRENT_MODIFICATION")
    assert "removed" in uninstall(instances, "acme", installation.id, version=installation.version).message
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: get(instances, "acme", installation.id))
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: create(instances, connector_id=shared),
                 reason="CONNECTOR_NOT_INSTALLED")


def test_own_connectors_are_installed_automatically_with_their_first_instance(instances, catalog, unique):
    own = publish(catalog, "acme", f"own-{unique}", SPEC)
    assert instances.ListInstallations(ispb.ListInstallationsRequest(project="acme", connector_ids=[own])).total == 0
    with ThreadPoolExecutor(4) as pool:  # concurrent first instances make one installation
        made = list(pool.map(lambda n: create(instances, connector_id=own, name=f"own {n}"), range(4)))
    assert len({item.installation_id for item in made}) == 1
    listed = instances.ListInstallations(ispb.ListInstallationsRequest(project="acme", connector_ids=[own]))
    assert listed.total == 1
    automatic = listed.installations[0]
    assert automatic.origin == inpb.INSTALLATION_ORIGIN_AUTOMATIC and automatic.instance_count == 4
    assert automatic.created_by.system == "system"
    for item in made:
        instances.DeleteInstance(ispb.DeleteInstanceRequest(project="acme", id=item.id))
    # An unmodified automatic installation lasts as long as its instances.
    assert instances.ListInstallations(ispb.ListInstallationsRequest(project="acme", connector_ids=[own])).total == 0
    refs = instances.CountConnectorReferences(ispb.CountConnectorReferencesRequest(connector_id=own))
    assert refs.total == 0 and refs.installation_total == 0


def test_count_connector_references_counts_installations(instances, shared):
    install(instances, "acme", shared)
    install(instances, "beta", shared)
    refs = instances.CountConnectorReferences(ispb.CountConnectorReferencesRequest(connector_id=shared))
    assert refs.total == 0 and refs.installation_total == 2
    assert {item.project for item in refs.installations} == {"acme", "beta"}


def test_a_new_version_shows_as_an_update_and_moves_nothing(instances, shared, catalog):
    installation = install(instances, "acme", shared)
    instance = create(instances, connector_id=shared)
    publish_version(catalog, "vendor", shared, SPEC)
    got = get(instances, "acme", installation.id)
    assert got.connector_version == 2 and got.latest_version == 3 and got.update_available
    read = instances.GetInstance(ispb.GetInstanceRequest(project="acme", id=instance.id))
    assert read.connector_version == 2 and read.upgrade.newer_version_available
