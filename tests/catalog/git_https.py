"""A private git repository served over https on loopback: ``git http-backend`` behind a small Python
HTTPS server that requires HTTP basic authentication.

``serve_private_repos(root, username, token)`` serves every repository under ``root`` at
``https://127.0.0.1:<port>/<name>``, with a self-signed certificate for 127.0.0.1 (``ca_file``: give it
to the catalog as ``git_ca_file``). A request without the right credentials gets 401; ``seen`` records
each request's path and whether (and with what) it authenticated, so a test can prove the credentials
were used and never travelled in the URL.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import os
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files in ``directory``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@dataclass
class Seen:
    path: str
    authorization: str  # the Authorization header as received ("" when none)
    authenticated: bool


@dataclass
class PrivateGitServer:
    port: int
    ca_file: Path
    seen: list[Seen] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def url(self, name: str) -> str:
        return f"https://127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def serve_private_repos(root: Path, username: str, token: str, workdir: Path) -> PrivateGitServer:
    """Serve the repositories under ``root`` over https, for ``username``/``token`` only."""
    workdir.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = self_signed_certificate(workdir)
    expected = "Basic " + base64.b64encode(f"{username}:{token}".encode()).decode()
    state = PrivateGitServer(port=0, ca_file=cert_file)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _handle(self) -> None:
            authorization = self.headers.get("Authorization", "")
            ok = authorization == expected
            state.seen.append(Seen(self.path, authorization, ok))
            if not ok:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="private"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "GIT_PROJECT_ROOT": str(root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "REQUEST_METHOD": self.command,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "REMOTE_USER": username,
                "REMOTE_ADDR": "127.0.0.1",
                "GATEWAY_INTERFACE": "CGI/1.1",
            }
            if self.headers.get("Content-Encoding"):
                env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
            if self.headers.get("Git-Protocol"):
                env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
            done = subprocess.run([HTTP_BACKEND], input=body, env=env, capture_output=True, check=False)
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            status = 200
            headers = []
            for line in head.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.strip().split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _handle
        do_POST = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    state._server = server
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return state


def bare_copy(repo_dir: Path, root: Path, name: str) -> str:
    """``repo_dir`` (a repository made by ``gitrepos.make_repo``) cloned bare as ``root/name``; the name."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "--quiet", "--bare", str(repo_dir), str(root / name)], check=True,
                   capture_output=True)
    return name
