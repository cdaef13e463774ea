"""Installations through the gateway (issue 16, points 5 and 6), over gRPC forwarding and the native
HTTP/JSON dialect, in front of the real catalog and instance servers: scopes (installing, updating and
removing need manage_instances, listing view_instances), another project's installation answers
NOT_FOUND exactly like a missing one, and DeleteConnector is refused while any installation of the
connector exists, naming those the caller may see, without a race against InstallConnector."""

from __future__ import annotations

import os
import threading

import grpc
import httpx
import pytest

from gateway import keys as key_domain
from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.rpc.status import from_rpc_error
from tests.reliability.fuzz import FULL
from tests.gateway.helpers import publish
from tests.rich import expect_error

# Rounds of the DeleteConnector / InstallConnector race (each publishes a connector): a few in the default
# suite, PLUGBOARD_TEST_RACE_ROUNDS (for example 3000) for a long run.
ROUNDS = int(os.environ.get("PLUGBOARD_TEST_RACE_ROUNDS", "40"))


def install(stub, connector_id: str, **fields):  # type: ignore[no-untyped-def]
    return stub.InstallConnector(ispb.InstallConnectorRequest(connector_id=connector_id, **fields), timeout=10)


@pytest.fixture
def vendor_connector(catalog, unique):
    """A connector built by acme (the gateway fixture's project), visible to globex too."""
    return publish(catalog, f"shared-{unique}", shared_with=("eu.gcp:globex",))


def test_scopes_of_the_installation_methods(keys, vendor_connector):
    viewer = igrpc.InstanceServiceStub(keys.channel("globex", [key_domain.VIEW_INSTANCES]))
    manager = igrpc.InstanceServiceStub(keys.channel("globex", [key_domain.MANAGE_INSTANCES]))
    refused = expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: install(viewer, vendor_connector),
                           reason="MISSING_SCOPE")
    assert refused.metadata["scope"] == key_domain.MANAGE_INSTANCES
    installation = install(manager, vendor_connector)
    assert installation.project == "globex"  # the key's project
    listed = viewer.ListInstallations(ispb.ListInstallationsRequest())
    assert [item.id for item in listed.installations] == [installation.id]
    assert viewer.GetInstallation(ispb.GetInstallationRequest(id=installation.id)).id == installation.id
    for call in (lambda: viewer.UninstallConnector(ispb.UninstallConnectorRequest(id=installation.id)),
                 lambda: viewer.UpdateInstallation(ispb.UpdateInstallationRequest(id=installation.id)),
                 lambda: viewer.CustomiseInstallation(ispb.CustomiseInstallationRequest(id=installation.id)),
                 lambda: viewer.MoveInstances(ispb.MoveInstancesRequest(installation_id=installation.id))):
        expect_error(grpc.StatusCode.PERMISSION_DENIED, call, reason="MISSING_SCOPE")
    manager.UninstallConnector(ispb.UninstallConnectorRequest(id=installation.id))


def test_another_projects_installation_is_not_found_like_a_missing_one(keys, vendor_connector):
    globex = igrpc.InstanceServiceStub(keys.channel("globex"))
    acme = igrpc.InstanceServiceStub(keys.channel("acme"))
    mine = install(globex, vendor_connector)
    foreign = expect_error(grpc.StatusCode.NOT_FOUND, lambda: acme.GetInstallation(
        ispb.GetInstallationRequest(id=mine.id)))
    claimed = expect_error(grpc.StatusCode.NOT_FOUND, lambda: acme.GetInstallation(  # naming globex
        ispb.GetInstallationRequest(project="globex", id=mine.id)))
    missing = expect_error(grpc.StatusCode.NOT_FOUND, lambda: acme.GetInstallation(
        ispb.GetInstallationRequest(id="missing")))
    assert foreign.reason == claimed.reason == missing.reason == "INSTALLATION_NOT_FOUND"
    assert foreign.message.replace(mine.id, "X") == missing.message.replace("missing", "X") == \
        claimed.message.replace(mine.id, "X")
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: acme.UninstallConnector(
        ispb.UninstallConnectorRequest(project="globex", id=mine.id)), reason="INSTALLATION_NOT_FOUND")
    assert globex.GetInstallation(ispb.GetInstallationRequest(id=mine.id)).id == mine.id


