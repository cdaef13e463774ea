"""``python -m bench compare --baseline REV``: the write scenarios of a baseline revision and of this
checkout, measured alternately in one run, each against its own echo reference.

On a shared, noisy machine two runs minutes apart cannot tell a 10% difference from the load of the
moment. This mode runs both sides at once instead:

- the baseline's code is exported (``git archive REV``) into a temporary directory, with a
  ``plugboard-0.1.0.dist-info`` holding the baseline's own entry points (the venv's editable install
  names this checkout's CLI modules); its seed, migrations and servers run from there, with that
  directory first on ``PYTHONPATH`` (``python -m`` in it imports its packages, not this checkout's).
  Before measuring, each side's import paths are checked (``code`` in the output) and so is which
  schema its servers created (``change_tables``: the baseline before change history has none);
- each side gets its own databases (SQLite files; PostgreSQL databases created on ``--postgres-url``
  and dropped afterwards), its own seeded data set and its own servers and echo server;
- in each of ``--rounds`` rounds, for each write scenario and concurrency, the two sides are measured
  back to back (which side goes first alternates by round), each as echo, then the scenario; the
  ratio is the scenario's calls/s over the echo's measured just before it.

Output: one JSON line per measurement (``"name": "compare_measurement"``) and per scenario, database
and concurrency a summary (``"name": "compare"``): the median ratio to echo of each side over the
rounds and the quotient after/before (median over rounds, with its minimum and maximum), then a
markdown table on stderr. The load generator and this harness are this checkout's for both sides.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from datetime import datetime, timezone
from pathlib import Path

from bench import databases, procs
from bench.__main__ import TINY, Bench, LoadGen, Mode, Stack, measure, prepare
from bench.scenarios import BY_NAME, SCENARIOS, Context

WRITES = [s.name for s in SCENARIOS if s.writes]
SIDES = ("before", "after")
PACKAGES = ("plugboard", "catalog_service", "instance_service", "gateway", "bench")
COMPARE = Mode("compare", 300, 1_000, 0.3, 1.0, (0, 0))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench compare", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--baseline", required=True, help="git revision measured as 'before' (e.g. 9c290f3)")
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--postgres-url", default=os.environ.get("PLUGBOARD_BENCH_POSTGRES_URL",
                                                            databases.DEFAULT_POSTGRES_URL))
    p.add_argument("--scenarios", default=",".join(WRITES), help=f"comma-separated (default: {','.join(WRITES)})")
    p.add_argument("--concurrency", default="1,32")
    p.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    p.add_argument("--duration", type=float, help="seconds per measurement (default 1)")
    p.add_argument("--warmup", type=float, help="seconds of warm-up before each measurement (default 0.3)")
    p.add_argument("--connectors", type=int, help="seeded connectors per side (default 300)")
    p.add_argument("--instances", type=int, help="seeded instances per side (default 1000)")
    p.add_argument("--shared-echo", action="store_true",
                   help="one echo server (this checkout's side's) as the reference of both sides, measured before "
                        "each side's scenario as usual: separates the sides' echo processes from the comparison")
    p.add_argument("--smoke", action="store_true",
                   help="a tiny data set, 1 round of 0.2 s at concurrency 1 and 2 (checks the harness, measures nothing)")
    p.add_argument("--log-level", default="INFO")
    p.add_argument("--output", type=Path, help="results file (default bench/results/compare-<timestamp>.jsonl)")
    p.add_argument("--keep", action="store_true", help="keep the data directories and the baseline's tree")
    args = p.parse_args(argv)
    if args.smoke:
        args.rounds = 1
        args.duration = args.duration or 0.2
        args.warmup = 0.05 if args.warmup is None else args.warmup
        if args.concurrency == "1,32":
            args.concurrency = "1,2"
    # What bench.Bench reads from its own arguments.
    args.profile = False
    args.no_memory = args.no_scale_out = True
    return args


def export_revision(rev: str, into: Path) -> str:
    """``rev``'s tree under ``into``, with the baseline's entry points as installed metadata; its commit."""
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=procs.ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=procs.ROOT, check=True,
                             capture_output=True).stdout
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    project = tomllib.loads((into / "pyproject.toml").read_text())["project"]
    dist = into / f"{project['name']}-{project['version']}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    lines = []
    for group, entries in project.get("entry-points", {}).items():
        lines.append(f"[{group}]")
        lines += [f"{name} = {target}" for name, target in entries.items()]
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return commit


def code_paths(stack: Stack) -> dict[str, str]:
    """Where each package is imported from, in the environment and directory the stack's servers use."""
    probe = ("import importlib, json, importlib.metadata as md\n"
             f"out = {{n: importlib.import_module(n).__file__ for n in {PACKAGES!r}}}\n"
             "out['plugboard.cli entry points'] = ','.join(sorted(e.name for e in md.entry_points(group='plugboard.cli')))\n"
             "print(json.dumps(out))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=stack.root, env=stack.code_env(dict(os.environ)),
                          capture_output=True, text=True, timeout=60, check=True)
    paths = json.loads(done.stdout)
    for name in PACKAGES:
        if not Path(paths[name]).resolve().is_relative_to(stack.root.resolve()):
            raise RuntimeError(f"{stack.db}: {name} comes from {paths[name]}, not from {stack.root}")
    return paths


