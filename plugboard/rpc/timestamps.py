"""A request's ``google.protobuf.Timestamp`` as a ``datetime``, or INVALID_ARGUMENT on its field.

``Timestamp.ToDatetime`` raises ValueError or OverflowError for seconds outside the years 1-9999 or
nanos outside 0-999 999 999: from a caller's message that is bad input, never an INTERNAL error.
"""

from __future__ import annotations

from datetime import datetime, timezone

from google.protobuf.timestamp_pb2 import Timestamp

from plugboard.errors import InvalidArgument


def datetime_of(value: Timestamp, field: str) -> datetime:
    """``value`` as an aware UTC datetime; InvalidArgument on ``field`` when no datetime holds it."""
    try:
        return value.ToDatetime(tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        raise InvalidArgument.single(field, "must be a timestamp between the years 1 and 9999") from None