def test_delete_connector_is_refused_while_installations_exist(gateway, keys, catalog, vendor_connector):
    globex = igrpc.InstanceServiceStub(keys.channel("globex"))
    acme = igrpc.InstanceServiceStub(gateway.channel)
    theirs = install(globex, vendor_connector)
    refused = expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: catalog.DeleteConnector(
        cpb.DeleteConnectorRequest(id=vendor_connector)), reason="CONNECTOR_HAS_INSTALLATIONS")
    assert refused.metadata["installation_count"] == "1"
    assert refused.violations == []  # type: ignore[attr-defined]  # globex's installation is not acme's to see
    assert theirs.id not in refused.message and "1 in other projects" in refused.message
    mine = install(acme, vendor_connector)
    refused = expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: catalog.DeleteConnector(
        cpb.DeleteConnectorRequest(id=vendor_connector)), reason="CONNECTOR_HAS_INSTALLATIONS")
    assert [v.subject for v in refused.violations] == [f"projects/acme/installations/{mine.id}"]  # type: ignore[attr-defined]
    for stub, item in ((globex, theirs), (acme, mine)):
        stub.UninstallConnector(ispb.UninstallConnectorRequest(id=item.id))
    assert catalog.DeleteConnector(cpb.DeleteConnectorRequest(id=vendor_connector)).deleted


def test_the_native_http_dialect_serves_installations(gateway, keys, vendor_connector):
    base = f"http://127.0.0.1:{gateway.served.http_port}"
    globex = {"Authorization": f"Bearer {keys.create('globex')}"}
    viewer = {"Authorization": f"Bearer {keys.create('globex', [key_domain.VIEW_INSTANCES])}"}
    with httpx.Client(base_url=base, timeout=10) as http:
        created = http.post("/projects/globex/installations", headers=globex,
                            json={"connectorId": vendor_connector, "requestId": "http-1"})
        assert created.status_code == 200, created.text
        installation = created.json()
        assert installation["connectorId"] == vendor_connector and installation["state"] == "INSTALLATION_STATE_READY"
        again = http.post("/projects/globex/installations", headers=globex,
                          json={"connectorId": vendor_connector, "requestId": "http-1"})
        assert again.json()["id"] == installation["id"]
        assert http.post("/projects/globex/installations", headers=viewer,
                         json={"connectorId": vendor_connector}).status_code == 403
        listed = http.get("/projects/globex/installations", headers=viewer,
                          params={"connectorIds": vendor_connector})
        assert listed.status_code == 200 and [i["id"] for i in listed.json()["installations"]] == [installation["id"]]
        got = http.get(f"/projects/globex/installations/{installation['id']}", headers=viewer)
        assert got.status_code == 200 and got.json()["id"] == installation["id"]
        foreign = http.get(f"/projects/acme/installations/{installation['id']}",
                           headers={"Authorization": f"Bearer {gateway.key}"})
        assert foreign.status_code == 404
        assert http.get("/projects/globex/installations/missing", headers=viewer).status_code == 404
        globex_key = globex["Authorization"].removeprefix("Bearer ")
        customised = http.post(f"/projects/globex/installations/{installation['id']}:customise",
                               headers={**globex, "x-plugboard-key-id": "forged"},
                               json={"customisation": {"extraKeys": [{"key": "NOTE"}]}})
        assert customised.status_code == 200, customised.text
        assert customised.json()["modifiedBy"]["keyId"] == globex_key[4:16]  # the key's, never the header's
        revisions = http.get(f"/projects/globex/installations/{installation['id']}/revisions", headers=viewer)
        assert revisions.status_code == 200 and revisions.json()["revisions"][0]["number"] == "1"
        assert http.post(f"/projects/globex/installations/{installation['id']}:update", headers=globex,
                         json={}).status_code == 400  # no newer version: FAILED_PRECONDITION
        removed = http.delete(f"/projects/globex/installations/{installation['id']}", headers=globex)
        assert removed.status_code == 200, removed.text


def _outcome(call) -> str:  # type: ignore[no-untyped-def]
    try:
        result = call()
    except grpc.RpcError as exc:
        return f"{exc.code().name}:{from_rpc_error(exc).reason}"
    return "deleted" if getattr(result, "deleted", False) else "ok"


