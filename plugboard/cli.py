"""The ``plugboard`` command.

- ``plugboard serve catalog|instance|gateway [--workers N]``: run one server in the foreground until
  SIGTERM/Ctrl-C; with ``--workers N``, N processes of it sharing its ports (SO_REUSEPORT: the kernel
  spreads connections over them), stopped gracefully together.
- ``plugboard up``: run the whole stack (catalog, then instance, then gateway) as child processes, wait
  until each answers its gRPC health check, print the addresses, and stop them all gracefully on
  Ctrl-C/SIGTERM or when one of them dies.
- ``plugboard health``: one gRPC health check; exit status 0 when SERVING (used by compose).

Settings come from the environment (``Settings.from_env``); a bad setting prints one line and exits 2.

The services contribute their own subcommands (``keys``, ``secrets``) through the ``plugboard.cli``
entry points of ``pyproject.toml``: each names a service module with ``add_commands(subparsers)``
and, optionally, ``add_up_options(parser)`` and ``before_up(settings, data_dir, args)`` (which
returns lines for ``plugboard up``'s banner). This module imports no service.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import importlib
import importlib.metadata
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# Component name -> the package whose ``server`` module has ``serve(settings)``; in start order.
COMPONENTS: dict[str, str] = {
    "catalog": "catalog_service",
    "instance": "instance_service",
    "gateway": "gateway",
}

DEFAULT_HEALTH_TARGET = "127.0.0.1:50050"

# The entry-point group naming each service's command-line module (see the module docstring).
SERVICE_CLI_GROUP = "plugboard.cli"


def service_clis() -> list:  # type: ignore[type-arg]
    """The service command-line modules registered in ``SERVICE_CLI_GROUP``, by entry-point name."""
    found = importlib.metadata.entry_points(group=SERVICE_CLI_GROUP)
    return [entry.load() for entry in sorted(found, key=lambda entry: entry.name)]


def _fail(message: str, code: int = EXIT_FAILURE) -> int:
    print(f"plugboard: {message}", file=sys.stderr, flush=True)
    return code


class _BadSettings(Exception):
    pass


class StackNotReady(Exception):
    """Raised by a service's ``before_up`` when the stack cannot start; its text is printed."""


def _settings():  # type: ignore[no-untyped-def]
    from plugboard.settings import Settings, SettingsError

    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise _BadSettings(str(exc)) from None


# --- serve ---------------------------------------------------------------------------------------


def _run(coro, event_loop: str) -> None:  # type: ignore[no-untyped-def]
    """Run ``coro`` on uvloop (PLUGBOARD_EVENT_LOOP=uvloop, the default when installed) or asyncio's loop."""
    if event_loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            uvloop.run(coro)
            return
    asyncio.run(coro)


# The metrics-port setting of each component: worker i of ``--workers`` serves metrics on that port + i.
METRICS_PORT_SETTING = {name: f"PLUGBOARD_{name.upper()}_METRICS_PORT" for name in COMPONENTS}


def cmd_serve(args: argparse.Namespace) -> int:
    """Run one component (or ``--workers`` processes of it) until SIGTERM/SIGINT."""
    from plugboard.errors import PlugboardError
    from plugboard.logs import configure_logging
    from plugboard.observability import tracing

    try:
        settings = _settings()
    except _BadSettings as exc:
        return _fail(f"bad setting: {exc}", EXIT_USAGE)
    configure_logging(settings.log_level, settings.log_format)
    workers = getattr(args, "workers", 1)
    if workers < 1:
        return _fail("--workers must be at least 1", EXIT_USAGE)
    if workers > 1:
        return _serve_workers(args.component, workers, settings)
    if settings.otlp_endpoint:
        tracing.configure(settings.otlp_endpoint, f"plugboard-{args.component}")
    if Path(settings.data_dir).is_dir():  # created (0700) by whatever first stores a file in it
        from plugboard.storage.files import private_directory

        private_directory(settings.data_dir)
    server = importlib.import_module(f"{COMPONENTS[args.component]}.server")
    try:
        _run(server.serve(settings), settings.event_loop)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except OSError as exc:  # e.g. the port is taken
        return _fail(f"cannot start the {args.component} service: {exc}")
    except PlugboardError as exc:  # e.g. the database is unreachable
        return _fail(f"cannot start the {args.component} service: {exc.message}")
    finally:
        tracing.shutdown()  # flush the spans still buffered
    return EXIT_OK


