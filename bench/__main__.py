"""``python -m bench``: run the benchmark and print one JSON line per scenario (see ``bench`` and --help).

A run, per database (sqlite, postgres): seed a fresh data set (``bench.seed``, every database in
parallel before any measurement), start catalog, instance service, gateway and the echo server as
subprocesses on free loopback ports, then for each scenario and concurrency: warm up, read the involved
servers' CPU time, drive the load (``bench.loadgen``), read again. The echo server is measured first and
last; scenario ratios use the mean of the two. Then the memory check (RSS after 10x more calls) and
the scale-out check (1 and 2 catalog processes on PostgreSQL). Results go to stdout and to
``bench/results/<timestamp>.jsonl`` (and ``latest.jsonl``).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import grpc

from bench import auth, databases, procs
from bench.scenarios import BY_NAME, SCENARIOS, Context, Scenario
from plugboard.catalog.v1 import catalog_service_pb2 as cpb

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Mode:
    name: str
    connectors: int
    instances: int
    warmup: float
    duration: float
    memory_calls: tuple[int, int]  # RSS read after the first and after the second number of calls


QUICK = Mode("quick", 1_000, 5_000, 0.2, 1.0, (500, 5_000))
FULL = Mode("full", 10_000, 50_000, 1.0, 5.0, (10_000, 100_000))
TINY = Mode("tiny", 60, 200, 0.05, 0.3, (100, 300))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="1 000 connectors, 5 000 instances, 1 s per measurement "
                   "(about 2 minutes on 2 cores with both databases)")
    p.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # the smoke test's mode
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--postgres-url", default=os.environ.get("PLUGBOARD_BENCH_POSTGRES_URL",
                                                            databases.DEFAULT_POSTGRES_URL),
                   help="admin URL of the PostgreSQL server where throw-away databases are created")
    p.add_argument("--scenarios", default="",
                   help="comma-separated scenario names, or substrings of names (echo always runs)")
    p.add_argument("--concurrency", default="1,32", help="comma-separated concurrency levels (default 1,32)")
    p.add_argument("--duration", type=float, help="seconds measured per scenario and concurrency")
    p.add_argument("--warmup", type=float, help="seconds of warm-up before each measurement")
    p.add_argument("--connectors", type=int, help="seeded connectors (quick 1000, full 10000)")
    p.add_argument("--instances", type=int, help="seeded instances (quick 5000, full 50000)")
    p.add_argument("--no-memory", action="store_true", help="skip the memory check")
    p.add_argument("--no-scale-out", action="store_true", help="skip the 1 -> 2 catalog process check")
    p.add_argument("--log-level", default="INFO", help="PLUGBOARD_LOG_LEVEL of the servers (default INFO, as in production)")
    p.add_argument("--profile", action="store_true",
                   help="record py-spy profiles (raw collapsed stacks) of the servers during each measurement")
    p.add_argument("--output", type=Path, help="results file (default bench/results/<timestamp>.jsonl)")
    p.add_argument("--keep", action="store_true", help="keep the data directory (printed at the end)")
    return p.parse_args(argv)


class LoadGen:
    """The load generator subprocess, spoken to in JSON lines."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "bench.loadgen"], cwd=procs.ROOT,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, command: dict) -> dict:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the load generator died")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"load generator: {answer['error']}")
        return answer

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ask_quit()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def ask_quit(self) -> None:
        assert self.process.stdin
        self.process.stdin.write(json.dumps({"op": "quit"}) + "\n")
        self.process.stdin.flush()


def _b64(items: list[bytes]) -> list[str]:
    return [base64.b64encode(i).decode("ascii") for i in items]


def percentile(sorted_values: list[int], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index] / 1000.0


