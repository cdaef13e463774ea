"""SSRF over a real gRPC channel: TestInstanceConnection refuses every spelling of a non-public
address with BLOCKED, and no connection reaches a canary listening on loopback (IPv4 and IPv6, one
port) when loopback is not allowed.

Already covered elsewhere (not repeated): the address rules one by one (``tests/instance/
test_ssrf_rules.py``); over gRPC, 127.0.0.1, localhost, 2130706433, 0x7f.1, 0177.0.0.1, 127.1, [::1],
[::ffff:127.0.0.1], [::ffff:7f00:1], 169.254.169.254, 10.0.0.1, 100.64.0.1, 0.0.0.0 against an IPv4
canary, other schemes, and redirects to 10.1.2.3 / 169.254.169.254 / [::ffff:10.0.0.1] from an
allowed loopback server (``tests/instance/test_connection_tests.py``).

Added here:
- more spellings against an IPv4 + IPv6 canary: fc00::/7 (fc00::1, fd00::1), 172.16/12, 192.168/16,
  100.64/10 edges, full hex (0x7f000001), full octal (017700000001), mixed (0x7f.0.0.1, 127.0.1,
  127.000.000.001), trailing dots, upper case LOCALHOST, [::], [0:0:0:0:0:ffff:127.0.0.1],
  [::ffff:a9fe:a9fe] (metadata, mapped), NAT64 and 6to4 forms of loopback, fe80::1, userinfo tricks
  (``public.example@127.0.0.1``);
- a redirect to loopback (the canary) from an allowed server, with loopback itself not allowed;
- DNS rebinding: a name that resolves first to an allowed address (127.0.0.2, standing in for a
  public one: the only network allowed) and then to the canary's 127.0.0.1. The resolver is replaced
  at its boundary only (``socket.getaddrinfo`` for that one name; every other name and every literal
  goes to the real resolver): the probe must connect to the address it checked, so the allowed server
  answers and the canary sees nothing. A name resolving to an allowed and a private address at once
  is BLOCKED.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from catalog_service.server import create_server as create_catalog_server
from instance_service.server import create_server as create_instance_server
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.instance.v1 import instance_pb2 as ipb
from plugboard.instance.v1 import instance_service_pb2 as ispb
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc
from plugboard.settings import Settings
from tests.harness import start_server
from tests.instance.conftest import TEST_KEYS
from tests.instance.helpers import publish

ALLOWED = "127.0.0.2"  # the one network the rebinding/redirect servers live in
REBIND_NAME = "rebind.plugboard.test"
MIXED_NAME = "mixed.plugboard.test"


class DualCanary:
    """Counts TCP connections accepted on 127.0.0.1:P and [::1]:P (same port, when IPv6 exists)."""

    def __init__(self) -> None:
        self.connections: list[str] = []
        self.sockets = []
        first = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        first.bind(("127.0.0.1", 0))
        self.port = first.getsockname()[1]
        self.sockets.append(first)
        try:
            six = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            six.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            six.bind(("::1", self.port))
            self.sockets.append(six)
        except OSError:
            pass
        self._stop = threading.Event()
        for sock in self.sockets:
            sock.listen(16)
            sock.settimeout(0.1)
            threading.Thread(target=self._run, args=(sock,), daemon=True).start()

    @property
    def ipv6(self) -> bool:
        return len(self.sockets) == 2

    def _run(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections.append(str(peer))
            conn.close()

    def close(self) -> None:
        self._stop.set()
        for sock in self.sockets:
            sock.close()


class AllowedServer:
    """HTTP on 127.0.0.2: /ping -> 200; /redirect?to=URL -> 302 to URL. Records each path."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
                pass

            def do_GET(self) -> None:  # noqa: N802
                owner.paths.append(self.path)
                parts = urlsplit(self.path)
                if parts.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", parse_qs(parts.query)["to"][0])
                else:
                    self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer((ALLOWED, 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Connectors:
    """Connectors published by the real catalog, one per test-request path: connect.yaml with a standard key
    BASE and ``connection: {baseUrl: "http://{BASE}", testRequest: {path: ...}}``."""

    def __init__(self, catalog) -> None:  # type: ignore[no-untyped-def]
        self.catalog = catalog
        self.ids: dict[str, str] = {}

    def for_path(self, path: str) -> str:
        if path not in self.ids:
            spec = json.dumps({
                "deployAs": [{"name": "service-app", "applicationType": "service", "endpoint": "/service", "configuration": {
                    "standardConfiguration": [{"key": "BASE", "description": "Host", "required": True}]}}],
                "connection": {"baseUrl": "http://{BASE}", "testRequest": {"path": path}}})
            self.ids[path] = publish(self.catalog, "acme", f"probe-{len(self.ids)}", spec)
        return self.ids[path]


@pytest.fixture
def env(tmp_path):  # type: ignore[no-untyped-def]
    catalog = start_server(lambda: create_catalog_server(Settings(
        data_dir=tmp_path, catalog_database_url=f"sqlite:///{tmp_path / 'c.db'}", git_allow_file_urls=True), port=0))
    connectors = Connectors(cgrpc.CatalogServiceStub(catalog.channel))
    settings = Settings(data_dir=tmp_path, instance_database_url=f"sqlite:///{tmp_path / 'i.db'}",
                        catalog_target=catalog.target, secret_keys=TEST_KEYS,
                        connection_test_allow_cidrs=(f"{ALLOWED}/32",), connection_test_timeout_seconds=2,
                        version_check_seconds=0)
    server = start_server(lambda: create_instance_server(settings, port=0))
    canary, allowed = DualCanary(), AllowedServer()
    try:
        yield igrpc.InstanceServiceStub(server.channel), connectors, canary, allowed
    finally:
        allowed.close()
        canary.close()
        server.stop()
        catalog.stop()


def probe(stub, connectors, base: str, path: str = "/ping") -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Create an instance whose BASE is ``base`` and run its connection test: (outcome, message)."""
    made = stub.CreateInstance(ispb.CreateInstanceRequest(project="acme", instance=ipb.Instance(
        name="probe", timezone="UTC", date_format="Y-m-d", rate_limit_unit=ipb.RATE_LIMIT_UNIT_SECOND,
        rate_limit_duration=1, connector_id=connectors.for_path(path), variables=[ipb.Variable(key="BASE", value=base)])), timeout=10)
    result = stub.TestInstanceConnection(ispb.TestInstanceConnectionRequest(project="acme", id=made.id), timeout=10)
    return ipb.ConnectionTestOutcome.Name(result.outcome).removeprefix("CONNECTION_TEST_OUTCOME_"), result.message


# Hosts that must be BLOCKED; ``{p}`` is the canary's port.
BLOCKED = [
    "127.0.0.1:{p}", "127.0.0.1.:{p}", "LOCALHOST:{p}", "127.1:{p}", "127.0.1:{p}",
    "2130706433:{p}", "0x7f000001:{p}", "017700000001:{p}", "0x7f.0.0.1:{p}", "0x7F.1:{p}", "0177.1:{p}",
    "127.000.000.001:{p}", "0:{p}", "0.0.0.0:{p}", "[::1]:{p}", "[::]:{p}", "[0:0:0:0:0:0:0:1]:{p}",
    "[::ffff:127.0.0.1]:{p}", "[0:0:0:0:0:ffff:127.0.0.1]:{p}", "[::ffff:7f00:1]:{p}", "[64:ff9b::7f00:1]:{p}",
    "[2002:7f00:1::]:{p}",
    "fc00::1", "[fc00::1]:{p}", "[fd00::1]:{p}", "[fdff:ffff::1]:{p}", "[fe80::1]:{p}",
    "10.0.0.1:{p}", "172.16.0.1:{p}", "172.31.255.254:{p}", "192.168.0.1:{p}", "100.64.0.1:{p}",
    "100.127.255.254:{p}", "169.254.169.254", "169.254.169.254:{p}", "[::ffff:169.254.169.254]:{p}",
    "[::ffff:a9fe:a9fe]:{p}", "2852039166", "0xa9fea9fe", "0251.0376.0251.0376",
]

# Refused before the guard or by the resolver: never contacted either (outcomes allowed).
REFUSED_OTHERWISE = {
    "localhost.:{p}": {"BLOCKED", "UNREACHABLE"},  # a resolver may not know the rooted name
    "public.example@127.0.0.1:{p}": {"MISCONFIGURED", "BLOCKED"},  # user info is refused outright
    "user:pw@[::1]:{p}": {"MISCONFIGURED", "BLOCKED"},
}


def test_every_spelling_of_a_private_address_is_blocked_and_the_canary_sees_nothing(env):
    stub, connectors, canary, _ = env
    wrong = []
    for host in BLOCKED:
        base = host.format(p=canary.port)
        if base.startswith("fc00::1"):
            base = "[fc00::1]"
        result, message = probe(stub, connectors, base)
        if result != "BLOCKED":
            wrong.append(f"{base}: {result} {message}")
    for host, allowed_outcomes in REFUSED_OTHERWISE.items():
        base = host.format(p=canary.port)
        result, message = probe(stub, connectors, base)
        if result not in allowed_outcomes:
            wrong.append(f"{base}: {result} {message}")
    assert not wrong, wrong
    assert canary.connections == [], canary.connections
    print(f"\nSSRF: {len(BLOCKED)} spellings BLOCKED, {len(REFUSED_OTHERWISE)} refused otherwise; canary (IPv4{' + IPv6' if canary.ipv6 else ''}) "
          f"accepted {len(canary.connections)} connections")


def test_the_allowed_network_is_reached_so_the_canary_would_see_a_leak(env):
    """Positive control: the same probe to the allowed server is OK and reaches it."""
    stub, connectors, _, allowed = env
    result, message = probe(stub, connectors, f"{ALLOWED}:{allowed.port}")
    assert result == "OK", message
    assert allowed.paths == ["/ping"]


def test_a_redirect_to_loopback_is_blocked_before_any_packet(env):
    stub, connectors, canary, allowed = env
    for target in (f"http://127.0.0.1:{canary.port}/", f"http://[::1]:{canary.port}/",
                   f"http://2130706433:{canary.port}/", f"http://localhost:{canary.port}/"):
        result, message = probe(stub, connectors, f"{ALLOWED}:{allowed.port}", path=f"/redirect?to={target}")
        assert result == "BLOCKED", (target, result, message)
    assert sum(p.startswith("/redirect") for p in allowed.paths) == 4  # the first hop was made
    assert canary.connections == []


def test_dns_rebinding_connects_to_the_checked_address_only(env, monkeypatch):
    stub, connectors, canary, allowed = env
    real = socket.getaddrinfo
    answers: dict[str, int] = {}

    def resolver(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host == REBIND_NAME:  # first the allowed address, then loopback
            answers[host] = answers.get(host, 0) + 1
            address = ALLOWED if answers[host] == 1 else "127.0.0.1"
            return real(address, port, *args, **kwargs)
        if host == MIXED_NAME:  # both at once
            return real(ALLOWED, port, *args, **kwargs) + real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    # The canary listens on the allowed server's port on 127.0.0.1 too, if it can: a second lookup
    # would land there. (Otherwise on its own port: a leak would show as UNREACHABLE instead of OK.)
    trap = socket.socket()
    try:
        trap.bind(("127.0.0.1", allowed.port))
        trap.listen(4)
        trap.settimeout(0.1)
    except OSError:
        trap.close()
        trap = None  # type: ignore[assignment]
    try:
        result, message = probe(stub, connectors, f"{REBIND_NAME}:{allowed.port}")
        assert (result, answers.get(REBIND_NAME)) == ("OK", 1), (result, message, answers)
        assert allowed.paths[-1] == "/ping"
        result, message = probe(stub, connectors, f"{MIXED_NAME}:{canary.port}")
        assert result == "BLOCKED", (result, message)
        if trap is not None:
            with pytest.raises((TimeoutError, OSError)):
                trap.accept()
    finally:
        if trap is not None:
            trap.close()
    assert canary.connections == []
