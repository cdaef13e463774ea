"""Running the whole Plugboard stack for reliability tests, in-process or as real processes.

- ``start_stack``: catalog, instance service and gateway in this process (``tests.harness``), on one
  database, seeded with a published connector and one instance; ``Stack.known`` holds the real ids,
  keys and project names the fuzzers mix into generated strings.
- ``new_postgres_database``: a throw-away database on the test PostgreSQL server.
- ``ServerProcess``: ``python -m plugboard serve <component>`` as a child process with PLUGBOARD_*
  settings, its stderr captured to a file, SIGKILL/SIGTERM and a health wait.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.procs import free_port  # noqa: F401  (re-exported: the ports of the stacks built here)
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.settings import Settings
from tests.harness import RunningServer, start_server
from tests.instance.helpers import publish

ROOT = Path(__file__).resolve().parents[2]
TEST_KEYS = "rel-1:" + base64.b64encode(bytes(range(1, 33))).decode()
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


# --- PostgreSQL ----------------------------------------------------------------------------------

def postgres_admin_url() -> str:
    return os.environ.get("PLUGBOARD_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _admin(url: str):  # type: ignore[no-untyped-def]
    import psycopg2

    conn = psycopg2.connect(url, connect_timeout=5)
    conn.autocommit = True
    return conn


@contextlib.contextmanager
def new_postgres_database(admin_url: str | None = None) -> Iterator[str]:
    """A fresh database ``plugboard_rel_<random>``; dropped (with its connections) afterwards."""
    admin_url = admin_url or postgres_admin_url()
    name = f"plugboard_rel_{uuid.uuid4().hex[:12]}"
    conn = _admin(admin_url)
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    try:
        yield with_database(admin_url, name)
    finally:
        conn = _admin(admin_url)
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


# --- in-process stack ----------------------------------------------------------------------------

@dataclass
class Stack:
    """Real servers on free ports, and what was seeded into them."""

    kind: str  # "sqlite" | "postgres"
    database_url: str
    settings: Settings
    catalog: RunningServer
    instance: RunningServer
    gateway: RunningServer
    project: str = ""
    connector_id: str = ""
    connector_key: str = ""
    instance_id: str = ""
    known: list[str] = field(default_factory=list)
    gateway_key: str = ""  # an API key of ``project`` with every scope; gateway.channel sends it

    def channel_for(self, service_full_name: str, through_gateway: bool = False) -> grpc.Channel:
        if through_gateway or service_full_name.startswith("plugboard.gateway."):
            return self.gateway.channel
        if service_full_name.startswith("plugboard.instance."):
            return self.instance.channel
        return self.catalog.channel

    def stop(self) -> None:
        for server in (self.gateway, self.instance, self.catalog):
            with contextlib.suppress(Exception):
                server.stop()


def stack_settings(directory: Path, database_url: str, **overrides: object) -> Settings:
    base = Settings(
        data_dir=directory, catalog_database_url=database_url, instance_database_url=database_url,
        secret_keys=TEST_KEYS, deleting_stale_seconds=3600, pending_stale_seconds=3600,
        default_deadline_seconds=10.0, grace_seconds=1.0,
        git_allow_file_urls=True, git_allowed_hosts=("github.com", "127.0.0.1"),
        # Loopback HTTP servers stand in for third-party systems in connection tests.
        connection_test_allow_cidrs=("127.0.0.0/8",), connection_test_timeout_seconds=5.0,
    )
    return base.with_overrides(**overrides) if overrides else base


def start_stack(kind: str, database_url: str, directory: Path, *, seed: bool = True,
                **overrides: object) -> Stack:
    from catalog_service.server import create_server as create_catalog
    from gateway.server import create_server as create_gateway
    from instance_service.server import create_server as create_instance

    settings = stack_settings(directory, database_url, **overrides)
    catalog = start_server(lambda: create_catalog(settings, port=0, poll_seconds=0.1))
    started: list[RunningServer] = [catalog]
    try:
        with_catalog = settings.with_overrides(catalog_target=catalog.target)
        instance = start_server(lambda: create_instance(with_catalog, port=0))
        started.append(instance)
        with_both = with_catalog.with_overrides(instance_target=instance.target)
        gateway = start_server(lambda: create_gateway(with_both, port=0, http_port=0))
        started.append(gateway)
        stack = Stack(kind, database_url, with_both, catalog, instance, gateway)
        if seed:
            seed_stack(stack)
    except BaseException:
        for server in reversed(started):
            server.stop()
        raise
    return stack


def create_instance(stub: igrpc.InstanceServiceStub, project: str, connector_key: str, name: str,
                    secrets: dict[str, str] | None = None, plain: dict[str, str] | None = None,
                    request_id: str = "") -> ipb.Instance:
    variables = [ipb.Variable(key=k, value=v, secret=True) for k, v in (secrets or {}).items()]
    variables += [ipb.Variable(key=k, value=v) for k, v in (plain or {}).items()]
    return stub.CreateInstance(ispb.CreateInstanceRequest(
        project=project, request_id=request_id, instance=ipb.Instance(
            name=name, connector_key=connector_key, timezone="UTC", date_format="Y-m-d",
            rate_limit_unit=ipb.RATE_LIMIT_UNIT_HOUR, rate_limit_duration=1, variables=variables)),
        timeout=15)


# A connector with settings, a secret and a connection test (against a loopback HTTP server: HOST).
SEED_SPEC = """\
deployAs:
  - name: service-app
    applicationType: service
    endpoint: /service
    configuration:
      standardConfiguration:
        - {key: ACCOUNT, description: Account}
        - {key: HOST, description: Host and port of the system}
      securedConfiguration:
        - {key: API_TOKEN, description: API token}
        - {key: PASSWORD, description: Password}
