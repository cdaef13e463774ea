"""UninstallConnector racing CreateInstance over real gRPC, on SQLite and PostgreSQL (issue 16, point 5):
each side writes its intent before it reads the other's (the uninstall marks the installation REMOVING,
then counts its instances, PENDING ones included; the create commits its PENDING instance, then reads the
installation's state), so no instance is ever left in a removed installation."""

from __future__ import annotations

import os

import grpc
import pytest

from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from tests.reliability.fuzz import FULL
from tests.instance.helpers import install, publish, share
from tests.races import together

# A few hundred rounds in the default suite; PLUGBOARD_TEST_RACE_ROUNDS (for example 5000) for a long run.
ROUNDS = int(os.environ.get("PLUGBOARD_TEST_RACE_ROUNDS", "150"))
SPEC = "deployAs:\n  - {name: app, applicationType: service, endpoint: /app}\n"


def instance_request(name: str, **where: str) -> ispb.CreateInstanceRequest:
    """An acme instance named ``name`` of an installation or a connector (``where``)."""
    return ispb.CreateInstanceRequest(project="acme", instance=ipb.Instance(
        name=name, timezone="UTC", date_format="Y-m-d", rate_limit_unit=ipb.RATE_LIMIT_UNIT_MINUTE,
        rate_limit_duration=1, **where))


def test_uninstall_racing_create_instance_never_orphans_an_instance(instances, catalog_server, unique):
    race(instances, catalog_server, unique, ROUNDS)


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.skipif(not FULL, reason="slow: run with PLUGBOARD_FULL=1")
def test_uninstall_racing_create_instance_over_thousands_of_rounds(instances, catalog_server, unique):
    race(instances, catalog_server, unique, 3000)


def race(instances, catalog_server, unique, rounds: int) -> None:  # type: ignore[no-untyped-def]
    catalog = cgrpc.CatalogServiceStub(catalog_server.channel)
    connector_id = publish(catalog, "vendor", f"race-{unique}", SPEC)
    share(catalog, "vendor", connector_id, "acme")
    outcomes: dict[str, set[str]] = {"create": set(), "uninstall": set()}
    for number in range(rounds):
        installation = install(instances, "acme", connector_id, alongside=True)
        result = together({
            "create": lambda: instances.CreateInstance(
                instance_request(f"r{number}", installation_id=installation.id), timeout=10),
            "uninstall": lambda: instances.UninstallConnector(
                ispb.UninstallConnectorRequest(project="acme", id=installation.id), timeout=10),
        })
        assert result["create"] in {"ok", "FAILED_PRECONDITION:INSTALLATION_REMOVING", "NOT_FOUND:INSTALLATION_NOT_FOUND"}
        assert result["uninstall"] in {"ok", "FAILED_PRECONDITION:INSTALLATION_HAS_INSTANCES"}
        assert not (result["create"] == "ok" and result["uninstall"] == "ok"), result  # never both
        listed = instances.ListInstances(ispb.ListInstancesRequest(project="acme", connector_id=connector_id,
                                                                   name_prefix=f"r{number}", per_page=100))
        mine = [item for item in listed.instances if item.name == f"r{number}"]
        if result["uninstall"] == "ok":
            assert not mine, f"round {number}: an instance in a removed installation"
            try:
                instances.GetInstallation(ispb.GetInstallationRequest(project="acme", id=installation.id))
                raise AssertionError("the removed installation is still there")
            except grpc.RpcError as exc:
                assert exc.code() == grpc.StatusCode.NOT_FOUND
        else:
            assert len(mine) == 1 and mine[0].installation_id == installation.id
            instances.DeleteInstance(ispb.DeleteInstanceRequest(project="acme", id=mine[0].id))
            instances.UninstallConnector(ispb.UninstallConnectorRequest(project="acme", id=installation.id))
        for side in outcomes:
            outcomes[side].add(result[side])
    assert rounds < 20 or (len(outcomes["create"]) > 1 or len(outcomes["uninstall"]) > 1), outcomes


def test_creating_an_instance_while_the_last_one_goes_never_fails(instances, catalog_server, unique):
    """The automatic installation of a project's own connector goes with its last instance; a create
    racing that delete takes the installation that stays or makes a new one: it never fails."""
    catalog = cgrpc.CatalogServiceStub(catalog_server.channel)
    own = publish(catalog, "acme", f"own-race-{unique}", SPEC)

    last = instances.CreateInstance(instance_request("r0", connector_id=own))
    for number in range(1, min(ROUNDS, 60)):
        made: list[ipb.Instance] = []
        result = together({
            "create": lambda: made.append(instances.CreateInstance(
                instance_request(f"r{number}", connector_id=own), timeout=10)),
            "delete": lambda: instances.DeleteInstance(
                ispb.DeleteInstanceRequest(project="acme", id=last.id), timeout=10),
        })
        assert result["create"] == "ok" and result["delete"] == "ok", result
        last = made[0]
        got = instances.GetInstallation(ispb.GetInstallationRequest(project="acme", id=last.installation_id))
        assert got.instance_count == 1
