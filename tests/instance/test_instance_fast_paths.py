"""Regression tests of the prebuilt-SQL hot paths (storage/statements.py) and the lean conversions, on
SQLite and PostgreSQL: the single-statement writes keep the create protocol's guarantees."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from google.protobuf import timestamp_pb2

from instance_service.domain.listing import list_query
from instance_service.domain.model import InstanceState
from instance_service.domain.validation import ResolvedVariable
from instance_service.domain.variables import new_id, seal_all
from instance_service.storage.models import VariableRow
from instance_service.transport import convert
from plugboard.errors import Aborted
from tests.instance.helpers import T0, pending

VARIABLES = [
    ResolvedVariable(key="API_TOKEN", value="tok-1", secret=True, required=True),
    ResolvedVariable(key="EMPTY_SECRET", value="", secret=True, required=False),
    ResolvedVariable(key="REGION", value="eu", secret=False, required=False),
    ResolvedVariable(key="NOTE", value="", secret=False, required=False),
]


def test_mark_ready_with_variables_of_a_removed_pending_row_writes_nothing(repository, keyring):
    instance = pending()
    assert repository.insert_pending(instance, f"req-{uuid.uuid4().hex}")
    repository.discard_pending(instance.id)
    sealed = seal_all(keyring, "acme", instance.id, VARIABLES, T0)
    with pytest.raises(Aborted):
        repository.mark_ready(replace(instance, state=InstanceState.READY, variables=sealed))
    assert VariableRow.select().where(VariableRow.instance == instance.id).count() == 0


def test_mark_ready_writes_every_variable_shape_once(repository, keyring):
    instance = pending()
    request_id = f"req-{uuid.uuid4().hex}"
    assert repository.insert_pending(instance, request_id)
    sealed = seal_all(keyring, "acme", instance.id, VARIABLES, T0)
    repository.mark_ready(replace(instance, state=InstanceState.READY, variables=sealed))
    with pytest.raises(Aborted):  # READY now: a second confirmation finds no PENDING row
        repository.mark_ready(replace(instance, state=InstanceState.READY, variables=sealed))
    got = repository.get("acme", instance.id)
    assert [v.key for v in got.variables] == [v.key for v in VARIABLES]
    token, empty, region, note = got.variables
    assert token.ciphertext == sealed[0].ciphertext and token.value is None and token.value_set
    assert empty.ciphertext is None and not empty.value_set and empty.value_update_time is None
    assert region.value == "eu" and region.value_update_time == T0 and note.value == ""
    assert repository.find_by_request("acme", request_id) == got


def test_a_taken_request_id_writes_no_second_instance(repository, unique):
    first = pending(connector_id=f"c-{unique}")
    assert repository.insert_pending(first, f"req-{unique}")
    assert not repository.insert_pending(pending(connector_id=f"c-{unique}"), f"req-{unique}")
    assert repository.count_references(f"c-{unique}", 10).total == 1


def test_list_by_connector_pages_in_name_order_both_ways(repository, keyring):
    connector = f"c-{uuid.uuid4().hex[:8]}"
    names = [f"n{i:02d}" for i in range(7)]
    for name in reversed(names):
        instance = pending(name=name, connector_id=connector)
        assert repository.insert_pending(instance, "")
        repository.mark_ready(replace(instance, state=InstanceState.READY,
                                      variables=seal_all(keyring, "acme", instance.id, VARIABLES[:1], T0)))
    for sort, expected in (("name", names), ("-name", names[::-1])):
        seen, token = [], ""
        while True:
            page = repository.list(list_query("acme", connector_id=connector, per_page=3, sort=sort,
                                              page_token=token))
            assert page.total == 7 and all(len(item.variables) == 1 for item in page.items)
            seen += [item.name for item in page.items]
            token = page.next_page_token
            if not token:
                break
        assert seen == expected
        offset_page = repository.list(list_query("acme", connector_id=connector, per_page=3, page=2, sort=sort))
        assert [item.name for item in offset_page.items] == expected[3:6]


def test_new_ids_are_version_4_uuids():
    ids = {new_id() for _ in range(500)}
    assert len(ids) == 500
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


@pytest.mark.parametrize("value", [
    T0,
    datetime(1969, 12, 31, 23, 59, 59, 250_000, tzinfo=timezone.utc),
    datetime(2031, 6, 1, 12, 0, 0, 999_999, tzinfo=timezone(timedelta(hours=2))),
    datetime(2024, 2, 29, 8, 30),  # naive: taken as UTC, like Timestamp.FromDatetime
])
def test_timestamps_match_protobufs_own_conversion(value):
    expected = timestamp_pb2.Timestamp()
    expected.FromDatetime(value)
    assert convert.timestamp(value) == expected