class Bench:
    """One benchmark run: the output, the load generator, and the per-database stacks."""

    def __init__(self, args: argparse.Namespace, mode: Mode) -> None:
        self.args = args
        self.mode = mode
        self.duration = args.duration or mode.duration
        self.warmup = args.warmup if args.warmup is not None else mode.warmup
        self.concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]
        self.run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        RESULTS.mkdir(exist_ok=True)
        self.output = args.output or RESULTS / f"{self.run_id}.jsonl"
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self.out = open(self.output, "w", encoding="utf-8")
        self.lines: list[dict] = []
        self.memory_checked = False
        self.profile_dir = RESULTS / f"profiles-{self.run_id}" if args.profile else None
        filters = [f.strip() for f in args.scenarios.split(",") if f.strip()]
        self.scenarios = [s for s in SCENARIOS if s.name == "echo" or not filters or any(
            s.name == f if f in BY_NAME else f in s.name for f in filters)]

    def emit(self, line: dict) -> None:
        line = {"run": self.run_id, "mode": self.mode.name, **line}
        self.lines.append(line)
        text = json.dumps(line)
        print(text, flush=True)
        self.out.write(text + "\n")
        self.out.flush()

    def skip(self, name: str, db: str, reason: str, **extra: object) -> None:
        print(f"skipped: {name} ({db}): {reason}", file=sys.stderr, flush=True)
        self.emit({"name": name, "db": db, "status": "skipped", "reason": reason, **extra})


