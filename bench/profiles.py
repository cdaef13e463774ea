"""Summaries of the py-spy profiles ``python -m bench --profile`` records (raw collapsed stacks).

``python -m bench.profiles bench/results/profiles-<run>/`` prints, per profile: the share of samples
per function where the time is spent (self), and per project function including what it calls
(inclusive; functions of catalog_service, instance_service, gateway, plugboard), the hot spots to
optimize. Idle samples (the event loop waiting in epoll/poll/select, grpc's idle threads) are counted
apart so that shares are of busy time.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

PROJECT = ("catalog_service/", "instance_service/", "gateway/", "plugboard/")
_FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")
IDLE = ("select (selectors.py", "poll (selectors.py", "_run_once (asyncio/base_events.py", "wait (threading.py",
        "epoll_wait", "_poll_wrapper", "Thread", "_bootstrap (threading.py")


def _frames(stack: str) -> list[str]:
    out = []
    for frame in stack.split(";"):
        m = _FRAME.match(frame.strip())
        if m:
            path = m.group("file")
            for marker in ("site-packages/", "python3.11/", "/work/main/"):
                if marker in path:
                    path = path.split(marker, 1)[1]
            out.append(f"{m.group('func')} ({path})")
        else:
            out.append(frame.strip())
    return out


def summarize(path: Path, top: int = 15) -> str:
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    busy = idle = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = _frames(stack)
        if not frames:
            continue
        leaf = frames[-1]
        if any(marker in leaf for marker in IDLE) or leaf.startswith("process ") or "idle" in leaf:
            idle += count
            continue
        busy += count
        self_time[leaf] += count
        for frame in set(frames):
            if any(p in frame for p in PROJECT):
                inclusive[frame] += count
    if not busy:
        return f"## {path.name}\n(no busy samples)\n"
    lines = [f"## {path.name}", f"busy samples {busy}, idle {idle} ({busy / max(busy + idle, 1):.0%} busy)", "",
             "self time (share of busy samples):"]
    lines += [f"  {n / busy:6.1%}  {name}" for name, n in self_time.most_common(top)]
    lines += ["", "project functions, inclusive:"]
    lines += [f"  {n / busy:6.1%}  {name}" for name, n in inclusive.most_common(top)]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m bench.profiles <profile dir or files>", file=sys.stderr)
        return 2
    paths: list[Path] = []
    for arg in argv:
        p = Path(arg)
        paths += sorted(p.glob("*.txt")) if p.is_dir() else [p]
    for p in paths:
        print(summarize(p))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
