"""The change record's own cost: the same calls with records written and with ``HistoryTable.add`` a no-op.

``python -m bench compare`` measures a revision against another; the two sides differ by everything
between them. This isolates the record: the catalog and the instance service run in this process (the
test harness's servers, on SQLite, where ``HistoryTable.add`` is the only way a record is written),
and CreateInstance and UpdateConnectorStaged (one ``setName``) are called over real gRPC channels one
at a time, in rounds that alternate "records" and "no records" (the order flips every round). Reported:
the median microseconds per call of each and their quotient (no records / records: 1.0 means the record
costs nothing; 0.95 means calls without it are 5% faster).

    python -m bench.record_cost                   # 8 rounds of 150 calls per scenario and side
    python -m bench.record_cost --rounds 2 --calls 10
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from plugboard.catalog.v1 import catalog_service_pb2 as cpb
from plugboard.catalog.v1 import catalog_service_pb2_grpc as cgrpc
from plugboard.catalog.v1 import update_actions_pb2 as apb
from plugboard.history.storage import HistoryTable
from plugboard.instance.v1 import instance_service_pb2_grpc as igrpc


def _scenarios(stack) -> dict[str, Callable[[], None]]:  # type: ignore[no-untyped-def]
    from tests.reliability.stack import create_instance

    instances = igrpc.InstanceServiceStub(stack.instance.channel)
    catalog = cgrpc.CatalogServiceStub(stack.catalog.channel)
    draft = catalog.GetConnectorStaged(cpb.GetConnectorStagedRequest(id=stack.connector_id, project=stack.project))
    version = [draft.version]
    Action = apb.ConnectorStagedUpdateAction

    def create() -> None:
        create_instance(instances, stack.project, stack.connector_key, f"i-{uuid.uuid4().hex[:12]}",
                        secrets={"API_TOKEN": "bench-token"}, plain={"ACCOUNT": "a1", "HOST": "127.0.0.1:9"})

    def update() -> None:
        updated = catalog.UpdateConnectorStaged(cpb.UpdateConnectorStagedRequest(
            id=stack.connector_id, version=version[0], project=stack.project,
            actions=[Action(set_name=Action.SetName(name=f"Bench {uuid.uuid4().hex[:8]}"))]), timeout=15)
        version[0] = updated.version

    return {"create_instance": create, "update_connector_staged": update}


def _per_call(call: Callable[[], None], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - started) / calls * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.record_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8, help="alternating rounds (default 8)")
    parser.add_argument("--calls", type=int, default=150, help="calls per scenario, side and round (default 150)")
    args = parser.parse_args(argv)
    from tests.reliability.stack import start_stack

    written = HistoryTable.add

    def skipped(self: HistoryTable, *records: object) -> None:
        return None

    directory = Path(tempfile.mkdtemp(prefix="plugboard-record-cost-"))
    stack = start_stack("sqlite", f"sqlite:///{directory / 'plugboard.db'}", directory)
    try:
        scenarios = _scenarios(stack)
        for call in scenarios.values():  # warm-up: caches, the connector's usable version, the first pages
            _per_call(call, max(1, args.calls // 3))
        results: dict[str, dict[str, list[float]]] = {name: {"records": [], "none": []} for name in scenarios}
        for round_ in range(args.rounds):
            for name, call in scenarios.items():
                for side in (("records", "none") if round_ % 2 == 0 else ("none", "records")):
                    HistoryTable.add = written if side == "records" else skipped  # type: ignore[method-assign]
                    try:
                        results[name][side].append(_per_call(call, args.calls))
                    finally:
                        HistoryTable.add = written  # type: ignore[method-assign]
            print(f"round {round_ + 1}/{args.rounds} done", file=sys.stderr, flush=True)
        for name, sides in results.items():
            records, none = statistics.median(sides["records"]), statistics.median(sides["none"])
            quotients = sorted(n / r for n, r in zip(sides["none"], sides["records"]))
            print(json.dumps({"name": "record_cost", "scenario": name, "rounds": args.rounds, "calls": args.calls,
                              "us_per_call_records": round(records), "us_per_call_none": round(none),
                              "quotient": round(none / records, 3),
                              "quotient_range": [round(quotients[0], 3), round(quotients[-1], 3)]}), flush=True)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
