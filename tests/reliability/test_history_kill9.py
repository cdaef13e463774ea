"""No change without its record, no record without its change, under kill -9 (issue 17).

For the catalog (draft creates and renames) and the instance service (instance creates and renames;
the catalog runs in this process and is never killed), on SQLite and on PostgreSQL (a scratch database
per test): writers call the service directly while it is killed with SIGKILL, several times; then a
fresh process is started and the data and the records are compared:

- every acknowledged write is in the data (at its version at least, at most one unacknowledged write
  further), and has exactly its record: one CREATED record at version 1, one UPDATED record per later
  version, each with previous version = version - 1, none twice;
- every record is of a change that is in the data: no record of a resource that does not exist, none
  of a version above the resource's; the newest record's ``setName`` holds the resource's name;
- integrity: ``PRAGMA integrity_check`` / ``foreign_key_check`` on SQLite; record ids unique on both.

The checks are exact and take no timings: a write that failed because of the kill may or may not have
happened, and both outcomes are checked for. Figures are printed (``-s``). Default: 3 cycles per case;
``PLUGBOARD_FULL=1``: 20; ``PLUGBOARD_HISTORY_KILL_CYCLES=N``: N. The kill points are drawn from
``PLUGBOARD_KILL_SEED`` (default 7).
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2, json_format

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.catalog.v1 import change_history_service_pb2_grpc as catalog_history
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.catalog.v1 import update_actions_pb2 as apb
from plugboard.history.v1 import history_pb2 as hpb
from plugboard.instance.v1 import change_history_service_pb2_grpc as instance_history
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from tests.reliability.conftest import storage_url
from tests.reliability.fuzz import FULL
from tests.reliability.procstack import ProcStack, fast_channel, start_proc_stack
from tests.reliability.stack import ServerProcess, process_env

PROJECT = "killed"
WRITERS = 3
RENAMES = 3  # renames per resource after its create
CALL_TIMEOUT = 5.0
# What a call cut off by the kill may answer.
KILLED = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED, grpc.StatusCode.DEADLINE_EXCEEDED)


def cycles() -> int:
    raw = os.environ.get("PLUGBOARD_HISTORY_KILL_CYCLES", "").strip()
    return int(raw) if raw else (20 if FULL else 3)


@dataclass
class Attempt:
    """One resource a writer tried to create, and the newest acknowledged state of it."""

    key: str
    id: str = ""  # "" while no write of it was acknowledged
    version: int = 0
    name: str = ""


@dataclass
class Figures:
    cycles: int = 0
    attempts: int = 0
    acknowledged: int = 0
    records: int = 0
    committed_cut_off: int = 0  # writes whose call the kill cut off, found committed (with their records)
    failed: dict[str, int] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)


# A service under test: create(stub, key) -> (id, version, name); rename(stub, id, version, name) -> (version, name).
Create = Callable[[Any, str], tuple[str, int, str]]
Rename = Callable[[Any, str, int, str], tuple[int, str]]


class Writers:
    """Threads creating resources and renaming each a few times until the calls fail (the kill)."""

    def __init__(self, stub: Any, cycle: int, create: Create, rename: Rename, figures: Figures,
                 attempts: dict[str, Attempt]) -> None:
        self.stub, self.cycle, self.create, self.rename = stub, cycle, create, rename
        self.figures, self.attempts = figures, attempts
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(WRITERS)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self) -> None:
        for thread in self._threads:
            thread.join(60)
            assert not thread.is_alive(), "a writer hung after the kill"

    def _failed(self, exc: grpc.RpcError) -> None:
        with self._lock:
            name = exc.code().name
            self.figures.failed[name] = self.figures.failed.get(name, 0) + 1
            if exc.code() not in KILLED:
                self.figures.unexpected.append(f"{name}: {exc.details()}")

    def _run(self, writer: int) -> None:
        n = 0
        while True:
            n += 1
            attempt = Attempt(f"h-{self.cycle}-{writer}-{n}")
            with self._lock:
                self.attempts[attempt.key] = attempt
                self.figures.attempts += 1
            try:
                attempt.id, attempt.version, attempt.name = self.create(self.stub, attempt.key)
            except grpc.RpcError as exc:
                self._failed(exc)
                return  # the process is gone: this cycle is over for this writer
            with self._lock:
                self.figures.acknowledged += 1
            for rename in range(RENAMES):
                try:
                    version, name = self.rename(self.stub, attempt.id, attempt.version,
                                                f"renamed {attempt.key} #{rename + 1}")
                except grpc.RpcError as exc:
                    self._failed(exc)
                    return
                attempt.version, attempt.name = version, name
                with self._lock:
                    self.figures.acknowledged += 1


def all_records(stub: Any) -> list[hpb.ChangeRecord]:
    """Every record of a service (an internal caller: no project filter), newest first."""
    found: list[hpb.ChangeRecord] = []
    token = ""
    while True:
        page = stub.ListChanges(hpb.ListChangesRequest(limit=500, page_token=token), timeout=30)
        found.extend(page.results)
        token = page.next_page_token
        if not token:
            return found


def compare(resource_type: str, created: str, data: dict[str, tuple[int, str]], records: list[hpb.ChangeRecord],
            attempts: dict[str, Attempt], figures: Figures) -> list[str]:
    """The mismatches between ``data`` (id -> (version, name) of every resource of ``resource_type`` that
    exists), its ``records`` and the acknowledged ``attempts``; counts the cut-off writes that committed."""
    mismatches: list[str] = []
    by_resource: dict[str, list[hpb.ChangeRecord]] = defaultdict(list)
    for record in records:
        if record.resource_type == resource_type:
            by_resource[record.resource_id].append(record)
    for resource_id in sorted(set(by_resource) - set(data)):
        mismatches.append(f"{resource_type} {resource_id}: {len(by_resource[resource_id])} records, no such resource")
    for resource_id, (version, name) in sorted(data.items()):
        found = sorted(by_resource.get(resource_id, []), key=lambda r: r.version)
        versions = [r.version for r in found]
        if versions != list(range(1, version + 1)):
            mismatches.append(f"{resource_type} {resource_id} at version {version} has records of versions {versions}")
            continue
        first, *later = found
        if first.type != hpb.CHANGE_TYPE_CREATED or first.changes[0].change != created or first.previous_version:
            mismatches.append(f"{resource_id} v1: {hpb.ChangeType.Name(first.type)} {[c.change for c in first.changes]}")
        for record in later:
            if record.type != hpb.CHANGE_TYPE_UPDATED or record.previous_version != record.version - 1 \
                    or [c.change for c in record.changes] != ["setName"]:
                mismatches.append(f"{resource_id} v{record.version}: {hpb.ChangeType.Name(record.type)} "
                                  f"from v{record.previous_version} {[c.change for c in record.changes]}")
        if later:
            newest = json_format.MessageToDict(later[-1].changes[0].next_value)
            if newest != name:
                mismatches.append(f"{resource_id}: named {name!r}, its newest record says {newest!r}")
    for attempt in attempts.values():
        if not attempt.id:
            continue  # never acknowledged: may or may not exist, checked above either way
        if attempt.id not in data:
            mismatches.append(f"{attempt.key}: acknowledged at v{attempt.version}, lost")
            continue
        version, name = data[attempt.id]
        # At most one write further than the acknowledged one: the one the kill cut off.
        if not attempt.version <= version <= attempt.version + 1 or (version == attempt.version and name != attempt.name):
            mismatches.append(f"{attempt.key}: acknowledged v{attempt.version} {attempt.name!r}, "
                              f"found v{version} {name!r}")
        figures.committed_cut_off += version == attempt.version + 1
    acknowledged = {a.id for a in attempts.values() if a.id}
    figures.committed_cut_off += len(set(data) - acknowledged)  # creates committed, never acknowledged
    return mismatches


def check_integrity(url: str, records: list[hpb.ChangeRecord]) -> list[str]:
    problems = []
    if len({r.id for r in records}) != len(records):
        problems.append("duplicate record ids")
    if len({(r.resource_type, r.resource_id, r.version) for r in records}) != len(records):
        problems.append("two records of one resource version")
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            if conn.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
                problems.append("PRAGMA integrity_check failed")
            if conn.execute("PRAGMA foreign_key_check").fetchall():
                problems.append("PRAGMA foreign_key_check failed")
    return problems


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(kind, url): a SQLite file or a scratch PostgreSQL database of this test."""
    for url in storage_url(request.param, tmp_path, request):
        yield request.param, url


