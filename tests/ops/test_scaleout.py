"""The stack scaled out on this machine: catalog x2, instance x2 and gateway x2 processes on PostgreSQL,
every hop balanced by nginx (``grpc_pass``), and the protocols that must hold across processes:

- the create/delete race through both gateways leaves no orphan (a deleted connector has no instance);
- a publish request runs its job once, whichever catalog process claims it;
- a watch stream sees a change written through the other path (LISTEN/NOTIFY between the catalogs);
- a revoked API key is refused by every gateway process within the key cache window.

The default run executes a bounded form (a few race rounds); ``-m slow`` runs the long form. Without
nginx the test is skipped, except under ``CI=true`` (``.ci/run`` installs nginx), where it fails.
"""

from __future__ import annotations

import os
import queue
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.key_store import KeyStore
from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.catalog.v1 import connector_staged_pb2 as spb
from plugboard.catalog.v1 import update_actions_pb2 as apb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from tests.instance.helpers import publish
from tests.ops.balancer import Nginx, nginx_binary
from tests.reliability.procstack import pinned_process
from tests.reliability.stack import (
    SEED_PLUGBOARD,
    SEED_SPEC,
    ServerProcess,
    create_instance,
    free_port,
    gateway_key,
    keyed_channel,
    new_postgres_database,
    process_env,
    stack_settings,
)

pytestmark = pytest.mark.postgres

KEY_CACHE_SECONDS = 1.0


def _need_nginx() -> None:
    if nginx_binary() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("nginx is not installed (CI=true: .ci/run installs it from Debian's packages)")
        pytest.skip("nginx is not installed (apt-get install nginx); CI installs it")


def _start_all(processes: list[ServerProcess]) -> None:
    with ThreadPoolExecutor(len(processes)) as pool:
        for future in [pool.submit(process.start) for process in processes]:
            future.result()


