"""The gateway's own cost per forwarded call, without the catalog's: the gateway in front of a stub backend.

``python -m bench.gateway_overhead [--duration S] [--concurrency 1,32] [--profile DIR]`` starts a stub
CatalogService (a bare grpc.aio server answering every method with the same Connector-sized bytes, as
``bench.echo_server`` does), a naive grpc.aio pass-through proxy (DESIGN.md's reference: a multicallable
per call, metadata copied, no auth) and the real gateway (``plugboard serve gateway``, API key on), then
drives GetConnector at each with ``bench.loadgen`` (and ``GET /connectors/{id}`` at the gateway's HTTP/JSON
facade, target ``http``) and prints one JSON line per target and concurrency:
qps, p50/p99 and the CPU µs per call of the proxying process alone (the stub's CPU apart).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2_grpc

from bench.procs import Fleet, cpu_seconds, free_port, wait_listening, wait_serving
from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import connector_pb2

METHOD = "/plugboard.catalog.v1.CatalogService/GetConnector"
PROJECT = "acme"


def _response() -> bytes:
    """About the size of a seeded Connector (1-2 KB)."""
    head = connector_pb2.Connector(id="c" * 26, key="bench-connector", creator_project=PROJECT)
    return head.SerializeToString() + b"\xfa\x3e\xf8\x0a" + b"x" * 1400  # + unknown field 999, 1400 bytes


async def _until_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


class _AnyMethod(grpc.GenericRpcHandler):
    def __init__(self, handler: grpc.RpcMethodHandler) -> None:
        self.handler = handler

    def service(self, handler_call_details):  # type: ignore[no-untyped-def]
        return self.handler


async def stub_backend(port: int) -> None:
    response = _response()

    async def answer(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return response

    server = grpc.aio.server()
    health_servicer = health.aio.HealthServicer()  # the gateway's health follows it
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    server.add_generic_rpc_handlers((_AnyMethod(grpc.unary_unary_rpc_method_handler(answer)),))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await _until_signal()
    await server.stop(1)


async def naive_proxy(port: int, backend: str) -> None:
    """A straightforward pass-through: a multicallable per call, caller's metadata minus pseudo headers."""
    channel = grpc.aio.insecure_channel(backend)

    class Forward(grpc.GenericRpcHandler):
        def service(self, details):  # type: ignore[no-untyped-def]
            method = details.method

            async def forward(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
                metadata = [(k, v) for k, v in context.invocation_metadata() if not k.startswith(":")]
                return await channel.unary_unary(method)(request, timeout=context.time_remaining(),
                                                         metadata=metadata)

            return grpc.unary_unary_rpc_method_handler(forward)

    server = grpc.aio.server()
    server.add_generic_rpc_handlers((Forward(),))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await _until_signal()
    await server.stop(1)


def _drive(loadgen: subprocess.Popen, command: dict) -> dict:
    assert loadgen.stdin is not None and loadgen.stdout is not None
    loadgen.stdin.write(json.dumps(command) + "\n")
    loadgen.stdin.flush()
    return json.loads(loadgen.stdout.readline())


def _percentile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000.0 if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--concurrency", default="1,32")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--gateway-source", type=Path,
                        help="directory holding another gateway/ package to measure (e.g. a `git show` copy)")
    parser.add_argument("--profile", type=Path, help="record py-spy collapsed stacks of the gateway here")
    args = parser.parse_args()
    import base64

    from gateway.key_store import KeyStore

    fleet = Fleet()
    work = Path(tempfile.mkdtemp(prefix="gw-overhead-"))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    py = sys.executable
    loadgen = None
    try:
        backend_port, naive_port, gw_port, http_port = free_port(), free_port(), free_port(), free_port()
        backend = fleet.start("stub", [py, "-c", f"import asyncio,bench.gateway_overhead as g;"
                                                 f"asyncio.run(g.stub_backend({backend_port}))"],
                              env, backend_port, work)
        naive = fleet.start("naive", [py, "-c", f"import asyncio,bench.gateway_overhead as g;asyncio.run("
                                                f"g.naive_proxy({naive_port}, '127.0.0.1:{backend_port}'))"],
                            env, naive_port, work)
        url = f"sqlite:///{work / 'gateway.db'}"
        store = KeyStore.open(url)
        key = store.create(PROJECT, ["view_connectors", "manage_connectors"], "bench").key
        store.close()
        gw_env = {**env, "PLUGBOARD_GATEWAY_PORT": str(gw_port), "PLUGBOARD_HTTP_PORT": str(http_port),
                  "PLUGBOARD_CATALOG_TARGET": f"127.0.0.1:{backend_port}",
                  "PLUGBOARD_INSTANCE_TARGET": f"127.0.0.1:{backend_port}",
                  "PLUGBOARD_GATEWAY_DATABASE_URL": url, "PLUGBOARD_DATA_DIR": str(work),
                  "PLUGBOARD_LOG_LEVEL": args.log_level}
        source = f"import sys;sys.path.insert(0, {str(args.gateway_source)!r});" if args.gateway_source else ""
        gw = fleet.start("gateway", [py, "-c", f"{source}import sys;from plugboard.cli import main;"
                                               "sys.exit(main(['serve', 'gateway']))"], gw_env, gw_port, work)
        wait_listening(backend_port, backend.process)
        wait_listening(naive_port, naive.process)
        wait_serving(gw)
        loadgen = subprocess.Popen([py, "-m", "bench.loadgen"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   text=True, env=env)
        request = base64.b64encode(cpb.GetConnectorRequest(id="c" * 26).SerializeToString()).decode()
        targets = [("stub", backend, ()), ("naive", naive, ()),
                   ("gateway", gw, (("authorization", f"Bearer {key}"),))]
        for name, server, metadata in targets:
            _drive(loadgen, {"op": "prepare", "name": name, "target": server.target, "method": METHOD,
                             "metadata": [list(m) for m in metadata], "requests": [request]})
        http = (f"GET /connectors/{'c' * 26} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
                "Accept: application/json\r\n\r\n").encode()
        _drive(loadgen, {"op": "prepare", "name": "http", "kind": "http", "target": f"127.0.0.1:{http_port}",
                         "requests": [base64.b64encode(http).decode()]})
        targets.append(("http", gw, ()))
        for concurrency in [int(c) for c in args.concurrency.split(",")]:
            for name, server, _ in targets:
                _drive(loadgen, {"op": "run", "name": name, "concurrency": concurrency, "duration": args.warmup})
                spy = None
                if args.profile and server is gw:
                    args.profile.mkdir(parents=True, exist_ok=True)
                    spy = subprocess.Popen([str(Path(py).parent / "py-spy"), "record", "--format", "raw",
                                            "-r", "250", "-d", str(int(args.duration)), "-o",
                                            str(args.profile / f"{name}-c{concurrency}.txt"), "--pid",
                                            str(server.pid)], stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL)
                before = {s.name: cpu_seconds(s.pid) for s in (backend, server)}
                began = time.perf_counter()
                result = _drive(loadgen, {"op": "run", "name": name, "concurrency": concurrency,
                                          "duration": args.duration})
                elapsed = time.perf_counter() - began
                after = {s.name: cpu_seconds(s.pid) for s in (backend, server)}
                if spy is not None:
                    spy.wait()
                calls = max(result["calls"], 1)
                print(json.dumps({
                    "target": name, "concurrency": concurrency, "qps": round(result["ok"] / elapsed, 1),
                    "errors": result["codes"], "p50_ms": _percentile(result["latencies_us"], 0.5),
                    "p99_ms": _percentile(result["latencies_us"], 0.99),
                    "cpu_us_per_call": round((after[server.name] - before[server.name]) * 1e6 / calls, 1),
                    "stub_cpu_us_per_call": round((after["stub"] - before["stub"]) * 1e6 / calls, 1)
                    if name != "stub" else None,
                }), flush=True)
    finally:
        if loadgen is not None:
            loadgen.kill()
            loadgen.wait()
        fleet.stop_all()


if __name__ == "__main__":
    main()