def _serve_workers(component: str, workers: int, settings) -> int:  # type: ignore[no-untyped-def]
    """``workers`` child processes of ``plugboard serve component`` sharing its ports; SIGTERM/SIGINT
    stop them all gracefully; when one dies the others are stopped too (exit status 1)."""
    ports = {"catalog": settings.catalog_port, "instance": settings.instance_port,
             "gateway": settings.gateway_port}
    if ports[component] == 0 or (component == "gateway" and settings.http_port == 0):
        return _fail("--workers needs fixed ports (PLUGBOARD_*_PORT must not be 0)", EXIT_USAGE)
    metrics_base = getattr(settings, f"{component}_metrics_port")
    stopping = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stopping.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    children: list[subprocess.Popen[bytes]] = []
    failed = False
    try:
        for index in range(workers):
            env = dict(os.environ, PLUGBOARD_REUSE_PORT="true")
            if metrics_base:
                env[METRICS_PORT_SETTING[component]] = str(metrics_base + index)
            children.append(subprocess.Popen(
                [sys.executable, "-m", "plugboard", "serve", component], env=env, process_group=0,
                preexec_fn=_die_with_parent(os.getpid())))
        print(f"plugboard: {workers} {component} workers on port {ports[component]} "
              f"(pids {', '.join(str(child.pid) for child in children)})", file=sys.stderr, flush=True)
        while not stopping.wait(0.2):
            dead = [child for child in children if child.poll() is not None]
            if dead:
                failed = True
                _fail(f"a {component} worker (pid {dead[0].pid}) exited with status {dead[0].returncode}; "
                      "stopping the others")
                break
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + settings.grace_seconds + settings.shutdown_notice_seconds + 5.0
        for child in children:
            try:
                child.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return EXIT_FAILURE if failed else EXIT_OK


# --- health --------------------------------------------------------------------------------------