def _scrape(port: int, name: str, **labels: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


class Scaled:
    """The six processes and nginx in front of each tier."""

    def __init__(self, tmp_path, urls: dict[str, str]) -> None:
        self.urls = urls
        self.nginx_ports = {name: free_port() for name in ("catalog", "instance", "gateway")}
        self.metrics = [free_port(), free_port()]
        common = {"PLUGBOARD_LOG_LEVEL": "INFO", "PLUGBOARD_GRACE_SECONDS": "1",
                  "PLUGBOARD_PENDING_STALE_SECONDS": "2", "PLUGBOARD_DELETING_STALE_SECONDS": "2",
                  "PLUGBOARD_CONNECTION_TEST_ALLOW_CIDRS": "127.0.0.0/8",
                  "PLUGBOARD_PAGE_TOKEN_KEY": "scaled-out-page-token-key-0123456789abcdef",
                  "PLUGBOARD_CATALOG_TARGET": f"127.0.0.1:{self.nginx_ports['catalog']}",
                  "PLUGBOARD_INSTANCE_TARGET": f"127.0.0.1:{self.nginx_ports['instance']}",
                  "PLUGBOARD_GATEWAY_KEY_CACHE_SECONDS": str(KEY_CACHE_SECONDS)}
        self.catalogs = [pinned_process("catalog", process_env(
            tmp_path, "catalog", urls["catalog"], PLUGBOARD_GIT_ALLOW_FILE_URLS="true",
            PLUGBOARD_CATALOG_METRICS_PORT=str(self.metrics[n]), **common), tmp_path / f"catalog-{n}.log")
            for n in range(2)]
        self.instances = [pinned_process("instance", process_env(tmp_path, "instance", urls["instance"], **common),
                                        tmp_path / f"instance-{n}.log") for n in range(2)]
        self.gateways = [pinned_process("gateway", process_env(
            tmp_path, "gateway", urls["gateway"], PLUGBOARD_HTTP_PORT="0", **common), tmp_path / f"gateway-{n}.log")
            for n in range(2)]
        self.nginx: Nginx | None = None

    def start(self) -> None:
        def targets(processes: list[ServerProcess]) -> list[str]:
            return [f"127.0.0.1:{p.env[f'PLUGBOARD_{p.component.upper()}_PORT']}" for p in processes]

        # Fixed ports: nginx knows every backend before any starts (as in compose, by name).
        self.nginx = Nginx({
            "catalog": (self.nginx_ports["catalog"], targets(self.catalogs)),
            "instance": (self.nginx_ports["instance"], targets(self.instances)),
            "gateway": (self.nginx_ports["gateway"], targets(self.gateways)),
        })
        self.nginx.start()
        _start_all(self.catalogs)
        _start_all(self.instances)
        _start_all(self.gateways)

    @property
    def front(self) -> str:
        return f"127.0.0.1:{self.nginx_ports['gateway']}"

    def key(self, project: str) -> str:
        settings = stack_settings(Path("."), self.urls["catalog"]).with_overrides(
            gateway_database_url=self.urls["gateway"])
        return gateway_key(settings, project)

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
        for process in [*self.gateways, *self.instances, *self.catalogs]:
            process.stop()


@pytest.fixture
def scaled(tmp_path):
    _need_nginx()
    with new_postgres_database() as catalog, new_postgres_database() as instance, \
            new_postgres_database() as gateway:
        stack = Scaled(tmp_path, {"catalog": catalog, "instance": instance, "gateway": gateway})
        try:
            stack.start()
            yield stack
        finally:
            stack.stop()


def _state(catalog: cgrpc.CatalogServiceStub, connector_id: str, project: str) -> str:
    try:
        catalog.GetConnector(cpb.GetConnectorRequest(id=connector_id, project=project), timeout=5)
    except grpc.RpcError as exc:
        assert exc.code() == grpc.StatusCode.NOT_FOUND, exc
        return "GONE"
    return "PRESENT"


def _race_round(scaled: Scaled, key: str, project: str, n: int) -> tuple[str, int]:
    """Publish a connector, then race creates of its instances with its delete through both gateways;
    (the connector's state, instances of it) once settled."""
    with keyed_channel(scaled.front, key) as channel:
        catalog = cgrpc.CatalogServiceStub(channel)
        connector_id = publish(catalog, project, f"race-{n}-{uuid.uuid4().hex[:6]}", spec=SEED_SPEC,
                               plugboard=SEED_PLUGBOARD)
        connector = catalog.GetConnector(cpb.GetConnectorRequest(id=connector_id, project=project), timeout=5)
        instances = igrpc.InstanceServiceStub(channel)

        def creator(i: int) -> None:
            try:
                create_instance(instances, project, connector.key, f"race-{n}-{i}",
                                secrets={"API_TOKEN": "t"}, plain={"ACCOUNT": "a", "HOST": "127.0.0.1:9"})
            except grpc.RpcError as exc:
                assert exc.code() not in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL), exc

        def deleter() -> None:
            for _ in range(3):
                try:
                    catalog.DeleteConnector(cpb.DeleteConnectorRequest(id=connector_id, project=project), timeout=10)
                    return
                except grpc.RpcError as exc:
                    assert exc.code() not in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL), exc
                time.sleep(0.01)

        with ThreadPoolExecutor(4) as pool:
            jobs = [pool.submit(creator, i) for i in range(3)] + [pool.submit(deleter)]
            for job in jobs:
                job.result()
        deadline = time.monotonic() + 10  # PENDING instances of a lost create are reconciled within ~2 s
        while True:
            state = _state(catalog, connector_id, project)
            refs = 0
            with grpc.insecure_channel(scaled.nginx.target("instance")) as direct:  # type: ignore[union-attr]
                refs = igrpc.InstanceServiceStub(direct).CountConnectorReferences(
                    ispb.CountConnectorReferencesRequest(connector_id=connector_id), timeout=5).total
            if state == "PRESENT" or refs == 0 or time.monotonic() > deadline:
                return state, refs
            time.sleep(0.1)