class Stack:
    """Seeded databases and the servers of one database kind."""

    def __init__(self, bench: Bench, db: str, urls: dict[str, str], data_dir: Path, secret_keys: str,
                 root: Path = procs.ROOT) -> None:
        self.bench = bench
        self.root = root  # the checkout whose code seeds and serves (bench.compare: a baseline's)
        self.db = db
        self.urls = urls
        self.data_dir = data_dir
        self.secret_keys = secret_keys
        self.fleet = procs.Fleet()
        self.servers: dict[str, procs.Server] = {}
        self.manifest: dict = {}
        self.api_key: str | None = None
        self.http_port = 0
        self.env: dict[str, str] = {}

    # --- seeding ------------------------------------------------------------------------------

    def start_seeding(self) -> subprocess.Popen:
        spec = {"catalog_url": self.urls["catalog"], "instance_url": self.urls["instance"],
                "secret_keys": self.secret_keys, "connectors": self.bench.args.connectors or self.bench.mode.connectors,
                "instances": self.bench.args.instances or self.bench.mode.instances,
                "manifest": str(self.data_dir / "manifest.json")}
        (self.data_dir / "seed.json").write_text(json.dumps(spec))
        log = open(self.data_dir / "seed.log", "wb")
        return subprocess.Popen([sys.executable, "-m", "bench.seed", str(self.data_dir / "seed.json")],
                                cwd=self.root, env=self.code_env(dict(os.environ)), stdout=log, stderr=subprocess.STDOUT)

    def finish_seeding(self, process: subprocess.Popen) -> None:
        if process.wait() != 0:
            raise RuntimeError(f"seeding {self.db} failed:\n{(self.data_dir / 'seed.log').read_text()[-2000:]}")
        self.manifest = json.loads((self.data_dir / "manifest.json").read_text())

    # --- servers ------------------------------------------------------------------------------

    def start(self) -> None:
        ports = {name: procs.free_port() for name in ("catalog", "instance", "gateway", "echo")}
        self.http_port = procs.free_port()
        env = dict(os.environ)
        env.update({
            "PLUGBOARD_DATA_DIR": str(self.data_dir),
            "PLUGBOARD_BIND_HOST": "127.0.0.1",
            "PLUGBOARD_CATALOG_PORT": str(ports["catalog"]),
            "PLUGBOARD_INSTANCE_PORT": str(ports["instance"]),
            "PLUGBOARD_GATEWAY_PORT": str(ports["gateway"]),
            "PLUGBOARD_HTTP_PORT": str(self.http_port),
            "PLUGBOARD_CATALOG_TARGET": f"127.0.0.1:{ports['catalog']}",
            "PLUGBOARD_INSTANCE_TARGET": f"127.0.0.1:{ports['instance']}",
            "PLUGBOARD_CATALOG_DATABASE_URL": self.urls["catalog"],
            "PLUGBOARD_INSTANCE_DATABASE_URL": self.urls["instance"],
            "PLUGBOARD_GATEWAY_DATABASE_URL": self.urls["gateway"],
            "PLUGBOARD_SECRET_KEYS": self.secret_keys,
            "PLUGBOARD_LOG_LEVEL": self.bench.args.log_level,
            "PLUGBOARD_GIT_ALLOW_FILE_URLS": "1",
        })
        self.env = env = self.code_env(env)
        logs = self.data_dir / "logs"
        needed = {name for s in self.bench.scenarios for name in s.involved}
        if "gateway" in needed:
            needed.add("instance")  # the gateway's health reflects its backends
        for name in ("catalog", "instance"):
            if name == "catalog" or name in needed:
                self.servers[name] = self.fleet.start(name, procs.plugboard_argv(name), env, ports[name], logs,
                                                     cwd=self.root)
                procs.wait_serving(self.servers[name])
        if "gateway" in needed:
            try:
                self.api_key = auth.create_key(env, self.manifest["project"], cwd=self.root)
            except auth.KeyError_ as exc:
                print(f"warning: {exc}; gateway scenarios run without a key", file=sys.stderr, flush=True)
            self.servers["gateway"] = self.fleet.start("gateway", procs.plugboard_argv("gateway"), env,
                                                       ports["gateway"], logs, cwd=self.root)
            procs.wait_serving(self.servers["gateway"])
        response = self.data_dir / "connector.bin"
        response.write_bytes(self.get_connector_bytes())
        echo = self.fleet.start("echo", [sys.executable, "-m", "bench.echo_server", "--port", str(ports["echo"]),
                                         "--response-file", str(response)], env, ports["echo"], logs)
        procs.wait_listening(ports["echo"], echo.process)
        self.servers["echo"] = echo
        if "echo_frame" in needed:
            port = procs.free_port()
            frame = self.fleet.start("echo_frame", [
                sys.executable, "-m", "bench.echo_server", "--port", str(port), "--response-file", str(response),
                "--frame", "plugboard", "--log-level", self.bench.args.log_level], env, port, logs)
            procs.wait_serving(frame)
            self.servers["echo_frame"] = frame

    def start_extra_catalog(self) -> procs.Server:
        port = procs.free_port()
        env = dict(self.env, PLUGBOARD_CATALOG_PORT=str(port))
        server = self.fleet.start("catalog2", procs.plugboard_argv("catalog"), env, port, self.data_dir / "logs",
                                  cwd=self.root)
        procs.wait_serving(server)
        return server

    def code_env(self, env: dict[str, str]) -> dict[str, str]:
        """``env`` with this stack's checkout first on the import path: ``python -m`` in ``self.root``
        imports ``self.root``'s packages before the editable install's (the same venv serves both)."""
        if self.root != procs.ROOT:
            env["PYTHONPATH"] = os.pathsep.join([str(self.root), *filter(None, [env.get("PYTHONPATH")])])
        return env

    def stop(self) -> None:
        self.fleet.stop_all()

    # --- look-ups before the load --------------------------------------------------------------

    def get_connector_bytes(self) -> bytes:
        with grpc.insecure_channel(self.servers["catalog"].target) as channel:
            call = channel.unary_unary("/plugboard.catalog.v1.CatalogService/GetConnector")
            request = cpb.GetConnectorRequest(id=self.manifest["connectors"][0]["id"], project=self.manifest["project"])
            return call(request.SerializeToString(), timeout=10)

    def deep_page(self) -> tuple[int, str]:
        """The offset of a page up to 10 000 rows deep, and a page token that continues there."""
        total = len(self.manifest["connectors"])
        depth = max(0, min(10_000, total - 20) // 20 * 20)
        token, offset = "", 0
        with grpc.insecure_channel(self.servers["catalog"].target) as channel:
            call = channel.unary_unary("/plugboard.catalog.v1.CatalogService/ListConnectors",
                                       request_serializer=cpb.ListConnectorsRequest.SerializeToString,
                                       response_deserializer=cpb.ListConnectorsResponse.FromString)
            while offset < depth:
                limit = 500 if depth - offset >= 500 else 20
                page = call(cpb.ListConnectorsRequest(limit=limit, page_token=token, project=self.manifest["project"]),
                            timeout=30)
                token, offset = page.next_page_token, offset + len(page.results)
                if not token:
                    break
        return depth, token

    def gateway_problem(self) -> str | None:
        """None when the gateway answers a GetConnector; else why gateway scenarios cannot run."""
        metadata = [("authorization", f"Bearer {self.api_key}")] if self.api_key else None
        with grpc.insecure_channel(self.servers["gateway"].target) as channel:
            call = channel.unary_unary("/plugboard.catalog.v1.CatalogService/GetConnector")
            request = cpb.GetConnectorRequest(id=self.manifest["connectors"][0]["id"], project=self.manifest["project"])
            try:
                call(request.SerializeToString(), timeout=10, metadata=metadata)
            except grpc.RpcError as exc:
                return f"the gateway answered {exc.code().name} to GetConnector" + (
                    "" if self.api_key else " (no `plugboard keys create` to make an API key)")
        return None

    def http_problem(self) -> str | None:
        """None when the HTTP/JSON facade answers GET /connectors/{id} with 200; else why not."""
        import http.client
        try:
            procs.wait_listening(self.http_port, self.servers["gateway"].process, timeout=2.0)
        except RuntimeError:
            return f"the gateway has no HTTP/JSON facade yet (nothing listens on PLUGBOARD_HTTP_PORT={self.http_port})"
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            conn.request("GET", f"/connectors/{self.manifest['connectors'][0]['id']}", headers=headers)
            status = conn.getresponse().status
        except OSError as exc:
            return f"the HTTP/JSON facade failed: {type(exc).__name__}"
        finally:
            conn.close()
        return None if status == 200 else f"GET /connectors/{{id}} on the HTTP/JSON facade answered {status}"


def _py_spy() -> str:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else (shutil.which("py-spy") or "py-spy")


def _profile(bench: Bench, stack: Stack, scenario: Scenario, concurrency: int) -> list[subprocess.Popen]:
    if bench.profile_dir is None:
        return []
    bench.profile_dir.mkdir(parents=True, exist_ok=True)
    out = []
    for name in scenario.involved:
        if name == "echo":
            continue
        path = bench.profile_dir / f"{stack.db}-{scenario.name}-c{concurrency}-{name}.txt"
        out.append(subprocess.Popen(
            [_py_spy(), "record", "--pid", str(stack.servers[name].pid), "--duration", str(max(1, round(bench.duration))),
             "--rate", "250", "--format", "raw", "--output", str(path), "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    time.sleep(0.3 if out else 0)
    return out


def measure(bench: Bench, stack: Stack, gen: LoadGen, scenario: Scenario, concurrency: int,
            *, target_name: str | None = None, max_calls: int = 0, servers: list[procs.Server] | None = None) -> dict:
    """Warm up, then one measured run; the line's measured fields."""
    involved = servers or [stack.servers[n] for n in scenario.involved]
    gen.ask({"op": "run", "name": target_name or scenario.name, "concurrency": concurrency,
             "duration": bench.warmup, "expect": scenario.expect})
    profilers = _profile(bench, stack, scenario, concurrency) if not max_calls else []
    cpu_before = {s.name: s.cpu() for s in involved}
    result = gen.ask({"op": "run", "name": target_name or scenario.name, "concurrency": concurrency,
                      "duration": bench.duration if not max_calls else 3600, "max_calls": max_calls,
                      "expect": scenario.expect})
    cpu_after = {s.name: s.cpu() for s in involved}
    for p in profilers:
        p.wait()
    latencies = sorted(result["latencies_us"])
    ok = result["ok"]
    cpu_us = {name: round((cpu_after[name] - cpu_before[name]) * 1e6 / max(ok, 1), 1) for name in cpu_before}
    memory = {s.name: s.memory() for s in involved}
    return {
        "qps": round(ok / result["elapsed"], 1) if ok else 0.0,
        "calls": result["calls"], "errors": result["codes"],
        "p50_ms": round(percentile(latencies, 0.50), 3), "p99_ms": round(percentile(latencies, 0.99), 3),
        "cpu_us_per_call": round(sum(cpu_us.values()), 1), "cpu_us_by_server": cpu_us,
        "peak_rss_mb": round(sum(m["VmHWM"] for m in memory.values()), 1),
        "rss_mb_by_server": {name: round(m["VmRSS"], 1) for name, m in memory.items()},
    }


def prepare(gen: LoadGen, stack: Stack, scenario: Scenario, ctx: Context, *, name: str | None = None,
            target: str | None = None, lb: str | None = None) -> None:
    built = scenario.build(ctx)
    via = scenario.via
    metadata = [["authorization", f"Bearer {stack.api_key}"]] if stack.api_key and via == "gateway" else []
    command = {"op": "prepare", "name": name or scenario.name, "kind": "http" if via == "http" else "grpc",
               "target": target or (f"127.0.0.1:{stack.http_port}" if via == "http" else stack.servers[via].target),
               "method": scenario.method, "metadata": metadata}
    if lb:
        command["lb"] = lb
    if "sequences" in built:
        command["sequences"] = [_b64(seq) for seq in built["sequences"]]
    else:
        command["requests"] = _b64(built["requests"])
    gen.ask(command)


def run_stack(bench: Bench, stack: Stack, gen: LoadGen) -> None:
    db = stack.db
    stack.start()
    deep_offset, deep_token = stack.deep_page()
    ctx = Context(manifest=stack.manifest, max_concurrency=max(bench.concurrencies),
                  calls_hint=int((bench.duration + bench.warmup) * 3000) + 200,
                  api_key=stack.api_key, deep_offset=deep_offset, deep_token=deep_token)
    gateway_problem = stack.gateway_problem() if "gateway" in stack.servers else "not selected"
    http_problem = gateway_problem or stack.http_problem()
    echo_qps: dict[int, list[float]] = {c: [] for c in bench.concurrencies}
    rows: list[dict] = []

    def run_echo(where: str) -> None:
        echo = BY_NAME["echo"]
        prepare(gen, stack, echo, ctx)
        for c in bench.concurrencies:
            line = measure(bench, stack, gen, echo, c)
            echo_qps[c].append(line["qps"])
            bench.emit({"name": "echo", "db": db, "concurrency": c, "status": "ok", "when": where,
                        "ratio_to_echo": None, **line})

    run_echo("first")
    for scenario in bench.scenarios:
        if scenario.name == "echo":
            continue
        problem = http_problem if scenario.via == "http" else gateway_problem if scenario.via == "gateway" else None
        if problem:
            bench.skip(scenario.name, db, problem)
            continue
        prepare(gen, stack, scenario, ctx)
        for c in bench.concurrencies:
            line = measure(bench, stack, gen, scenario, c)
            extra = {"offset": deep_offset} if "deep" in scenario.name else {}
            if scenario.through_gateway:
                extra["auth"] = "api_key" if stack.api_key else "none"
            rows.append({"name": scenario.name, "db": db, "concurrency": c, "status": "ok", **extra, **line})
    run_echo("last")
    for row in rows:
        baseline = statistics.mean(echo_qps[row["concurrency"]])
        row["ratio_to_echo"] = round(row["qps"] / baseline, 3) if baseline else None
        bench.emit(row)
    if not bench.args.no_memory and not bench.memory_checked:
        bench.memory_checked = True  # once per run (the first database): it is the slowest part
        memory_check(bench, stack, gen, ctx, gateway_problem)
    if not bench.args.no_scale_out:
        if db == "postgres":
            scale_out(bench, stack, gen, ctx)
        elif bench.args.db == "sqlite":
            bench.skip("scale_out_catalog", db, "scale-out is measured against PostgreSQL (--db postgres or both)")


def memory_check(bench: Bench, stack: Stack, gen: LoadGen, ctx: Context, gateway_problem: str | None) -> None:
    """A service's RSS after N calls and after 10 N calls (counted from the start of the check, after
    the scenarios). Quick: the catalog, called directly. Full: also through the gateway (the gateway's
    and the catalog's RSS)."""
    first, second = bench.mode.memory_calls
    checks = [("get_connector_by_id", ("catalog",))]
    if bench.mode.name == "full" and not gateway_problem:
        checks.append(("gateway_get_connector_by_id", ("gateway", "catalog")))
    concurrency = max(bench.concurrencies)
    for scenario_name, services in checks:
        scenario = BY_NAME[scenario_name]
        prepare(gen, stack, scenario, ctx, name="memory")
        servers = [stack.servers[s] for s in services]
        measure(bench, stack, gen, scenario, concurrency, target_name="memory", max_calls=first, servers=servers)
        rss_first = [s.memory()["VmRSS"] for s in servers]
        measure(bench, stack, gen, scenario, concurrency, target_name="memory", max_calls=second - first,
                servers=servers)
        for server, before in zip(servers, rss_first):
            after = server.memory()
            bench.emit({"name": f"memory_{server.name}", "db": stack.db, "status": "ok", "scenario": scenario_name,
                        "concurrency": concurrency, "calls_first": first, "calls_second": second,
                        "rss_mb_first": round(before, 1), "rss_mb_second": round(after["VmRSS"], 1),
                        "rss_growth": round(after["VmRSS"] / before - 1, 3),
                        "peak_rss_mb": round(after["VmHWM"], 1)})


def _so_reuseport_enabled() -> bool:
    """Whether the extra catalog of ``scale_out`` shares its port: it does not (a port each; sharing one
    port is ``plugboard serve --workers``, measured by ``python -m bench.workers``)."""
    return False


def scale_out(bench: Bench, stack: Stack, gen: LoadGen, ctx: Context) -> None:
    """GetConnector by id on 1 and on 2 catalog processes (same PostgreSQL), the client balancing."""
    scenario = BY_NAME["get_connector_by_id"]
    concurrency = max(bench.concurrencies)
    reuseport = _so_reuseport_enabled()
    one = stack.servers["catalog"]
    prepare(gen, stack, scenario, ctx, name="scale1", target=one.target)
    single = measure(bench, stack, gen, scenario, concurrency, target_name="scale1", servers=[one])
    two = stack.start_extra_catalog()
    try:
        target = f"ipv4:{one.target},{two.target}"
        prepare(gen, stack, scenario, ctx, name="scale2", target=target, lb="round_robin")
        double = measure(bench, stack, gen, scenario, concurrency, target_name="scale2", servers=[one, two])
    finally:
        stack.fleet.stop(two)
    how = ("SO_REUSEPORT" if reuseport else
           "a port each, client-side round_robin (one port for N processes: python -m bench.workers)")
    bench.emit({"name": "scale_out_catalog", "db": stack.db, "status": "ok", "scenario": scenario.name,
                "concurrency": concurrency, "qps_1": single["qps"], "qps_2": double["qps"],
                "ratio_2_to_1": round(double["qps"] / single["qps"], 3) if single["qps"] else None,
                "cpu_us_per_call_1": single["cpu_us_per_call"], "cpu_us_per_call_2": double["cpu_us_per_call"],
                "p99_ms_1": single["p99_ms"], "p99_ms_2": double["p99_ms"], "how": how,
                "so_reuseport_enabled": reuseport, "cores": os.cpu_count()})


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["compare"]:  # python -m bench compare --baseline REV: before/after in one run
        from bench.compare import main as compare

        return compare(argv[1:])
    args = parse_args(argv)
    mode = TINY if args.tiny else QUICK if args.quick else FULL
    bench = Bench(args, mode)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    from instance_service.domain.secrets import Keyring

    started = time.monotonic()
    with contextlib.ExitStack() as exits:
        stacks: list[Stack] = []
        for kind in kinds:
            data_dir = Path(tempfile.mkdtemp(prefix=f"plugboard-bench-{kind}-"))
            if not args.keep:
                exits.callback(lambda d=data_dir: subprocess.run(["rm", "-rf", str(d)], check=False))
            if kind == "postgres":
                problem = databases.postgres_available(args.postgres_url)
                if problem:
                    bench.skip("all", kind, problem)
                    continue
                urls = exits.enter_context(databases.postgres_urls(args.postgres_url))
            else:
                urls = databases.sqlite_urls(data_dir)
            stacks.append(Stack(bench, kind, urls, data_dir, Keyring.generate_entry("bench")))
        seeding = [(stack, stack.start_seeding()) for stack in stacks]
        for stack, process in seeding:
            stack.finish_seeding(process)
            print(f"seeded {stack.db}: {len(stack.manifest['connectors'])} connectors, "
                  f"{args.instances or mode.instances} instances in {stack.manifest['seconds']}s",
                  file=sys.stderr, flush=True)
        gen = LoadGen()
        exits.callback(gen.close)
        for stack in stacks:
            try:
                run_stack(bench, stack, gen)
            finally:
                stack.stop()
            if args.keep:
                print(f"data kept in {stack.data_dir}", file=sys.stderr)
    bench.out.close()
    if args.output is None:
        (RESULTS / "latest.jsonl").write_text(bench.output.read_text())
    from bench.report import render

    print(render(bench.lines), file=sys.stderr)
    print(f"results: {bench.output} ({time.monotonic() - started:.0f}s)", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