def change_tables(url: str) -> list[str]:
    """The tables whose name says change history, in the database at ``url`` (what its migrations made)."""
    if url.startswith("sqlite:///"):
        import sqlite3
        with contextlib.closing(sqlite3.connect(url[len("sqlite:///"):])) as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    else:
        import psycopg2
        with contextlib.closing(psycopg2.connect(url)) as conn, conn.cursor() as cur:
            cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
            names = [r[0] for r in cur.fetchall()]
    return sorted(n for n in names if "change" in n or "history" in n)


def change_rows(url: str, tables: list[str]) -> dict[str, int]:
    """How many rows each change table holds (the records the run wrote, the seed's included)."""
    counts = {}
    if url.startswith("sqlite:///"):
        import sqlite3
        with contextlib.closing(sqlite3.connect(url[len("sqlite:///"):])) as conn:
            for t in tables:
                counts[t] = conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
    else:
        import psycopg2
        with contextlib.closing(psycopg2.connect(url)) as conn, conn.cursor() as cur:
            for t in tables:
                cur.execute(f'SELECT count(*) FROM "{t}"')
                counts[t] = cur.fetchone()[0]
    return counts


def _median(values: list) -> float | None:
    found = [v for v in values if v is not None]
    return round(statistics.median(found), 3) if found else None


def _summary(rows: list[dict]) -> dict:
    before = [r["ratio_before"] for r in rows]
    after = [r["ratio_after"] for r in rows]
    quotients = [r["quotient"] for r in rows if r["quotient"] is not None]
    return {
        "rounds": len(rows),
        "ratio_before": round(statistics.median(before), 3), "ratio_after": round(statistics.median(after), 3),
        "ratio_before_range": [min(before), max(before)], "ratio_after_range": [min(after), max(after)],
        "quotient": round(statistics.median(quotients), 4) if quotients else None,
        "quotient_min": min(quotients, default=None), "quotient_max": max(quotients, default=None),
        "quotient_stdev": round(statistics.stdev(quotients), 3) if len(quotients) > 1 else 0.0,
        # The same comparison without the echo references (both sides measured seconds apart), and in
        # server CPU per call (before / after: below 1 when the after side costs more CPU per call).
        "qps_quotient": _median([r["qps_quotient"] for r in rows]),
        "cpu_quotient": _median([r["cpu_before"] / r["cpu_after"] for r in rows if r["cpu_after"]]),
        "cpu_us_per_call_before": round(statistics.median(r["cpu_before"] for r in rows), 1),
        "cpu_us_per_call_after": round(statistics.median(r["cpu_after"] for r in rows), 1),
    }