def _scenario(scaled: Scaled, rounds: int) -> None:
    project = f"scaled-{uuid.uuid4().hex[:6]}"
    key = scaled.key(project)

    # 1. The create/delete race: no orphan, whichever processes served each side.
    outcomes = [_race_round(scaled, key, project, n) for n in range(rounds)]
    orphans = [(state, refs) for state, refs in outcomes if state == "GONE" and refs]
    assert not orphans, outcomes

    # 2. A publish job runs once: one queued, one finished, over both catalog processes.
    queued = sum(_scrape(port, "plugboard_jobs_queued_total", kind="publish") for port in scaled.metrics)
    finished = sum(_scrape(port, "plugboard_jobs_finished_total", kind="publish") for port in scaled.metrics)
    assert queued == finished == rounds, (queued, finished)
    # nginx spread the calls: each catalog process served some of them.
    served = [_scrape(port, "grpc_server_started_total") for port in scaled.metrics]
    assert all(count > 0 for count in served), served

    # 3. A watch through nginx and a gateway sees a change written through another connection.
    with keyed_channel(scaled.front, key) as watching, keyed_channel(scaled.front, key) as writing:
        writer = cgrpc.CatalogServiceStub(writing)
        draft = writer.CreateConnectorStaged(cpb.CreateConnectorStagedRequest(
            project=project, draft=spb.ConnectorStagedDraft(
                key=f"watched-{uuid.uuid4().hex[:6]}", name="Watched",
                repository=spb.Repository(url="https://github.com/example/w.git", tag="v1.0.0"))), timeout=10)
        stream = cgrpc.CatalogServiceStub(watching).WatchConnectorStaged(
            cpb.WatchConnectorStagedRequest(id=draft.id, project=project), timeout=30)
        events: queue.Queue = queue.Queue()
        def read() -> None:
            try:
                for event in stream:
                    events.put(event)
            except grpc.RpcError:
                pass

        threading.Thread(target=read, daemon=True).start()
        assert events.get(timeout=10).type == spb.CONNECTOR_STAGED_EVENT_TYPE_SNAPSHOT
        Action = apb.ConnectorStagedUpdateAction
        writer.UpdateConnectorStaged(cpb.UpdateConnectorStagedRequest(
            id=draft.id, project=project, version=draft.version,
            actions=[Action(set_name=Action.SetName(name="Renamed"))]), timeout=10)
        event = events.get(timeout=5)
        assert event.type == spb.CONNECTOR_STAGED_EVENT_TYPE_UPDATED and event.connector_staged.name == "Renamed"
        stream.cancel()

    # 4. A revoked key is refused by every gateway process within the cache window.
    from gateway import keys

    store = KeyStore.open(scaled.urls["gateway"])
    try:
        new = store.create(project, list(keys.SCOPES), "doomed")
    finally:
        store.close()
    doomed = new.key
    stubs = []
    for gateway in scaled.gateways:
        channel = keyed_channel(gateway.target, doomed)
        stub = cgrpc.CatalogServiceStub(channel)
        stub.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=draft.id, project=project), timeout=5)
        stubs.append((channel, stub))  # the key is now cached by both processes
    store = KeyStore.open(scaled.urls["gateway"])
    try:
        store.revoke(new.record.key_id)
    finally:
        store.close()
    revoked_at = time.monotonic()
    for channel, stub in stubs:
        while True:
            try:
                stub.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=draft.id, project=project), timeout=5)
            except grpc.RpcError as exc:
                assert exc.code() == grpc.StatusCode.UNAUTHENTICATED, exc
                break
            assert time.monotonic() - revoked_at < KEY_CACHE_SECONDS + 1.0, "a revoked key still works"
            time.sleep(0.05)
        channel.close()


def test_scaled_out_stack_bounded(scaled):
    _scenario(scaled, rounds=2)


@pytest.mark.slow
def test_scaled_out_stack_long(scaled):
    _scenario(scaled, rounds=12)