def _kill_points(count: int) -> list[float]:
    rng = random.Random(os.environ.get("PLUGBOARD_KILL_SEED", "7"))
    return [rng.uniform(0.3, 0.9) for _ in range(count)]


def _report(service: str, kind: str, figures: Figures, mismatches: list[str], problems: list[str]) -> None:
    print(f"history kill -9 [{service}/{kind}]: cycles={figures.cycles} attempted={figures.attempts} "
          f"acknowledged writes={figures.acknowledged} records checked={figures.records} "
          f"failed calls={figures.failed} cut-off writes found committed={figures.committed_cut_off} mismatches={len(mismatches)} integrity problems={len(problems)}")
    assert not figures.unexpected, f"writes failed other than by the kill: {figures.unexpected[:5]}"
    assert figures.acknowledged >= figures.cycles, f"too few acknowledged writes to prove anything: {figures}"
    assert not mismatches, f"{len(mismatches)} mismatches, e.g. {mismatches[:8]}"
    assert not problems, problems


# --- the catalog ---------------------------------------------------------------------------------

def _create_draft(stub: cgrpc.CatalogServiceStub, key: str) -> tuple[str, int, str]:
    draft = stub.CreateConnectorStaged(cpb.CreateConnectorStagedRequest(
        project=PROJECT, request_id=key, draft=spb.ConnectorStagedDraft(
            key=key, name=f"created {key}",
            repository=spb.Repository(url=f"https://github.com/acme/{key}.git", tag="v1"))), timeout=CALL_TIMEOUT)
    return draft.id, draft.version, draft.name


