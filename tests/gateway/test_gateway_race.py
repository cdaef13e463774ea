"""Deletes racing creates, through the gateway: many clients create (and some remove) instances of a
connector while others delete it. Afterwards no instance references a missing connector, and every
delete either succeeded or was refused with FAILED_PRECONDITION (or found the connector already deleted
by another delete that succeeded)."""

from __future__ import annotations

import random
import threading

import grpc

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.rpc.status import from_rpc_error
from tests.gateway.helpers import add_instance, publish

CREATORS = 6
DELETERS = 3
CREATES_EACH = 6
ROUNDS = 3
# Per round, the share of the instances created that their creator removes again: in the first round
# some stay (every delete must be refused), in the others all go (a delete may win the race).
KEEP_NONE = (0.5, 1.0, 1.0)


def outcome(call) -> str:  # type: ignore[no-untyped-def]
    try:
        result = call()
    except grpc.RpcError as exc:
        return f"{exc.code().name}:{from_rpc_error(exc).reason}"
    return "deleted" if getattr(result, "deleted", False) else "ok"


def all_instances(instances) -> list:  # type: ignore[no-untyped-def]
    found, token = [], ""
    while True:
        page = instances.ListInstances(ispb.ListInstancesRequest(per_page=100, page_token=token))
        found += list(page.instances)
        token = page.next_page_token
        if not token:
            return found


def test_deletes_racing_creates_never_orphan_an_instance(gateway, keys, direct_catalog, instance_server):
    catalog = cgrpc.CatalogServiceStub(gateway.channel)
    channels = [keys.channel("acme") for _ in range(CREATORS + DELETERS)]
    direct_instances = igrpc.InstanceServiceStub(instance_server.channel)
    outcomes = []
    for round_number in range(ROUNDS):
        connector_id = publish(catalog, f"race-{round_number}")
        if round_number == 0:  # an instance nobody deletes: every delete of this round must be refused
            add_instance(igrpc.InstanceServiceStub(channels[0]), connector_id, "r0-anchor", timeout=10)
        start = threading.Barrier(CREATORS + DELETERS)
        creates: list[str] = []
        deletes: list[str] = []

        def creator(number: int) -> None:
            stub = igrpc.InstanceServiceStub(channels[number])
            rng = random.Random(number)
            start.wait()
            for attempt in range(CREATES_EACH):
                name = f"r{round_number}-c{number}-{attempt}"
                try:
                    instance = add_instance(stub, connector_id, name, timeout=10)
                except grpc.RpcError as exc:
                    creates.append(f"{exc.code().name}:{from_rpc_error(exc).reason}")
                    continue
                creates.append("ok")
                if rng.random() < KEEP_NONE[round_number]:  # give the deletes a chance to succeed
                    stub.DeleteInstance(ispb.DeleteInstanceRequest(id=instance.id), timeout=10)

        def deleter(number: int) -> None:
            stub = cgrpc.CatalogServiceStub(channels[CREATORS + number])
            start.wait()
            while True:
                creators_done = not any(t.is_alive() for t in threads[:CREATORS])
                result = outcome(lambda: stub.DeleteConnector(cpb.DeleteConnectorRequest(id=connector_id), timeout=10))
                deletes.append(result)
                if result == "deleted" or result.startswith("NOT_FOUND") or creators_done:
                    return

        threads = [threading.Thread(target=creator, args=(n,)) for n in range(CREATORS)]
        threads += [threading.Thread(target=deleter, args=(n,)) for n in range(DELETERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads)

        allowed_deletes = {"deleted", "FAILED_PRECONDITION:CONNECTOR_HAS_INSTANCES",
                           # the creator's automatic installation goes just after its last instance
                           "FAILED_PRECONDITION:CONNECTOR_HAS_INSTALLATIONS",
                           "FAILED_PRECONDITION:CONNECTOR_DELETING", "NOT_FOUND:CONNECTOR_NOT_FOUND"}
        assert set(deletes) <= allowed_deletes, deletes
        assert set(creates) <= {"ok", "NOT_FOUND:CONNECTOR_NOT_FOUND", "FAILED_PRECONDITION:CONNECTOR_DELETING"}, creates
        if "NOT_FOUND:CONNECTOR_NOT_FOUND" in deletes:
            assert "deleted" in deletes  # only after a delete that succeeded

        counted = direct_instances.CountConnectorReferences(
            ispb.CountConnectorReferencesRequest(connector_id=connector_id)).total
        try:
            direct_catalog.GetConnector(cpb.GetConnectorRequest(id=connector_id))
            exists = True
        except grpc.RpcError as exc:
            assert exc.code() == grpc.StatusCode.NOT_FOUND
            exists = False
        assert exists or counted == 0, f"{counted} instances reference the deleted connector {connector_id}"
        assert exists != ("deleted" in deletes)
        outcomes.append((exists, set(deletes), set(creates)))

    assert outcomes[0][0], "the first round keeps an instance: its connector must survive"
    assert "deleted" not in outcomes[0][1] and "FAILED_PRECONDITION:CONNECTOR_HAS_INSTANCES" in outcomes[0][1]
    instances = all_instances(igrpc.InstanceServiceStub(gateway.channel))
    for instance in instances:  # every surviving instance's connector exists
        direct_catalog.GetConnector(cpb.GetConnectorRequest(id=instance.connector_id))