def render(summaries: list[dict]) -> str:
    out = ["| scenario | db | c | before (ratio to echo) | after | after/before median | min-max | calls/s after/before | "
           "server CPU µs/call before → after |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for s in summaries:
        out.append(f"| {s['scenario']} | {s['db']} | {s['concurrency']} | {s['ratio_before']:.3f} | "
                   f"{s['ratio_after']:.3f} | {s['quotient']:.2f} | {s['quotient_min']:.2f}-{s['quotient_max']:.2f} | "
                   f"{s['qps_quotient']:.2f} | "
                   f"{s['cpu_us_per_call_before']:.0f} → {s['cpu_us_per_call_after']:.0f} |")
    return "\n".join(out)


def run_db(bench: Bench, gen: LoadGen, stacks: dict[str, Stack], names: list[str], rounds: int) -> list[dict]:
    db = next(iter(stacks.values())).db
    ctxs: dict[str, Context] = {}
    for side, stack in stacks.items():
        stack.start()
        code = code_paths(stack)
        tables = {service: change_tables(stack.urls[service]) for service in ("catalog", "instance")}
        bench.emit({"name": "compare_side", "db": db, "side": side, "root": str(stack.root), "code": code,
                    "change_tables": tables})
        calls = int((bench.duration + bench.warmup) * 3000 * rounds) + 200
        ctxs[side] = Context(manifest=stack.manifest, max_concurrency=max(bench.concurrencies), calls_hint=calls,
                             api_key=stack.api_key)
        prepare(gen, stack, BY_NAME["echo"], ctxs[side], name=f"{side}:echo")
        for name in names:
            prepare(gen, stack, BY_NAME[name], ctxs[side], name=f"{side}:{name}")
    rows: dict[tuple[str, int], list[dict]] = {}
    for r in range(rounds):
        order = SIDES if r % 2 == 0 else SIDES[::-1]
        for name in names:
            scenario = BY_NAME[name]
            for c in bench.concurrencies:
                got = {}
                for side in order:
                    stack = stacks[side]
                    echo_side = "after" if bench.args.shared_echo else side
                    echo = measure(bench, stacks[echo_side], gen, BY_NAME["echo"], c, target_name=f"{echo_side}:echo")
                    line = measure(bench, stack, gen, scenario, c, target_name=f"{side}:{name}")
                    ratio = round(line["qps"] / echo["qps"], 4) if echo["qps"] else 0.0
                    got[side] = (ratio, line)
                    bench.emit({"name": "compare_measurement", "scenario": name, "db": db, "concurrency": c,
                                "round": r, "side": side, "status": "ok", "echo_qps": echo["qps"], "echo_of": echo_side,
                                "ratio_to_echo": ratio, **line})
                before, after = got["before"][0], got["after"][0]
                qps_before, qps_after = got["before"][1]["qps"], got["after"][1]["qps"]
                rows.setdefault((name, c), []).append({
                    "ratio_before": before, "ratio_after": after,
                    "quotient": round(after / before, 4) if before else None,
                    "qps_quotient": round(qps_after / qps_before, 4) if qps_before else None,
                    "cpu_before": got["before"][1]["cpu_us_per_call"], "cpu_after": got["after"][1]["cpu_us_per_call"]})
    for side, stack in stacks.items():
        bench.emit({"name": "compare_side_end", "db": db, "side": side, "change_rows": {
            service: change_rows(stack.urls[service], change_tables(stack.urls[service]))
            for service in ("catalog", "instance")}})
    summaries = []
    for (name, c), found in rows.items():
        summary = {"name": "compare", "scenario": name, "db": db, "concurrency": c, "status": "ok", **_summary(found)}
        bench.emit(summary)
        summaries.append(summary)
    return summaries


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    base = TINY if args.smoke else COMPARE
    mode = Mode("compare-smoke" if args.smoke else "compare", args.connectors or base.connectors,
                args.instances or base.instances, base.warmup, base.duration, (0, 0))
    args.connectors, args.instances = mode.connectors, mode.instances
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(unknown)} (known: {', '.join(BY_NAME)})")
    if args.output is None:
        args.output = procs.ROOT / "bench" / "results" / f"compare-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.jsonl"
    args.scenarios = ",".join(names)
    bench = Bench(args, mode)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    from instance_service.domain.secrets import Keyring

    started = time.monotonic()
    summaries: list[dict] = []
    with contextlib.ExitStack() as exits:
        tree = Path(tempfile.mkdtemp(prefix="plugboard-baseline-"))
        if not args.keep:
            exits.callback(shutil.rmtree, tree, True)
        commit = export_revision(args.baseline, tree)
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=procs.ROOT, capture_output=True, text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=procs.ROOT,
                                    capture_output=True, text=True).stdout.strip())
        bench.emit({"name": "compare_run", "status": "ok", "baseline": commit, "after": head, "after_dirty": dirty,
                    "rounds": args.rounds, "duration": bench.duration, "warmup": bench.warmup,
                    "connectors": mode.connectors, "instances": mode.instances, "scenarios": names})
        roots = {"before": tree, "after": procs.ROOT}
        per_db: list[dict[str, Stack]] = []
        for kind in kinds:
            if kind == "postgres":
                problem = databases.postgres_available(args.postgres_url)
                if problem:
                    bench.skip("compare", kind, problem)
                    continue
            stacks = {}
            for side in SIDES:
                data_dir = Path(tempfile.mkdtemp(prefix=f"plugboard-compare-{kind}-{side}-"))
                if not args.keep:
                    exits.callback(shutil.rmtree, data_dir, True)
                urls = (exits.enter_context(databases.postgres_urls(args.postgres_url)) if kind == "postgres"
                        else databases.sqlite_urls(data_dir))
                stacks[side] = Stack(bench, kind, urls, data_dir, Keyring.generate_entry("bench"), root=roots[side])
            per_db.append(stacks)
        seeding = [(stack, stack.start_seeding()) for stacks in per_db for stack in stacks.values()]
        for stack, process in seeding:
            stack.finish_seeding(process)
        gen = LoadGen()
        exits.callback(gen.close)
        for stacks in per_db:
            try:
                summaries += run_db(bench, gen, stacks, names, args.rounds)
            finally:
                for stack in stacks.values():
                    stack.stop()
        if args.keep:
            print(f"kept: baseline tree {tree}, data in {[str(s.data_dir) for st in per_db for s in st.values()]}",
                  file=sys.stderr)
    bench.out.close()
    print(render(summaries), file=sys.stderr)
    print(f"results: {bench.output} ({time.monotonic() - started:.0f}s)", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