"""
SEED_PLUGBOARD = """\
connection:
  baseUrl: "http://{HOST}"
  authentication: {type: api_key_header, parameterName: X-Api-Key, apiKeyVariable: API_TOKEN}
  testRequest: {method: GET, path: /ping, expectedStatus: [200]}
"""


def gateway_key(settings: Settings, project: str) -> str:
    """A new API key of ``project`` with every scope, in the gateway's key database."""
    from gateway import keys
    from gateway.key_store import KeyStore

    store = KeyStore.open(settings.gateway_database_url)
    try:
        return store.create(project, list(keys.SCOPES), "reliability").key
    finally:
        store.close()


class _WithKey(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Adds ``authorization: Bearer <key>`` to every call of a channel."""

    def __init__(self, key: str) -> None:
        self.key = key

    def _details(self, details):  # type: ignore[no-untyped-def]
        metadata = [*(details.metadata or ()), ("authorization", f"Bearer {self.key}")]
        return _CallDetails(details.method, details.timeout, metadata, details.credentials,
                            getattr(details, "wait_for_ready", None), getattr(details, "compression", None))

    def intercept_unary_unary(self, continuation, details, request):  # type: ignore[no-untyped-def]
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):  # type: ignore[no-untyped-def]
        return continuation(self._details(details), request)


class _CallDetails(grpc.ClientCallDetails):
    def __init__(self, method, timeout, metadata, credentials, wait_for_ready, compression):  # type: ignore[no-untyped-def]
        self.method, self.timeout, self.metadata = method, timeout, metadata
        self.credentials, self.wait_for_ready, self.compression = credentials, wait_for_ready, compression


def keyed_channel(target: str, key: str) -> grpc.Channel:
    """A channel to ``target`` whose calls carry the API key ``key``."""
    return grpc.intercept_channel(grpc.insecure_channel(target), _WithKey(key))


def seed_stack(stack: Stack) -> None:
    """A published connector private to a project and one instance of it; their ids become ``known``."""
    suffix = uuid.uuid4().hex[:8]
    stack.project = f"proj-{suffix}"
    stack.connector_key = f"conn-{suffix}"
    catalog = cgrpc.CatalogServiceStub(stack.catalog.channel)
    stack.connector_id = publish(catalog, stack.project, stack.connector_key, spec=SEED_SPEC,
                                 plugboard=SEED_PLUGBOARD)
    instances = igrpc.InstanceServiceStub(stack.instance.channel)
    created = create_instance(instances, stack.project, stack.connector_key, "seeded",
                              secrets={"API_TOKEN": f"seed-token-{suffix}"},
                              plain={"ACCOUNT": "a1", "HOST": "127.0.0.1:9"})
    stack.instance_id = created.id
    stack.gateway_key = gateway_key(stack.settings, stack.project)
    stack.gateway.channel.close()
    stack.gateway.channel = keyed_channel(stack.gateway.target, stack.gateway_key)
    stack.known = [stack.project, stack.connector_id, stack.connector_key, stack.instance_id,
                   "acme", "API_TOKEN", "PASSWORD", "ACCOUNT", "HOST", "name", "-name", "create_time",
                   "variables", "name,variables"]


# --- child processes -----------------------------------------------------------------------------

def health_status(target: str, service: str = "", timeout: float = 1.0) -> str:
    """The serving status name, or the code name when the check failed."""
    with grpc.insecure_channel(target) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError as exc:
            return exc.code().name
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


class ServerProcess:
    """``python -m plugboard serve <component>`` in a child process, stderr to ``log_path``."""

    def __init__(self, component: str, env: dict[str, str], log_path: Path) -> None:
        self.component = component
        # Port 0: the process binds a free port and logs it ("serving ... on port N"); asking for a
        # free port up front would race with other processes binding it first.
        self.env = {**env, f"PLUGBOARD_{component.upper()}_PORT": "0"}
        self.env.setdefault("PLUGBOARD_LOG_LEVEL", "INFO")
        if self.env["PLUGBOARD_LOG_LEVEL"] not in ("DEBUG", "INFO"):
            self.env["PLUGBOARD_LOG_LEVEL"] = "INFO"
        self.log_path = log_path
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, wait_seconds: float = 30.0) -> None:
        full_env = {**os.environ, **self.env}
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "plugboard", "serve", self.component], cwd=ROOT, env=full_env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.component} exited with {self.process.returncode}: {self.log_tail()}")
            if not self.port:
                with open(self.log_path, "rb") as log:
                    log.seek(offset)
                    found = re.search(rb"serving .* on port (\d+)", log.read())
                self.port = int(found.group(1)) if found else 0
            if self.port and health_status(self.target, timeout=0.5) == "SERVING":
                return
            time.sleep(0.05)
        raise TimeoutError(f"{self.component} not SERVING after {wait_seconds}s: {self.log_tail()}")

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL and reap; the next ``start`` binds a new port."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.port = 0

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()


def process_env(directory: Path, component: str, database_url: str, **extra: str) -> dict[str, str]:
    """PLUGBOARD_* settings of one child process (its port is chosen by ``ServerProcess``)."""
    env = {
        "PLUGBOARD_DATA_DIR": str(directory),
        f"PLUGBOARD_{component.upper()}_DATABASE_URL": database_url,
        "PLUGBOARD_SECRET_KEYS": TEST_KEYS,
        "PLUGBOARD_LOG_LEVEL": "DEBUG",
        "PLUGBOARD_GRACE_SECONDS": "5",
        "PLUGBOARD_DELETING_STALE_SECONDS": "3600",
        "PLUGBOARD_PENDING_STALE_SECONDS": "3600",
    }
    env.update(extra)
    return env
