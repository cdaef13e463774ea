"""Optimistic concurrency of a draft under contention, straight to the catalog (SQLite and PostgreSQL).

Per round, THREADS clients send ``UpdateConnectorStaged`` with the same expected version and their own
``setName`` at once (a barrier releases them together). Exactly one wins per version: it gets the
draft at version + 1 with its name; every other one gets ABORTED ``CONCURRENT_MODIFICATION`` with the
current version (version + 1) in the ErrorInfo metadata. No update is lost: after each round the draft
carries the winner's name, and at the end its version is the initial one plus the number of wins.

Default: 16 threads x 8 rounds per storage. Full run (``PLUGBOARD_FULL=1``): 16 x 100.
"""

from __future__ import annotations

import collections
import threading
import uuid

import grpc
import pytest

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.catalog.v1 import update_actions_pb2 as apb
from plugboard.rpc.status import from_rpc_error
from tests.harness import start_server
from tests.reliability import fuzz
from tests.reliability.conftest import STORAGES, storage_url
from tests.reliability.fuzz import FULL
from tests.reliability.stack import stack_settings

THREADS = 16
ROUNDS = 100 if FULL else 8
PROJECT = "contended"


@pytest.fixture(params=STORAGES)
def catalog(request, tmp_path):  # type: ignore[no-untyped-def]
    from catalog_service.server import create_server

    for url in storage_url(request.param, tmp_path, request):
        settings = stack_settings(tmp_path, url)
        server = start_server(lambda: create_server(settings, port=0, poll_seconds=0.1))
        server.kind = request.param  # type: ignore[attr-defined]
        try:
            yield server
        finally:
            server.stop()


def set_name(stub: cgrpc.CatalogServiceStub, draft_id: str, version: int, name: str) -> spb.ConnectorStaged:
    return stub.UpdateConnectorStaged(cpb.UpdateConnectorStagedRequest(
        id=draft_id, version=version, project=PROJECT,
        actions=[apb.ConnectorStagedUpdateAction(set_name=apb.ConnectorStagedUpdateAction.SetName(name=name))]),
        timeout=20)


def test_one_winner_per_version_and_no_lost_update(catalog):
    key = f"draft-{uuid.uuid4().hex[:8]}"
    setup = cgrpc.CatalogServiceStub(catalog.channel)
    draft = setup.CreateConnectorStaged(cpb.CreateConnectorStagedRequest(project=PROJECT, draft=spb.ConnectorStagedDraft(
        key=key, name="initial", repository=spb.Repository(url=f"https://github.com/acme/{key}.git", tag="v1"))),
        timeout=20)
    initial = draft.version
    channels = [grpc.insecure_channel(catalog.target) for _ in range(THREADS)]
    stubs = [cgrpc.CatalogServiceStub(channel) for channel in channels]
    for stub in stubs:  # connect every channel before the first round
        stub.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=draft.id, project=PROJECT), timeout=20)
    losers: collections.Counter[str] = collections.Counter()
    try:
        version = initial
        for number in range(ROUNDS):
            barrier = threading.Barrier(THREADS)
            results: list[object] = [None] * THREADS

            def update(n: int) -> None:
                barrier.wait()
                try:
                    results[n] = set_name(stubs[n], draft.id, version, f"round {number} thread {n}")
                except grpc.RpcError as exc:
                    results[n] = exc

            threads = [threading.Thread(target=update, args=(n,)) for n in range(THREADS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            wins = [r for r in results if isinstance(r, spb.ConnectorStaged)]
            errors = [r for r in results if isinstance(r, grpc.RpcError)]
            assert len(wins) == 1, f"round {number}: {len(wins)} winners at version {version}"
            assert len(wins) + len(errors) == THREADS
            winner = wins[0]
            assert winner.version == version + 1
            for exc in errors:
                assert not fuzz.problems(fuzz.outcome_of(exc)), exc
                err = from_rpc_error(exc)
                assert (exc.code(), err.reason) == (grpc.StatusCode.ABORTED, "CONCURRENT_MODIFICATION"), \
                    f"{exc.code().name} {err.reason}: {exc.details()}"
                assert err.metadata.get("expected_version") == str(version)
                assert err.metadata.get("current_version") == str(version + 1), err.metadata
                losers[exc.code().name] += 1
            now = setup.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=draft.id, project=PROJECT), timeout=20)
            assert (now.version, now.name) == (winner.version, winner.name), "the winner's update was lost"
            version = winner.version
    finally:
        for channel in channels:
            channel.close()
    final = setup.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=draft.id, project=PROJECT), timeout=20)
    assert final.version == initial + ROUNDS
    print(f"\nconcurrent updates [{catalog.kind}]: {ROUNDS} rounds x {THREADS} threads, "
          f"{ROUNDS} wins, losers {dict(losers)}, final version {final.version}")