def race_deletes_and_installs(gateway, keys, direct_instances, direct_catalog, rounds: int) -> None:  # type: ignore[no-untyped-def]
    """Each round: globex installs (and removes again) while acme deletes the connector. Afterwards a
    deleted connector has no installation, and a surviving installation's connector exists."""
    catalog = cgrpc.CatalogServiceStub(gateway.channel)
    installer = igrpc.InstanceServiceStub(keys.channel("globex"))
    deleter = cgrpc.CatalogServiceStub(keys.channel("acme"))
    seen: set[str] = set()
    for number in range(rounds):
        connector_id = publish(catalog, f"race-install-{number}-{id(gateway) % 10_000}",
                               shared_with=("eu.gcp:globex",))
        start = threading.Barrier(2)
        installs: list[str] = []
        deletes: list[str] = []

        def install_some() -> None:
            start.wait()
            for attempt in range(3):
                try:
                    made = install(installer, connector_id, alongside=True)
                except grpc.RpcError as exc:
                    installs.append(f"{exc.code().name}:{from_rpc_error(exc).reason}")
                    continue
                installs.append("ok")
                if attempt < 2 or number % 2:  # some rounds keep the last one
                    installer.UninstallConnector(ispb.UninstallConnectorRequest(id=made.id), timeout=10)

        def delete_it() -> None:
            start.wait()
            for _ in range(4):
                result = _outcome(lambda: deleter.DeleteConnector(cpb.DeleteConnectorRequest(id=connector_id),
                                                                  timeout=10))
                deletes.append(result)
                if result == "deleted" or result.startswith("NOT_FOUND"):
                    return

        threads = [threading.Thread(target=install_some), threading.Thread(target=delete_it)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert set(deletes) <= {"deleted", "FAILED_PRECONDITION:CONNECTOR_HAS_INSTALLATIONS",
                                "FAILED_PRECONDITION:CONNECTOR_DELETING", "NOT_FOUND:CONNECTOR_NOT_FOUND"}, deletes
        assert set(installs) <= {"ok", "NOT_FOUND:CONNECTOR_NOT_FOUND",
                                 "FAILED_PRECONDITION:CONNECTOR_DELETING"}, installs
        refs = direct_instances.CountConnectorReferences(ispb.CountConnectorReferencesRequest(connector_id=connector_id))
        try:
            direct_catalog.GetConnector(cpb.GetConnectorRequest(id=connector_id))
            exists = True
        except grpc.RpcError as exc:
            assert exc.code() == grpc.StatusCode.NOT_FOUND
            exists = False
        assert exists or refs.installation_total == 0, f"installations of the deleted connector {connector_id}"
        assert exists != ("deleted" in deletes)
        seen.update(deletes)
    assert "deleted" in seen and "FAILED_PRECONDITION:CONNECTOR_HAS_INSTALLATIONS" in seen, seen


def test_deletes_racing_installs_never_orphan_an_installation(gateway, keys, instance_server, direct_catalog):
    race_deletes_and_installs(gateway, keys, igrpc.InstanceServiceStub(instance_server.channel), direct_catalog,
                              ROUNDS)


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.skipif(not FULL, reason="slow: run with PLUGBOARD_FULL=1")
def test_deletes_racing_installs_over_thousands_of_rounds(gateway, keys, instance_server, direct_catalog):
    race_deletes_and_installs(gateway, keys, igrpc.InstanceServiceStub(instance_server.channel), direct_catalog,
                              2000)


def test_the_author_of_a_revision_is_the_calling_key_and_callers_cannot_forge_it(keys, vendor_connector):
    key = keys.create("globex")
    globex = igrpc.InstanceServiceStub(keys.channel("globex", key=key))
    installation = install(globex, vendor_connector)
    from plugboard.instance.v1 import installation_pb2 as inpb

    customised = globex.CustomiseInstallation(
        ispb.CustomiseInstallationRequest(id=installation.id, customisation=inpb.InstallationCustomisation(
            extra_keys=[inpb.ExtraKey(key="NOTE")])),
        metadata=(("x-plugboard-key-id", "forged-key"),), timeout=10)
    assert customised.modified_by.key_id == key[4:16] and customised.modified_by.project == "globex"
    revisions = globex.ListInstallationRevisions(ispb.ListInstallationRevisionsRequest(installation_id=installation.id))
    assert [r.author.key_id for r in revisions.revisions] == [key[4:16]]