def _rename_draft(stub: cgrpc.CatalogServiceStub, draft_id: str, version: int, name: str) -> tuple[int, str]:
    Action = apb.ConnectorStagedUpdateAction
    draft = stub.UpdateConnectorStaged(cpb.UpdateConnectorStagedRequest(
        id=draft_id, version=version, project=PROJECT, actions=[Action(set_name=Action.SetName(name=name))]),
        timeout=CALL_TIMEOUT)
    return draft.version, draft.name


@pytest.mark.timeout(900)
def test_catalog_records_match_its_drafts_under_kill_9(database, tmp_path):
    kind, url = database
    figures = Figures()
    attempts: dict[str, Attempt] = {}

    def process() -> ServerProcess:
        return ServerProcess("catalog", process_env(tmp_path, "catalog", url, PLUGBOARD_LOG_LEVEL="INFO"),
                             tmp_path / "catalog.log")

    for cycle, pause in enumerate(_kill_points(cycles())):
        server = process()
        server.start()
        with grpc.insecure_channel(server.target) as channel:
            writers = Writers(cgrpc.CatalogServiceStub(channel), cycle, _create_draft, _rename_draft, figures, attempts)
            writers.start()
            time.sleep(pause)
            server.kill()
            writers.join()
        figures.cycles += 1

    server = process()
    server.start()
    try:
        with grpc.insecure_channel(server.target) as channel:
            stub = cgrpc.CatalogServiceStub(channel)
            data: dict[str, tuple[int, str]] = {}
            for attempt in attempts.values():  # every key tried, acknowledged or not
                try:
                    draft = stub.GetConnectorStagedByKey(cpb.GetConnectorStagedByKeyRequest(
                        key=attempt.key, project=PROJECT), timeout=CALL_TIMEOUT)
                except grpc.RpcError as exc:
                    assert exc.code() == grpc.StatusCode.NOT_FOUND, exc
                    continue
                data[draft.id] = (draft.version, draft.name)
            records = all_records(catalog_history.CatalogChangeHistoryServiceStub(channel))
    finally:
        server.stop()
    figures.records = len(records)
    others = sorted({r.resource_type for r in records} - {"connector-staged"})
    mismatches = compare("connector-staged", "createConnectorStaged", data, records, attempts, figures)
    mismatches += [f"unexpected records of {others}"] if others else []
    _report("catalog", kind, figures, mismatches, check_integrity(url, records))


