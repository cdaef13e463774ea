"""Change records to and from ``plugboard.history.v1`` messages (transport)."""

from __future__ import annotations

from datetime import timezone
from typing import Any

from google.protobuf import struct_pb2

from plugboard.history.v1 import history_pb2 as pb
from plugboard.rpc.timestamps import datetime_of

from .model import Author, AuthorKind, Query, Record, RecordPage, RecordType

_TYPES = {RecordType.CREATED: pb.CHANGE_TYPE_CREATED, RecordType.UPDATED: pb.CHANGE_TYPE_UPDATED,
          RecordType.DELETED: pb.CHANGE_TYPE_DELETED}
_TYPES_BACK = {v: k for k, v in _TYPES.items()}
_KINDS = {AuthorKind.KEY: pb.AUTHOR_KIND_KEY, AuthorKind.INTERNAL: pb.AUTHOR_KIND_INTERNAL,
          AuthorKind.SYSTEM: pb.AUTHOR_KIND_SYSTEM}


def value(data: Any) -> struct_pb2.Value:
    out = struct_pb2.Value()
    if data is None:
        out.null_value = struct_pb2.NULL_VALUE
    elif isinstance(data, bool):
        out.bool_value = data
    elif isinstance(data, (int, float)):
        out.number_value = data
    elif isinstance(data, str):
        out.string_value = data
    elif isinstance(data, dict):
        out.struct_value.SetInParent()
        out.struct_value.update(data)
    elif isinstance(data, (list, tuple)):
        out.list_value.SetInParent()
        out.list_value.extend(list(data))
    else:
        out.string_value = str(data)
    return out


def author_to_proto(author: Author) -> pb.ModifiedBy:
    msg = pb.ModifiedBy(kind=_KINDS[author.kind], key_id=author.key_id, key_name=author.key_name,
                        project=author.project, peer=author.peer, system=author.system)
    if author.on_behalf_of is not None:
        msg.on_behalf_of.CopyFrom(author_to_proto(author.on_behalf_of))
    return msg


def record_to_proto(record: Record) -> pb.ChangeRecord:
    msg = pb.ChangeRecord(
        id=record.id, resource_type=record.resource_type, resource_id=record.resource_id,
        project=record.project, type=_TYPES[record.type], version=record.version,
        previous_version=record.previous_version, modified_by=author_to_proto(record.author),
        changes=[pb.Change(change=c.name, previous_value=value(c.previous), next_value=value(c.next))
                 for c in record.changes],
    )
    msg.modified_at.FromDatetime(record.modified_at.astimezone(timezone.utc).replace(tzinfo=None))
    return msg


def query_from_proto(request: pb.ListChangesRequest, **fixed: Any) -> Query:
    fields = dict(
        project=request.project, resource_type=request.resource_type, resource_id=request.resource_id,
        change=request.change, author=request.author, type=_TYPES_BACK.get(request.type),
        from_time=datetime_of(request.from_time, "from_time") if request.HasField("from_time") else None,
        to_time=datetime_of(request.to_time, "to_time") if request.HasField("to_time") else None,
        limit=request.limit, offset=request.offset, page_token=request.page_token,
    )
    fields.update(fixed)
    return Query(**fields)


def page_to_proto(page: RecordPage, limit: int) -> pb.ListChangesResponse:
    return pb.ListChangesResponse(limit=limit, offset=page.offset, count=len(page.items), total=page.total,
                                  results=[record_to_proto(r) for r in page.items],
                                  next_page_token=page.next_page_token)
