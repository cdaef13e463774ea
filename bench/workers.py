"""``python -m bench.workers``: calls per second and server CPU per call of the catalog as 1, 2 and 4
worker processes on one port (``plugboard serve catalog --workers N``, SO_REUSEPORT, PostgreSQL), and the
cost of Prometheus metrics (the same load with and without ``PLUGBOARD_CATALOG_METRICS_PORT``).

The load: GetConnectorStaged of one draft from a separate client process over ``--connections``
connections (the kernel gives each to a worker) with ``--concurrency`` calls in flight. Server CPU is
utime + stime of the workers (``/proc``). On a machine with few cores the client shares them with the
servers, so the speed-up is bounded by the cores; the JSON lines say how many there were.
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

from bench import databases, procs
from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.catalog.v1 import connector_staged_pb2 as spb

METHOD = "/plugboard.catalog.v1.CatalogService/GetConnectorStaged"


async def _load(target: str, request: bytes, connections: int, concurrency: int, seconds: float) -> dict:
    channels = [grpc.aio.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)])
                for _ in range(connections)]
    calls = [ch.unary_unary(METHOD) for ch in channels]
    for ch in channels:
        await asyncio.wait_for(ch.channel_ready(), 10)
    ok = errors = 0
    stop = time.perf_counter() + seconds

    async def loop(n: int) -> None:
        nonlocal ok, errors
        call = calls[n % len(calls)]
        while time.perf_counter() < stop:
            try:
                await call(request, timeout=10)
                ok += 1
            except grpc.RpcError:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(n) for n in range(concurrency)))
    elapsed = time.perf_counter() - started
    for ch in channels:
        await ch.close()
    return {"ok": ok, "errors": errors, "elapsed": elapsed}


def _client(args: argparse.Namespace) -> int:
    """The load generator process (``--client``): one JSON line with its counts."""
    request = bytes.fromhex(args.request)
    result = asyncio.run(_load(args.target, request, args.connections, args.concurrency, args.seconds))
    print(json.dumps(result), flush=True)
    return 0


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _worker_pids(process: subprocess.Popen, workers: int) -> list[int]:
    """The serving processes: the children of ``--workers N`` (N > 1), else the process itself."""
    return _children(process.pid) if workers > 1 else [process.pid]


def _cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += procs.cpu_seconds(pid)
        except OSError:
            pass
    return total


def _serve(workers: int, port: int, url: str, data_dir: Path, metrics_port: int) -> subprocess.Popen:
    env = {**os.environ, "PLUGBOARD_CATALOG_DATABASE_URL": url, "PLUGBOARD_CATALOG_PORT": str(port),
           "PLUGBOARD_DATA_DIR": str(data_dir), "PLUGBOARD_LOG_LEVEL": "WARNING",
           "PLUGBOARD_CATALOG_JOB_WORKERS": "0", "PLUGBOARD_GRACE_SECONDS": "1",
           "PLUGBOARD_CATALOG_METRICS_PORT": str(metrics_port)}
    process = subprocess.Popen([sys.executable, "-m", "plugboard", "serve", "catalog", "--workers", str(workers)],
                               env=env, cwd=procs.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(_worker_pids(process, workers)) < workers or not _serving(port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"catalog --workers {workers} did not start")
        time.sleep(0.1)
    time.sleep(0.5)  # every worker bound and serving
    return process


def _serving(port: int) -> bool:
    from plugboard.cli import check_health

    return check_health(f"127.0.0.1:{port}", timeout=1.0) == "SERVING"


def _measure(args: argparse.Namespace, workers: int, port: int, url: str, data_dir: Path, request: bytes,
             metrics: bool) -> dict:
    server = _serve(workers, port, url, data_dir, procs.free_port() if metrics else 0)
    try:
        pids = _worker_pids(server, workers)
        client = [sys.executable, "-m", "bench.workers", "--client", "--target", f"127.0.0.1:{port}",
                  "--request", request.hex(), "--connections", str(args.connections),
                  "--concurrency", str(args.concurrency)]
        subprocess.run([*client, "--seconds", str(args.warmup)], cwd=procs.ROOT, check=True,
                       capture_output=True)
        before = _cpu(pids)
        done = subprocess.run([*client, "--seconds", str(args.seconds)], cwd=procs.ROOT, check=True,
                              capture_output=True, text=True)
        cpu = _cpu(pids) - before
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    qps = result["ok"] / result["elapsed"]
    return {"workers": workers, "metrics": metrics, "qps": round(qps, 1), "errors": result["errors"],
            "cpu_us_per_call": round(cpu * 1e6 / max(result["ok"], 1), 1)}


def metric_update_cost(calls: int = 200_000) -> float:
    """What the metrics add to one call, measured alone: the started counter, the handled counter of
    its code and the latency histogram, as ``plugboard.rpc.handlers`` updates them (µs per call)."""
    from prometheus_client import CollectorRegistry

    from plugboard.observability.metrics import RpcMetrics

    method = RpcMetrics(CollectorRegistry()).method(METHOD, "UNARY")
    started = time.perf_counter()
    for _ in range(calls):
        method.started.inc()
        method.finished("OK", 0.0012)
    return round((time.perf_counter() - started) * 1e6 / calls, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--request", help=argparse.SUPPRESS)
    parser.add_argument("--workers", default="1,2,4", help="worker counts to measure (default 1,2,4)")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per run (default 5)")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per run (default 1)")
    parser.add_argument("--connections", type=int, default=8, help="client connections (default 8)")
    parser.add_argument("--concurrency", type=int, default=32, help="calls in flight (default 32)")
    parser.add_argument("--metrics-repeats", type=int, default=3,
                        help="alternating runs without and with metrics at 1 worker (default 3 each)")
    parser.add_argument("--postgres-url", default=databases.DEFAULT_POSTGRES_URL)
    args = parser.parse_args(argv)
    if args.client:
        return _client(args)
    port = procs.free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="plugboard-bench-workers-"))
    lines = []
    with databases.postgres_urls(args.postgres_url) as urls:
        server = _serve(1, port, urls["catalog"], data_dir, 0)
        try:
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                draft = cgrpc.CatalogServiceStub(channel).CreateConnectorStaged(cpb.CreateConnectorStagedRequest(
                    project="bench", draft=spb.ConnectorStagedDraft(
                        key="bench-workers", name="Bench workers",
                        repository=spb.Repository(url="https://github.com/example/bench.git", tag="v1.0.0"))),
                    timeout=10)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
        request = cpb.GetConnectorStagedRequest(id=draft.id, project="bench").SerializeToString()
        for workers in [int(n) for n in args.workers.split(",") if n]:
            line = {"name": "catalog_workers", **_measure(args, workers, port, urls["catalog"], data_dir,
                                                          request, metrics=False), "cores": os.cpu_count()}
            lines.append(line)
            print(json.dumps(line), flush=True)
        off, on = [], []
        for _ in range(args.metrics_repeats):
            off.append(_measure(args, 1, port, urls["catalog"], data_dir, request, metrics=False))
            on.append(_measure(args, 1, port, urls["catalog"], data_dir, request, metrics=True))
        qps_off, qps_on = [r["qps"] for r in off], [r["qps"] for r in on]
        cpu_off = sum(r["cpu_us_per_call"] for r in off) / len(off)
        cpu_on = sum(r["cpu_us_per_call"] for r in on) / len(on)
        line = {"name": "metrics_cost", "workers": 1, "qps_without": qps_off, "qps_with": qps_on,
                "ratio_with_to_without": round(sum(qps_on) / sum(qps_off), 3) if sum(qps_off) else None,
                "cpu_us_per_call_without": round(cpu_off, 1), "cpu_us_per_call_with": round(cpu_on, 1),
                "metric_updates_us_per_call": metric_update_cost(), "cores": os.cpu_count()}
        print(json.dumps(line), flush=True)
    subprocess.run(["rm", "-rf", str(data_dir)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
