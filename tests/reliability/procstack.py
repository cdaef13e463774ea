"""A Plugboard stack whose instance service and gateway are real child processes on fixed ports, so
that they can be killed with SIGKILL and restarted at the same address while clients keep calling.

- The catalog runs in this process (``tests.harness``): it is never killed here, and publishing the
  test connector from a local git repository needs its settings (``git_allow_file_urls``).
- ``ProcStack.instance`` / ``ProcStack.gateway`` are ``stack.ServerProcess`` objects whose port is
  fixed (chosen once with ``free_port``), so ``kill()`` + ``start()`` brings them back at the same
  target; the gateway always forwards to that instance target.
- Reconciler bounds are small (``DELETING_STALE`` / ``PENDING_STALE``), so the repairs after a crash
  happen within seconds.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import grpc

from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from tests.harness import RunningServer, start_server
from tests.instance.helpers import publish
from tests.reliability.stack import (
    SEED_PLUGBOARD,
    SEED_SPEC,
    ServerProcess,
    free_port,
    gateway_key,
    process_env,
    stack_settings,
)

DELETING_STALE = 2.0  # catalog reconciler: DELETING older than this reverts to ACTIVE (period 1 s)
PENDING_STALE = 2.0  # instance reconciler: PENDING older than this is removed (period 0.5 s)

# Client channels that come back quickly after the server behind them was restarted.
FAST_RECONNECT = [("grpc.initial_reconnect_backoff_ms", 100), ("grpc.min_reconnect_backoff_ms", 100),
                  ("grpc.max_reconnect_backoff_ms", 300)]


def fast_channel(target: str) -> grpc.Channel:
    return grpc.insecure_channel(target, options=FAST_RECONNECT)


def pinned_process(component: str, env: dict[str, str], log_path: Path) -> ServerProcess:
    """A ``ServerProcess`` that always binds the same port (``free_port``: below the kernel's ephemeral
    range, so no outgoing connection takes it while its server is down)."""
    server = ServerProcess(component, env, log_path)
    server.env[f"PLUGBOARD_{component.upper()}_PORT"] = str(free_port())
    return server


@dataclass
class ProcStack:
    kind: str
    database_url: str
    catalog: RunningServer
    instance: ServerProcess
    gateway: ServerProcess
    gateway_database_url: str
    instance_target: str
    gateway_target: str

    def key_for(self, project: str) -> str:
        """An API key of ``project`` with every scope (the gateway reads keys from its database)."""
        settings = stack_settings(Path("."), self.database_url).with_overrides(
            gateway_database_url=self.gateway_database_url)
        return gateway_key(settings, project)

    def publish(self, project: str, key: str) -> str:
        """A published connector private to ``project`` (through the in-process catalog); its id."""
        return publish(cgrpc.CatalogServiceStub(self.catalog.channel), project, key, spec=SEED_SPEC,
                       plugboard=SEED_PLUGBOARD)

    def stop(self) -> None:
        for server in (self.gateway, self.instance):
            with contextlib.suppress(Exception):
                server.kill()
        with contextlib.suppress(Exception):
            self.catalog.stop()


def start_proc_stack(kind: str, database_url: str, directory: Path, *, secret_keys: str | None = None,
                     with_gateway: bool = True, **extra_env: str) -> ProcStack:
    """Catalog in-process; instance service and gateway as processes (started, SERVING; the gateway
    only when ``with_gateway``)."""
    from catalog_service.server import create_server as create_catalog

    settings = stack_settings(directory, database_url, deleting_stale_seconds=DELETING_STALE,
                              pending_stale_seconds=PENDING_STALE)
    catalog = start_server(lambda: create_catalog(settings, port=0, poll_seconds=0.1))
    gateway_db = f"sqlite:///{directory / 'gateway.db'}"
    common = {"PLUGBOARD_LOG_LEVEL": "INFO", "PLUGBOARD_GRACE_SECONDS": "1",
              "PLUGBOARD_DELETING_STALE_SECONDS": str(DELETING_STALE),
              "PLUGBOARD_PENDING_STALE_SECONDS": str(PENDING_STALE),
              "PLUGBOARD_CATALOG_TARGET": catalog.target,
              "PLUGBOARD_CONNECTION_TEST_ALLOW_CIDRS": "127.0.0.0/8",
              "PLUGBOARD_CONNECTION_TEST_TIMEOUT_SECONDS": "5",
              **extra_env}
    if secret_keys is not None:
        common["PLUGBOARD_SECRET_KEYS"] = secret_keys
    instance = pinned_process("instance", process_env(directory, "instance", database_url, **common),
                              directory / "instance.log")
    instance_target = f"127.0.0.1:{instance.env['PLUGBOARD_INSTANCE_PORT']}"
    gateway = pinned_process("gateway", process_env(
        directory, "gateway", gateway_db, PLUGBOARD_INSTANCE_TARGET=instance_target, PLUGBOARD_HTTP_PORT="0",
        **common), directory / "gateway.log")
    stack = ProcStack(kind, database_url, catalog, instance, gateway, gateway_db, instance_target,
                      f"127.0.0.1:{gateway.env['PLUGBOARD_GATEWAY_PORT']}")
    try:
        instance.start()
        if with_gateway:
            gateway.start()
    except BaseException:
        stack.stop()
        raise
    return stack
