"""The benchmark harness runs end to end (tiny data set, SQLite, two scenarios): real servers as
subprocesses, the seed, the load generator, the echo baseline and the JSON lines. No timing is asserted:
only that every line is well formed and that each measured scenario made successful calls."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEASURED = {"qps", "ratio_to_echo", "p50_ms", "p99_ms", "cpu_us_per_call", "peak_rss_mb", "concurrency"}


def test_bench_tiny_run_writes_well_formed_lines(tmp_path):
    output = tmp_path / "results.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--tiny", "--db", "sqlite", "--scenarios", "get_connector_by_id",
         "--concurrency", "1,4", "--duration", "0.3", "--no-scale-out", "--log-level", "WARNING",
         "--output", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(text) for text in output.read_text().splitlines()]
    assert [json.loads(t) for t in done.stdout.splitlines() if t.startswith("{")] == lines

    measured = [line for line in lines if "qps" in line]
    names = {(line["name"], line["concurrency"]) for line in measured}
    assert {("echo", 1), ("echo", 4), ("get_connector_by_id", 1), ("get_connector_by_id", 4)} <= names
    for line in measured:
        assert MEASURED <= line.keys(), line
        assert line["db"] == "sqlite" and line["status"] == "ok"
        assert line["qps"] > 0 and line["p99_ms"] >= line["p50_ms"] > 0
        assert line["cpu_us_per_call"] >= 0 and line["peak_rss_mb"] > 0
        assert not line["errors"], line["errors"]
        if line["name"] != "echo":
            assert line["ratio_to_echo"] > 0
    (memory,) = [line for line in lines if line["name"] == "memory_catalog"]
    assert memory["rss_mb_second"] > 0 and memory["calls_second"] > memory["calls_first"]

    report = subprocess.run([sys.executable, "-m", "bench.report", str(output)], cwd=ROOT,
                            capture_output=True, text=True, timeout=30)
    assert report.returncode == 0 and "| get_connector_by_id | sqlite | 4 |" in report.stdout
