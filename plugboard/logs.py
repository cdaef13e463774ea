"""Logging set-up: one line per record, never a traceback; text (``time level logger message``) or
JSON (``PLUGBOARD_LOG_FORMAT=json``: one object per line).

Tracebacks and exception messages can carry secrets (connection strings, credentials in
arguments), so both formatters replace them with a one-line summary: exception class and the
file:line of the innermost frame.

JSON objects have ``time``, ``level``, ``logger`` and ``message``; an access line adds ``method``,
``code``, ``duration_ms``, ``peer``, ``trace_id`` and ``project`` (the caller's, when known) from the
record's ``extra`` fields, and ``reason`` / ``error_ref`` when there is one.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from contextvars import ContextVar
from types import TracebackType

_HANDLER_NAME = "plugboard"
_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
FORMATS = ("text", "json")

# The project of the call being handled, for the access line (set by the gateway once it knows the key).
caller_project: ContextVar[str] = ContextVar("plugboard_caller_project", default="")


def innermost_location(tb: TracebackType | None) -> str:
    """``path:line`` of the innermost frame of ``tb`` (path shortened to the working tree)."""
    if tb is None:
        return "?"
    while tb.tb_next is not None:
        tb = tb.tb_next
    path = tb.tb_frame.f_code.co_filename
    try:
        rel = os.path.relpath(path)
        if not rel.startswith(".."):
            path = rel
    except ValueError:
        pass
    if "site-packages" in path:
        path = path.split("site-packages" + os.sep, 1)[1]
    return f"{path}:{tb.tb_lineno}"


def exception_summary(exc: BaseException) -> str:
    """``"ValueError at plugboard/x.py:12"``: no message, no traceback."""
    return f"{type(exc).__name__} at {innermost_location(exc.__traceback__)}"


class OneLineFormatter(logging.Formatter):
    """``2025-01-02T03:04:05.678Z INFO plugboard.access message``; exceptions as a summary."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")
        self._second = -1
        self._second_text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        second = int(record.created)
        if second != self._second:  # strftime once per second, not once per line
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._second_text}.{int(record.msecs):03d}Z"

    def formatException(self, ei) -> str:  # type: ignore[no-untyped-def]
        exc = ei[1] if ei else None
        return f"[{exception_summary(exc)}]" if exc is not None else ""

    def formatStack(self, stack_info: str) -> str:
        return ""

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        record.asctime = self.formatTime(record)
        line = self.formatMessage(record)
        if record.exc_info and record.exc_info[1] is not None:
            line = f"{line} {self.formatException(record.exc_info)}"
        # One record, one line: escape embedded newlines instead of printing them.
        return line.replace("\r", "\\r").replace("\n", "\\n")


# Record attributes (``extra``) copied into a JSON line, under their JSON names.
_JSON_FIELDS = (("rpc_method", "method"), ("rpc_code", "code"), ("duration_ms", "duration_ms"),
                ("peer", "peer"), ("trace_id", "trace_id"), ("project", "project"), ("error_ref", "error_ref"),
                ("http_route", "route"), ("http_status", "status"))


class JsonFormatter(OneLineFormatter):
    """One JSON object per record and line; exceptions as a summary, never a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for attribute, name in _JSON_FIELDS:
            value = record.__dict__.get(attribute)
            if value is not None and value != "":
                entry[name] = round(value, 3) if isinstance(value, float) else value
        if record.exc_info and record.exc_info[1] is not None:
            entry["exception"] = exception_summary(record.exc_info[1])
        return json.dumps(entry, ensure_ascii=False, separators=(",", ":"), default=str)


def configure_logging(level: str = "INFO", format: str = "text") -> None:
    """Send every logger's records to stderr as single lines at ``level`` (e.g. ``"INFO"``), as text
    or as JSON objects (``format``: ``"text"`` or ``"json"``).

    Idempotent: calling it again replaces the handler it installed before.
    """
    name = level.strip().upper()
    if name not in _LEVELS:
        raise ValueError(f"unknown log level {level!r}; expected one of {', '.join(_LEVELS)}")
    if format not in FORMATS:
        raise ValueError(f"unknown log format {format!r}; expected one of {', '.join(FORMATS)}")
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if format == "json" else OneLineFormatter())
    root.addHandler(handler)
    root.setLevel(name)
    logging.captureWarnings(True)
    # The line format uses none of these; computing them costs a stack walk (findCaller) and three
    # lookups per record, which the access log pays on every call.
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
