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


def test_bench_compare_runs_a_baseline_and_this_checkout_alternately(tmp_path):
    """``python -m bench compare --smoke``: both sides seeded, served and measured, each from its own code
    (the baseline from an export of its revision, checked by where its packages were imported from and by
    the schema its migrations made). No timing is asserted."""
    baseline = "9c290f3"  # the commit before change history: its databases have no change table
    known = subprocess.run(["git", "cat-file", "-e", f"{baseline}^{{commit}}"], cwd=ROOT).returncode == 0
    output = tmp_path / "compare.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "compare", "--baseline", baseline if known else "HEAD", "--smoke",
         "--db", "sqlite", "--scenarios", "update_connector_staged,create_instance", "--log-level", "WARNING",
         "--output", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(text) for text in output.read_text().splitlines()]
    sides = {line["side"]: line for line in lines if line["name"] == "compare_side"}
    assert sides["after"]["root"] == str(ROOT)
    assert sides["before"]["root"] != str(ROOT)
    for side in sides.values():
        assert all(path.startswith(side["root"]) for name, path in side["code"].items() if " " not in name)
    assert sides["after"]["change_tables"] == {"catalog": ["catalog_change"], "instance": ["instance_change"]}
    if known:
        assert sides["before"]["change_tables"] == {"catalog": [], "instance": []}
    ends = {line["side"]: line for line in lines if line["name"] == "compare_side_end"}
    assert ends["after"]["change_rows"]["catalog"]["catalog_change"] > 0

    measured = [line for line in lines if line["name"] == "compare_measurement"]
    assert {(m["scenario"], m["side"]) for m in measured} == {
        (s, side) for s in ("update_connector_staged", "create_instance") for side in ("before", "after")}
    for line in measured:
        assert line["qps"] > 0 and line["echo_qps"] > 0 and not line["errors"], line
    summaries = [line for line in lines if line["name"] == "compare"]
    assert len(summaries) == 4  # 2 scenarios x concurrency 1 and 2
    for summary in summaries:
        assert summary["ratio_before"] > 0 and summary["ratio_after"] > 0 and summary["quotient"] > 0
        assert summary["quotient_min"] <= summary["quotient"] <= summary["quotient_max"]
    assert "| update_connector_staged | sqlite | 1 |" in done.stderr


def test_record_cost_measures_both_sides_of_each_write():
    """``python -m bench.record_cost``: each write scenario measured with records written and without, its
    quotient reported. No timing is asserted."""
    done = subprocess.run([sys.executable, "-m", "bench.record_cost", "--rounds", "2", "--calls", "5"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(text) for text in done.stdout.splitlines()]
    assert {line["scenario"] for line in lines} == {"create_instance", "update_connector_staged"}
    for line in lines:
        assert line["us_per_call_records"] > 0 and line["us_per_call_none"] > 0 and line["quotient"] > 0, line
