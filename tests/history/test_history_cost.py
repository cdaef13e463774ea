"""What recording a change costs in statements, over real gRPC on SQLite and PostgreSQL (issue 17, point 5):
a mutation sends ONE ``INSERT`` to its service's change table, inside the mutation's own transaction (or
as part of the mutation's own single statement, where PostgreSQL folds it in), and reading anything
for the record (a ``SELECT`` of the change table) is not part of a write.

Every statement the servers send goes through ``peewee.Database.execute_sql`` (prebuilt SQL and the
ORM's queries alike; the servers run in this process), so a wrapper there sees them all, with the
database's transaction state at the time. No timing is measured here (``python -m bench compare``
measures the cost in calls/s, see docs/performance.md).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import grpc
import peewee
import pytest
from google.protobuf import field_mask_pb2

from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from tests.catalog.test_drafts_rpc import Action, create, update
from tests.gateway.helpers import add_instance, install, publish
from tests.history.conftest import Stack

CHANGE_TABLES = ("catalog_change", "instance_change")
CHANGE_INSERT = re.compile(r'INSERT\s+INTO\s+"(catalog_change|instance_change)"', re.I)
RESOURCE_WRITE = re.compile(r'\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(?!catalog_change|instance_change)\w', re.I)


@dataclass
class Statement:
    sql: str
    in_transaction: bool


@dataclass
class Trace:
    """The statements the servers sent while it was on."""

    statements: list[Statement] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    on: bool = False

    def change_inserts(self) -> list[Statement]:
        return [s for s in self.statements for _ in CHANGE_INSERT.finditer(s.sql)]

    def change_reads(self) -> list[Statement]:
        return [s for s in self.statements if s.sql.lstrip().upper().startswith("SELECT")
                and any(f'"{t}"' in s.sql for t in CHANGE_TABLES)]

    def describe(self) -> str:
        return "\n".join(f"{'T' if s.in_transaction else '-'} {s.sql[:160]}" for s in self.statements)


@pytest.fixture
def trace(monkeypatch) -> Trace:
    found = Trace()
    original = peewee.Database.execute_sql

    def execute_sql(self, sql, params=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        if found.on:
            with found.lock:
                found.statements.append(Statement(str(sql), self.in_transaction()))
        return original(self, sql, params, *args, **kwargs)

    monkeypatch.setattr(peewee.Database, "execute_sql", execute_sql)
    return found


def traced(trace: Trace, call):  # type: ignore[no-untyped-def]
    trace.statements.clear()
    trace.on = True
    try:
        return call()
    finally:
        trace.on = False


def postgres(stack: Stack) -> bool:
    return stack.settings.catalog_database_url.startswith("postgres")


def assert_one_insert_in_the_mutation(trace: Trace) -> Statement:
    inserts = trace.change_inserts()
    assert len(inserts) == 1, f"{len(inserts)} INSERTs into a change table:\n{trace.describe()}"
    (insert,) = inserts
    # Same transaction: inside the mutation's atomic() block, or one statement that also writes the resource.
    assert insert.in_transaction or RESOURCE_WRITE.search(insert.sql), trace.describe()
    assert any(RESOURCE_WRITE.search(s.sql) for s in trace.statements), trace.describe()
    assert trace.change_reads() == [], f"the write read the change table:\n{trace.describe()}"
    return insert


def test_a_draft_create_sends_one_insert_to_the_change_table(stack: Stack, unique, trace):
    traced(trace, lambda: create(stack.catalog, f"cost-{unique}"))
    assert_one_insert_in_the_mutation(trace)


def test_a_draft_update_sends_one_insert_to_the_change_table(stack: Stack, unique, trace):
    draft = create(stack.catalog, f"cost-{unique}")
    traced(trace, lambda: update(stack.catalog, draft, Action(set_description=Action.SetDescription(description="x"))))
    insert = assert_one_insert_in_the_mutation(trace)
    if postgres(stack):  # folded into the draft's compare-and-swap UPDATE: one round trip, not two
        assert re.search(r'WITH ready AS \(UPDATE "connector_staged"', insert.sql), insert.sql


def test_several_actions_still_send_one_insert(stack: Stack, unique, trace):
    draft = create(stack.catalog, f"cost-{unique}")
    traced(trace, lambda: update(stack.catalog, draft, Action(set_name=Action.SetName(name="Renamed")),
                                 Action(set_description=Action.SetDescription(description="New")),
                                 Action(add_private_project=Action.AddPrivateProject(
                                     private_project="europe-west1.gcp:partner"))))
    assert_one_insert_in_the_mutation(trace)


def test_an_instance_create_sends_one_insert_to_the_change_table(stack: Stack, unique, trace):
    # The bench's case: an installed connector (a project's first instance of its own connector also
    # installs it, and both records go in the same one INSERT: the next test).
    connector_id = publish(stack.catalog, f"cost-{unique}")
    install(stack.instances, connector_id)
    traced(trace, lambda: add_instance(stack.instances, connector_id, f"i-{unique}"))
    assert_one_insert_in_the_mutation(trace)


def test_a_first_instance_installs_its_connector_in_two_writes_of_one_insert_each(stack: Stack, unique, trace):
    # A project's first instance of its own connector installs it: the installation (with its record) is
    # written first, then the instance (with its own): two mutations, each with its one INSERT.
    connector_id = publish(stack.catalog, f"cost-{unique}")
    traced(trace, lambda: add_instance(stack.instances, connector_id, f"i-{unique}"))
    inserts = trace.change_inserts()
    assert len(inserts) == 2, trace.describe()
    assert all(s.in_transaction or RESOURCE_WRITE.search(s.sql) for s in inserts), trace.describe()
    assert trace.change_reads() == [], trace.describe()


def test_an_instance_update_sends_one_insert_to_the_change_table(stack: Stack, unique, trace):
    connector_id = publish(stack.catalog, f"cost-{unique}")
    instance = add_instance(stack.instances, connector_id, f"i-{unique}")
    body = ipb.Instance(id=instance.id, version=instance.version, name="renamed", timezone="Europe/Paris",
                        variables=[ipb.Variable(key="API_TOKEN", value="new-secret-value", secret=True)])
    traced(trace, lambda: stack.instances.UpdateInstance(ispb.UpdateInstanceRequest(
        instance=body, update_mask=field_mask_pb2.FieldMask(paths=["name", "timezone", "variables"]))))
    assert_one_insert_in_the_mutation(trace)


def test_a_refused_write_sends_no_insert(stack: Stack, unique, trace):
    draft = create(stack.catalog, f"cost-{unique}")
    update(stack.catalog, draft, Action(set_name=Action.SetName(name="Once")))
    with pytest.raises(grpc.RpcError) as stale:
        traced(trace, lambda: update(stack.catalog, draft, Action(set_name=Action.SetName(name="Twice"))))
    assert stale.value.code() == grpc.StatusCode.ABORTED
    assert trace.change_inserts() == []