# --- the instance service ------------------------------------------------------------------------

def _instance_ops(connector_key: str) -> tuple[Create, Rename]:
    def create(stub: igrpc.InstanceServiceStub, key: str) -> tuple[str, int, str]:
        instance = stub.CreateInstance(ispb.CreateInstanceRequest(
            project=PROJECT, request_id=key, instance=ipb.Instance(
                name=f"created {key}", connector_key=connector_key, timezone="UTC", date_format="Y-m-d",
                rate_limit_unit=ipb.RATE_LIMIT_UNIT_HOUR, rate_limit_duration=1)), timeout=CALL_TIMEOUT)
        return instance.id, instance.version, instance.name

    def rename(stub: igrpc.InstanceServiceStub, instance_id: str, version: int, name: str) -> tuple[int, str]:
        instance = stub.UpdateInstance(ispb.UpdateInstanceRequest(
            project=PROJECT, instance=ipb.Instance(id=instance_id, version=version, name=name),
            update_mask=field_mask_pb2.FieldMask(paths=["name"])), timeout=CALL_TIMEOUT)
        return instance.version, instance.name

    return create, rename


def _instances(stub: igrpc.InstanceServiceStub) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    token = ""
    while True:
        page = stub.ListInstances(ispb.ListInstancesRequest(project=PROJECT, per_page=100, page_token=token),
                                  timeout=30)
        found.update({i.id: (i.version, i.name) for i in page.instances})
        token = page.next_page_token
        if not token:
            return found


@pytest.mark.timeout(900)
def test_instance_records_match_its_instances_under_kill_9(database, tmp_path):
    kind, url = database
    stack: ProcStack = start_proc_stack(kind, url, tmp_path, with_gateway=False)
    figures = Figures()
    attempts: dict[str, Attempt] = {}
    try:
        connector_key = f"kill9-{kind}"
        stack.publish(PROJECT, connector_key)
        create, rename = _instance_ops(connector_key)
        for cycle, pause in enumerate(_kill_points(cycles())):
            if cycle:
                stack.instance.start()  # the same port: the catalog-side and client channels reconnect
            with fast_channel(stack.instance_target) as channel:
                writers = Writers(igrpc.InstanceServiceStub(channel), cycle, create, rename, figures, attempts)
                writers.start()
                time.sleep(pause)
                stack.instance.kill()
                writers.join()
            figures.cycles += 1
        stack.instance.start()
        with fast_channel(stack.instance_target) as channel:
            data = _instances(igrpc.InstanceServiceStub(channel))
            installations = igrpc.InstanceServiceStub(channel).ListInstallations(
                ispb.ListInstallationsRequest(project=PROJECT), timeout=30)
            records = all_records(instance_history.InstanceChangeHistoryServiceStub(channel))
    finally:
        stack.stop()
    figures.records = len(records)
    mismatches = compare("instance", "createInstance", data, records, attempts, figures)
    # The connector's installation came with the first instance, in its transaction.
    installed = {i.id for i in installations.installations}
    installation_records = [r for r in records if r.resource_type == "installation"]
    if data and (len(installed) != 1 or [r.changes[0].change for r in installation_records] != ["installConnector"]
                 or {r.resource_id for r in installation_records} != installed):
        mismatches.append(f"installations {installed}, their records "
                          f"{[(r.resource_id, r.changes[0].change) for r in installation_records]}")
    others = sorted({r.resource_type for r in records} - {"instance", "installation"})
    mismatches += [f"unexpected records of {others}"] if others else []
    _report("instance", kind, figures, mismatches, check_integrity(url, records))
