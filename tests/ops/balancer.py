"""nginx as this machine's gRPC load balancer for tests: our own process, config and prefix in a temporary
directory (never the system service). ``nginx_binary()`` finds it; ``Nginx(fronts).start()`` listens on
one port per front and balances each over its backends with ``grpc_pass`` (passive health checks: a
backend that fails is left out for ``fail_timeout``)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

CONF = """\
daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{blocks}
}}
"""

BLOCK = """\
    upstream {name} {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port} http2;
        location / {{
            grpc_pass grpc://{name};
            grpc_next_upstream error timeout;
            grpc_read_timeout 1h;
            grpc_send_timeout 1h;
        }}
    }}
"""


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def config(prefix: Path, fronts: dict[str, tuple[int, list[str]]]) -> str:
    """The nginx.conf text: ``fronts`` name -> (port to listen on, backend host:port targets)."""
    blocks = "".join(BLOCK.format(
        name=name, port=port,
        servers="\n".join(f"        server {target} max_fails=1 fail_timeout=2s;" for target in targets))
        for name, (port, targets) in fronts.items())
    return CONF.format(prefix=prefix, blocks=blocks)


class Nginx:
    def __init__(self, fronts: dict[str, tuple[int, list[str]]]) -> None:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed")
        self.binary = binary
        self.fronts = fronts
        self.prefix = Path(tempfile.mkdtemp(prefix="plugboard-nginx-"))
        self.process: subprocess.Popen[bytes] | None = None

    def target(self, name: str) -> str:
        return f"127.0.0.1:{self.fronts[name][0]}"

    def start(self, wait_seconds: float = 10.0) -> None:
        conf = self.prefix / "nginx.conf"
        conf.write_text(config(self.prefix, self.fronts))
        checked = subprocess.run([self.binary, "-t", "-q", "-p", str(self.prefix), "-c", str(conf)],
                                 capture_output=True, text=True)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t failed: {checked.stderr}")
        self.process = subprocess.Popen([self.binary, "-p", str(self.prefix), "-c", str(conf)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + wait_seconds
        for port, _ in self.fronts.values():
            while True:
                with socket.socket() as sock:
                    if sock.connect_ex(("127.0.0.1", port)) == 0:
                        break
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start: {self.error_log()}")
                time.sleep(0.05)

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.prefix, ignore_errors=True)
