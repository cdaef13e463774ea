"""Tenancy, as a property over random data: for every instance RPC that names an instance and every
ordered pair of projects, another project's id answers exactly like a missing id (same code, same
ErrorInfo reason and metadata, same message once the id is replaced), and no list returns another
project's rows. Checked directly on the instance service (SQLite and PostgreSQL) and through the
gateway with an API key of the asking project.

Default: 8 random examples per storage (each creates instances and makes ~30 calls);
``PLUGBOARD_FULL=1``: 200.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import grpc
import pytest
from google.protobuf import field_mask_pb2
from hypothesis import given
from hypothesis import strategies as st

from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.rpc.status import from_rpc_error
from tests.instance.helpers import publish
from tests.reliability import fuzz
from tests.reliability.stack import SEED_PLUGBOARD, SEED_SPEC, Stack, create_instance, gateway_key, keyed_channel

POOL = 3  # projects, each with its own published connector


class Tenants:
    """A pool of projects on one stack: each has a connector and a gateway channel with its key."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        catalog = cgrpc.CatalogServiceStub(stack.catalog.channel)
        suffix = uuid.uuid4().hex[:6]
        self.projects = [f"tenant-{suffix}-{n}" for n in range(POOL)]
        self.connector_key = {p: f"ten-{suffix}-{n}" for n, p in enumerate(self.projects)}
        self.connector_id = {p: publish(catalog, p, self.connector_key[p], spec=SEED_SPEC,
                                         plugboard=SEED_PLUGBOARD) for p in self.projects}
        self.gateway = {p: keyed_channel(stack.gateway.target, gateway_key(stack.settings, p)) for p in self.projects}
        self.created: dict[str, list[ipb.Instance]] = {p: [] for p in self.projects}

    def close(self) -> None:
        for channel in self.gateway.values():
            channel.close()


@pytest.fixture(scope="module")
def tenants(stack):
    made = Tenants(stack)
    yield made
    made.close()


def answer(call: Callable[[], object]) -> tuple[str, str, str, tuple]:  # type: ignore[type-arg]
    """(code, reason, message, sorted metadata) of a call that is expected to fail."""
    try:
        call()
    except grpc.RpcError as exc:
        fuzz.check_outcome(fuzz.outcome_of(exc))
        err = from_rpc_error(exc)
        return exc.code().name, err.reason, exc.details() or "", tuple(sorted(err.metadata.items()))
    return "OK", "", "", ()


def normalized(reply: tuple[str, str, str, tuple], the_id: str) -> tuple:  # type: ignore[type-arg]
    code, reason, message, metadata = reply
    return (code, reason, message.replace(the_id, "<id>"),
            tuple((k, str(v).replace(the_id, "<id>")) for k, v in metadata))


def by_id_calls(stub: igrpc.InstanceServiceStub, project: str, the_id: str) -> dict[str, Callable[[], object]]:
    """Every RPC that names one instance, asked by ``project`` about ``the_id``."""
    return {
        "GetInstance": lambda: stub.GetInstance(ispb.GetInstanceRequest(project=project, id=the_id), timeout=10),
        "UpdateInstance": lambda: stub.UpdateInstance(ispb.UpdateInstanceRequest(
            project=project, instance=ipb.Instance(id=the_id, version=1, name="taken over"),
            update_mask=field_mask_pb2.FieldMask(paths=["name"])), timeout=10),
        "DeleteInstance": lambda: stub.DeleteInstance(
            ispb.DeleteInstanceRequest(project=project, id=the_id, version=1), timeout=10),
        "TestInstanceConnection": lambda: stub.TestInstanceConnection(
            ispb.TestInstanceConnectionRequest(project=project, id=the_id), timeout=10),
        "ListConnectionTests": lambda: stub.ListConnectionTests(
            ispb.ListConnectionTestsRequest(project=project, instance_id=the_id), timeout=10),
        "UpgradeInstance": lambda: stub.UpgradeInstance(
            ispb.UpgradeInstanceRequest(project=project, instance_id=the_id, dry_run=True), timeout=10),
    }


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 -", min_size=1, max_size=20).map(str.strip) \
    .filter(bool)


def test_foreign_ids_answer_like_missing_ones_and_lists_stay_in_their_project(stack, tenants):
    full = fuzz.FULL

    @fuzz.fuzz_settings(max_examples=200 if full else 8)
    @given(owner=st.integers(0, POOL - 1), asker_offset=st.integers(1, POOL - 1),
           instance_names=st.lists(names, min_size=1, max_size=3), through_gateway=st.booleans())
    def run(owner: int, asker_offset: int, instance_names: list[str], through_gateway: bool) -> None:
        owner_project = tenants.projects[owner]
        asker_project = tenants.projects[(owner + asker_offset) % POOL]
        direct = igrpc.InstanceServiceStub(stack.instance.channel)
        mine = [create_instance(direct, owner_project, tenants.connector_key[owner_project], name,
                                secrets={"API_TOKEN": "t"}, plain={"HOST": "127.0.0.1:9"})
                for name in instance_names]
        tenants.created[owner_project] += mine
        channel = tenants.gateway[asker_project] if through_gateway else stack.instance.channel
        stub = igrpc.InstanceServiceStub(channel)

        for instance in mine:
            missing = str(uuid.uuid4())
            foreign_calls = by_id_calls(stub, asker_project, instance.id)
            missing_calls = by_id_calls(stub, asker_project, missing)
            for rpc, call in foreign_calls.items():
                foreign = normalized(answer(call), instance.id)
                absent = normalized(answer(missing_calls[rpc]), missing)
                assert foreign == absent, f"{rpc}: foreign {foreign} != missing {absent}"
                assert foreign[0] != "OK", f"{rpc} of another project's instance succeeded"
            # The owner still has it, untouched.
            still = direct.GetInstance(ispb.GetInstanceRequest(project=owner_project, id=instance.id))
            assert still.name == instance.name and still.version == instance.version

        foreign_ids = {i.id for i in tenants.created[owner_project]}
        for request in (ispb.ListInstancesRequest(project=asker_project, per_page=100),
                        ispb.ListInstancesRequest(project=asker_project,
                                                  connector_id=tenants.connector_id[owner_project]),
                        ispb.ListInstancesRequest(project=asker_project, name_prefix=instance_names[0][:3])):
            listed = stub.ListInstances(request, timeout=10)
            assert all(row.project == asker_project for row in listed.instances), request
            assert not foreign_ids & {row.id for row in listed.instances}, request
        own = direct.ListInstances(ispb.ListInstancesRequest(project=owner_project, per_page=100), timeout=10)
        assert {i.id for i in mine} <= {row.id for row in own.instances}

    run()
