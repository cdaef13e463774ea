"""Server subprocesses for the benchmark: free ports, start, health wait, /proc readings, stop.

CPU is read from ``/proc/<pid>/stat`` (utime + stime, in clock ticks) and memory from
``/proc/<pid>/status`` (VmRSS now, VmHWM the peak since start), so the measured processes are never
touched by the harness.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


# Ports handed to another process come from below the kernel's ephemeral range (Linux: 32768-60999),
# a slice per pytest-xdist worker: a port from bind(0) is an ephemeral one, and once closed any outgoing
# connection (of this process or of a test running beside it) may take it before the server it was meant
# for binds it. Here no client socket takes one and two workers never hand out the same one.
PORT_BASE = 20000
PORT_SLICE = 1500
_next_port = itertools.count(os.getpid() * 37 % PORT_SLICE)  # processes of one worker start apart


def _slice_start() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    return PORT_BASE + (index % 8) * PORT_SLICE


def free_port() -> int:
    """A loopback port nobody listens on right now, for a server about to start (or for a call that must
    find nothing there): the next free one of this process's slice."""
    start = _slice_start()
    for _ in range(PORT_SLICE):
        port = start + next(_next_port) % PORT_SLICE
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port in {start}-{start + PORT_SLICE - 1}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (threads included)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the ")" of comm: field 3 (state) is fields[0]; utime is field 14, stime field 15.
    return (int(fields[11]) + int(fields[12])) / TICKS


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of ``pid`` in MB."""
    out: dict[str, float] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, value = line.split(":", 1)
                out[name] = int(value.split()[0]) / 1024
    return out


@dataclass
class Server:
    """A server subprocess: its name, address and process."""

    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def memory(self) -> dict[str, float]:
        return memory_mb(self.pid)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Fleet:
    """Every process the harness started, stopped together (newest first)."""

    servers: list[Server] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict[str, str], port: int, log_dir: Path,
              cwd: Path = ROOT) -> Server:
        log_dir.mkdir(parents=True, exist_ok=True)
        log_path = log_dir / f"{name}-{port}.log"
        log = open(log_path, "wb")
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        log.close()
        server = Server(name, port, process, log_path)
        self.servers.append(server)
        return server

    def stop(self, server: Server, timeout: float = 10.0) -> None:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
            try:
                server.process.wait(timeout)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
        if server in self.servers:
            self.servers.remove(server)

    def stop_all(self) -> None:
        for server in reversed(list(self.servers)):
            self.stop(server)


def plugboard_argv(component: str) -> list[str]:
    return [sys.executable, "-m", "plugboard", "serve", component]


def wait_serving(server: Server, timeout: float = 60.0) -> None:
    """Block until ``server`` answers its health check SERVING; RuntimeError when it exits or times out."""
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(server.target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            code = server.process.poll()
            if code is not None:
                raise RuntimeError(f"{server.name} exited with status {code} while starting:\n{server.log_tail()}")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server.name} did not become SERVING within {timeout:g}s:\n{server.log_tail()}")
            time.sleep(0.1)


def wait_listening(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Block until something accepts TCP connections on ``port`` (servers without a health service)."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with status {process.returncode} while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on port {port} after {timeout:g}s") from None
            time.sleep(0.05)
