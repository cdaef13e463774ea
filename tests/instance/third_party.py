"""Real HTTP servers on loopback standing in for third-party systems in connection tests.

``ThirdParty`` (http.server in a thread) answers:

- ``/none/ping``: 200, no authentication.
- ``/key-header/ping``: 200 when X-Api-Key is right, else 401. ``/key-query/ping``: the ``api_key`` query
  parameter, else 403. ``/basic/ping``: HTTP basic. ``/bearer/ping``: a bearer token.
- ``POST /oauth/token``: client credentials (HTTP basic, grant_type=client_credentials) -> a fresh access
  token, else 401 invalid_client. ``/oauth/ping``: 200 with that token.
- ``/slow``: answers after 5 s. ``/drip``: 200 with a 100-byte body sent one byte a second.
  ``/huge``: 200 with an endless body (counts the bytes it managed to send).
- ``/redirect?to=URL``: 302 to URL. ``/teapot``: 418.
- ``/moved/REST?QUERY``: 301 to ``moved_to + /REST?QUERY`` (a server that moved, keeping path and query;
  ``moved_to`` defaults to this server's own base, ``/none/ping`` answers there).

Every request is recorded (path with query, headers). ``Canary`` is a bare TCP listener that counts the
connections it accepts (it must see none when the SSRF guard blocks).
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

API_KEY = "key-" + "k3y" * 4
USER, PASSWORD = "alice", "pa55-w0rd-secret"
BEARER = "bearer-tok-" + "b" * 8
CLIENT_ID, CLIENT_SECRET = "client-1", "client-secret-value"


class ThirdParty:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.tokens: set[str] = set()
        self.huge_bytes_sent = 0
        self.moved_to = ""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
                pass

            def _answer(self, status: int, body: bytes = b"ok", headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                self.do_GET()

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                owner.requests.append((self.command, self.path, headers))
                length = int(headers.get("content-length", "0") or 0)
                body = self.rfile.read(length) if length else b""
                auth = headers.get("authorization", "")
                path = parts.path
                if path == "/none/ping":
                    return self._answer(200)
                if path == "/key-header/ping":
                    return self._answer(200 if headers.get("x-api-key") == API_KEY else 401)
                if path == "/key-query/ping":
                    return self._answer(200 if parse_qs(parts.query).get("api_key") == [API_KEY] else 403)
                if path == "/basic/ping":
                    good = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                    return self._answer(200 if auth == good else 401)
                if path == "/bearer/ping":
                    return self._answer(200 if auth == f"Bearer {BEARER}" else 401)
                if path == "/oauth/token":
                    good = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                    form = parse_qs(body.decode())
                    if self.command != "POST" or auth != good or form.get("grant_type") != ["client_credentials"]:
                        return self._answer(401, json.dumps({"error": "invalid_client",
                                                             "error_description": f"bad {auth}"}).encode(),
                                            {"Content-Type": "application/json"})
                    token = "at-" + secrets.token_hex(8)
                    owner.tokens.add(token)
                    return self._answer(200, json.dumps({"access_token": token, "token_type": "Bearer",
                                                         "expires_in": 60}).encode(),
                                        {"Content-Type": "application/json"})
                if path == "/oauth/ping":
                    token = auth.removeprefix("Bearer ")
                    return self._answer(200 if auth.startswith("Bearer ") and token in owner.tokens else 401)
                if path == "/slow":
                    time.sleep(5)
                    return self._answer(200)
                if path == "/drip":
                    self.send_response(200)
                    self.send_header("Content-Length", "100")
                    self.end_headers()
                    self.wfile.flush()
                    try:
                        for _ in range(100):
                            self.wfile.write(b"x")
                            self.wfile.flush()
                            time.sleep(1)
                    except OSError:
                        pass
                    return None
                if path == "/huge":
                    self.send_response(200)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    chunk = b"y" * 65536
                    try:
                        for _ in range(16 * 1024):  # up to 1 GiB, unless the client stops reading
                            self.wfile.write(chunk)
                            owner.huge_bytes_sent += len(chunk)
                    except OSError:
                        pass
                    self.close_connection = True
                    return None
                if path == "/redirect":
                    return self._answer(302, b"", {"Location": parse_qs(parts.query)["to"][0]})
                if path.startswith("/moved/"):
                    query = f"?{parts.query}" if parts.query else ""
                    target = (owner.moved_to or owner.base) + path[len("/moved"):] + query
                    return self._answer(301, b"", {"Location": target})
                if path == "/teapot":
                    return self._answer(418)
                return self._answer(404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Canary:
    """A TCP listener that counts accepted connections."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()
