"""Markdown tables of a results file: ``python -m bench.report bench/results/latest.jsonl``.

One table of scenarios (ratio to the echo server first: the headline), then the memory check, the
scale-out check and the skipped scenarios with their reasons.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _fmt(value: object, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def render(lines: list[dict]) -> str:
    out: list[str] = []
    scenarios = [l for l in lines if l.get("status") == "ok" and "qps" in l]
    if scenarios:
        run = scenarios[0].get("run", "")
        mode = scenarios[0].get("mode", "")
        out.append(f"Run {run} ({mode} mode). Ratio = scenario qps / echo server qps, same db, concurrency and run.")
        out.append("")
        out.append("| scenario | db | conc | ratio to echo | qps | p50 ms | p99 ms | server CPU µs/call | peak RSS MB |")
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for l in scenarios:
            name = l["name"] + (f" ({l['when']})" if l.get("when") else "")
            name += f" @{l['offset']}" if "offset" in l else ""
            errors = sum(l.get("errors", {}).values())
            name += f" [{errors} errors: {', '.join(l['errors'])}]" if errors else ""
            out.append(
                f"| {name} | {l['db']} | {l['concurrency']} | {_fmt(l.get('ratio_to_echo'))} | {_fmt(l['qps'], 0)} "
                f"| {_fmt(l['p50_ms'])} | {_fmt(l['p99_ms'])} | {_fmt(l['cpu_us_per_call'], 0)} "
                f"| {_fmt(l['peak_rss_mb'], 0)} |"
            )
    memory = [l for l in lines if l.get("name", "").startswith("memory_") and l.get("status") == "ok"]
    if memory:
        out += ["", "| memory check | db | RSS MB after N calls | RSS MB after 10 N calls | growth |",
                "|---|---|---:|---:|---:|"]
        for l in memory:
            out.append(f"| {l['name'][7:]} ({l['scenario']}) | {l['db']} | {l['rss_mb_first']} ({l['calls_first']}) "
                       f"| {l['rss_mb_second']} ({l['calls_second']}) | {l['rss_growth'] * 100:+.1f}% |")
    scale = [l for l in lines if l.get("name") == "scale_out_catalog" and l.get("status") == "ok"]
    if scale:
        out += ["", "| scale-out | db | conc | qps, 1 process | qps, 2 processes | 2 / 1 | how |",
                "|---|---|---:|---:|---:|---:|---|"]
        for l in scale:
            out.append(f"| catalog {l['scenario']} | {l['db']} | {l['concurrency']} | {_fmt(l['qps_1'], 0)} "
                       f"| {_fmt(l['qps_2'], 0)} | {_fmt(l['ratio_2_to_1'])} | {l['how']} |")
    skipped = [l for l in lines if l.get("status") == "skipped"]
    if skipped:
        out.append("")
        out += [f"- skipped: {l['name']} ({l['db']}): {l['reason']}" for l in skipped]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bench.report <results.jsonl>", file=sys.stderr)
        return 2
    lines = [json.loads(t) for t in Path(argv[0]).read_text().splitlines() if t.strip()]
    print(render(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