def check_health(target: str, service: str = "", timeout: float = 3.0) -> str:
    """One gRPC health check: the serving status name (``"SERVING"``, ``"NOT_SERVING"``...), or the
    status code name when the check itself failed (``"UNAVAILABLE"``, ``"NOT_FOUND"``...)."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError as exc:
            code = exc.code() if hasattr(exc, "code") else None
            return code.name if code is not None else "UNKNOWN"
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


def cmd_health(args: argparse.Namespace) -> int:
    status = check_health(args.target, args.service, args.timeout)
    print(f"{args.target}{' ' + args.service if args.service else ''}: {status}", flush=True)
    return EXIT_OK if status == "SERVING" else EXIT_FAILURE


# --- up ------------------------------------------------------------------------------------------


def _connect_host(bind_host: str) -> str:
    if bind_host in ("", "0.0.0.0", "::", "[::]"):
        return "127.0.0.1"
    return f"[{bind_host}]" if ":" in bind_host and not bind_host.startswith("[") else bind_host


def _die_with_parent(parent: int) -> Callable[[], None]:
    """In the child, before exec: on Linux, get SIGTERM when ``plugboard up`` dies, even by SIGKILL,
    so no server outlives the stack it belongs to (elsewhere: nothing)."""

    def prepare() -> None:
        if not sys.platform.startswith("linux"):
            return
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            return
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return prepare


_PR_SET_PDEATHSIG = 1


@dataclass
class Child:
    """A component running as a child process."""

    name: str
    address: str
    process: subprocess.Popen[bytes]

    def exited(self) -> int | None:
        return self.process.poll()


class Stack:
    """Start, watch and stop the components of ``plugboard up``."""

    def __init__(self, env: dict[str, str], *, start_timeout: float, stop_timeout: float,
                 stopping: threading.Event) -> None:
        self.env = env
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.stopping = stopping
        self.children: list[Child] = []

    def start(self, name: str, address: str) -> None:
        process = subprocess.Popen(
            [sys.executable, "-m", "plugboard", "serve", name],
            env=self.env,
            # Own process group: Ctrl-C in a terminal reaches only ``up``, which stops the children
            # in order.
            process_group=0,
            preexec_fn=_die_with_parent(os.getpid()),
        )
        self.children.append(Child(name, address, process))

    def wait_serving(self, child: Child) -> str | None:
        """None once ``child`` answers SERVING; else why it never did."""
        deadline = time.monotonic() + self.start_timeout
        while not self.stopping.is_set():
            code = child.exited()
            if code is not None:
                return f"the {child.name} service exited with status {code} while starting"
            if check_health(child.address, "", timeout=1.0) == "SERVING":
                return None
            if time.monotonic() > deadline:
                return (f"the {child.name} service did not answer its health check at "
                        f"{child.address} within {self.start_timeout:g}s")
            self.stopping.wait(0.1)
        return "interrupted"

    def watch(self) -> Child | None:
        """Block until asked to stop (None) or until a child dies (that child)."""
        while not self.stopping.wait(0.2):
            for child in self.children:
                if child.exited() is not None:
                    return child
        return None

    def stop(self) -> None:
        """SIGTERM every running child, newest first; kill what is still running after the timeout."""
        for child in reversed(self.children):
            if child.exited() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for child in reversed(self.children):
            try:
                child.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"plugboard: the {child.name} service did not stop in time; killing it",
                      file=sys.stderr, flush=True)
                child.process.kill()
                child.process.wait()


DEV_REVIEWER_PROJECTS = "reviewers"


def cmd_up(args: argparse.Namespace) -> int:
    """Run the three components until Ctrl-C/SIGTERM; exit non-zero when one of them fails."""
    try:
        settings = _settings()
    except _BadSettings as exc:
        return _fail(f"bad setting: {exc}", EXIT_USAGE)
    ports = {"gateway": settings.gateway_port, "catalog": settings.catalog_port,
             "instance": settings.instance_port}
    if 0 in ports.values():
        return _fail("plugboard up needs fixed ports (PLUGBOARD_*_PORT must not be 0)", EXIT_USAGE)
    host = _connect_host(settings.bind_host)
    addresses = {name: f"{host}:{port}" for name, port in ports.items()}
    data_dir = Path(settings.data_dir).resolve()
    from plugboard.storage.files import private_directory

    private_directory(data_dir)  # 0700: databases and key files are the user's alone

    env = dict(os.environ)
    env["PLUGBOARD_DATA_DIR"] = str(data_dir)
    # The gateway reaches the backends this stack starts, unless told otherwise.
    env.setdefault("PLUGBOARD_CATALOG_TARGET", addresses["catalog"])
    env.setdefault("PLUGBOARD_INSTANCE_TARGET", addresses["instance"])
    # Certification needs a reviewer project other than the creator's; the development stack has one.
    env.setdefault("PLUGBOARD_CATALOG_REVIEWER_PROJECTS", DEV_REVIEWER_PROJECTS)

    banner: list[str] = []
    for module in service_clis():  # e.g. the gateway's development API key
        before_up = getattr(module, "before_up", None)
        if before_up is None:
            continue
        try:
            banner += before_up(settings, data_dir, args)
        except Exception as exc:  # noqa: BLE001 - reported, not raised: the stack cannot start
            return _fail(str(exc) if isinstance(exc, StackNotReady) else
                         f"cannot prepare the stack: {type(exc).__name__}")

    stopping = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stopping.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    stack = Stack(env, start_timeout=args.timeout, stop_timeout=settings.grace_seconds + 5.0,
                  stopping=stopping)
    try:
        for name in COMPONENTS:
            stack.start(name, addresses[name])
            problem = stack.wait_serving(stack.children[-1])
            if problem == "interrupted":
                return EXIT_OK
            if problem is not None:
                return _fail(f"{problem}; stopping")
        print(
            "Plugboard is up:\n"
            f"  gateway   {addresses['gateway']}\n"
            f"  catalog   {addresses['catalog']}\n"
            f"  instance  {addresses['instance']}\n"
            f"  data dir  {data_dir}\n"
            f"  HTTP/JSON http://{host}:{settings.http_port}\n"
            + "".join(f"  {line}\n" for line in banner) +
            "Press Ctrl-C to stop.",
            flush=True,
        )
        died = stack.watch()
        if died is not None:
            return _fail(f"the {died.name} service exited with status {died.exited()}; "
                         "stopping the others")
        print("plugboard: stopping", file=sys.stderr, flush=True)
        return EXIT_OK
    finally:
        stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- parser --------------------------------------------------------------------------------------


def _add_serve(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run one server in the foreground")
    parser.add_argument("component", choices=tuple(COMPONENTS), help="which server to run")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes sharing the server's ports (SO_REUSEPORT; default 1)")
    parser.set_defaults(func=cmd_serve)


def _add_up(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "up", help="run catalog, instance and gateway until Ctrl-C (SQLite under PLUGBOARD_DATA_DIR)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds each server gets to become SERVING (default 60)")
    for module in service_clis():
        add_up_options = getattr(module, "add_up_options", None)
        if add_up_options is not None:
            add_up_options(parser)
    parser.set_defaults(func=cmd_up)


def _add_health(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("health", help="one gRPC health check; exit 0 when SERVING")
    parser.add_argument("--target", default=DEFAULT_HEALTH_TARGET,
                        help=f"host:port of the server (default {DEFAULT_HEALTH_TARGET})")
    parser.add_argument("--service", default="",
                        help="service name to check (default: the whole server)")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds (default 3)")
    parser.set_defaults(func=cmd_health)


def _add_service_commands(subparsers: argparse._SubParsersAction) -> None:
    for module in service_clis():
        module.add_commands(subparsers)


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_serve, _add_up, _add_health, _add_service_commands]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plugboard",
        description="Plugboard: connector catalog and connector instances behind a gateway.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
