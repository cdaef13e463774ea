"""``plugboard changes export``: a service's change records for a time range, as NDJSON.

One JSON object per line (``Record.to_json``: commercetools' field names), oldest first, read in
batches by keyset so an export of millions of records holds one batch in memory. On a long export (more
than ``PROGRESS_EVERY`` records) a progress line goes to stderr now and then: records written of the
total in the range. The command reads the service's own database (the settings of ``plugboard serve``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from typing import TextIO

PROGRESS_EVERY = 10_000
PROGRESS_SECONDS = 2.0
# Service -> (its database URL setting, its record table).
TABLES = {"catalog": ("catalog_database_url", "catalog_change"),
          "instance": ("instance_database_url", "instance_change"),
          "gateway": ("gateway_database_url", "api_key_change")}


def _time(text: str) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def export(table, out: TextIO, err: TextIO, from_time: datetime | None, to_time: datetime | None, *,  # type: ignore[no-untyped-def]
           batch: int = 500) -> int:
    """Write the records of ``table`` (a ``HistoryTable``) in [from_time, to_time) to ``out``; how many."""
    total = table.count(from_time, to_time)
    long_export = total > PROGRESS_EVERY
    written, last = 0, time.monotonic()
    for record in table.scan(from_time, to_time, batch=batch):
        out.write(json.dumps(record.to_json(), separators=(",", ":"), sort_keys=True) + "\n")
        written += 1
        if long_export and (written % PROGRESS_EVERY == 0 or time.monotonic() - last >= PROGRESS_SECONDS):
            print(f"exported {written} of {total} record(s)", file=err, flush=True)
            last = time.monotonic()
    if long_export:
        print(f"done: exported {written} record(s)", file=err, flush=True)
    return written


def cmd_export(args: argparse.Namespace) -> int:
    from plugboard.settings import Settings, SettingsError
    from plugboard.storage.database import open_database

    from .storage import HistoryTable, record_model

    try:
        settings = Settings.from_env()
        from_time, to_time = _time(args.from_time), _time(args.to_time)
    except (SettingsError, ValueError) as exc:
        print(f"plugboard: bad setting or time: {exc}", file=sys.stderr, flush=True)
        return 2
    setting, name = TABLES[args.service]
    db = open_database(getattr(settings, setting))
    try:
        if name not in db.get_tables():
            print(f"plugboard: the {args.service} database has no change records yet (start the service once)",
                  file=sys.stderr, flush=True)
            return 1
        table = HistoryTable(db, record_model(name, db))
        if args.output and args.output != "-":
            with open(args.output, "w", encoding="utf-8") as out:
                export(table, out, sys.stderr, from_time, to_time)
        else:
            export(table, sys.stdout, sys.stderr, from_time, to_time)
    finally:
        db.close()
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``plugboard changes export`` on the ``plugboard`` command's subparsers."""
    parser = subparsers.add_parser("changes", help="the change history of a service's resources")
    actions = parser.add_subparsers(dest="changes_command", required=True, metavar="ACTION")
    export_parser = actions.add_parser("export", help="write a service's change records as NDJSON, oldest first")
    export_parser.add_argument("--service", choices=sorted(TABLES), default="catalog",
                               help="whose records (default catalog)")
    export_parser.add_argument("--from", dest="from_time", default="",
                               help="records modified at or after this ISO 8601 time (default: the first)")
    export_parser.add_argument("--to", dest="to_time", default="",
                               help="records modified before this ISO 8601 time (default: now)")
    export_parser.add_argument("--output", default="-", help="file to write (default: standard output)")
    export_parser.set_defaults(func=cmd_export)
