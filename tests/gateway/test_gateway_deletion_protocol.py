"""The deletion protocol on its own (``gateway.deletion``), over in-memory ports.

The real services cover the ordinary paths (test_gateway_delete_connector.py); these fakes play the
failures the real ones cannot be made to show on cue: a revert that fails, a caller that goes away
between Begin and the count, references appearing between the first count and Begin, and the order of
the steps.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from gateway.deletion import ConnectorRef, DraftTarget, InstanceRef, References, delete_connector, delete_draft
from plugboard.errors import DeadlineExceeded, FailedPrecondition, InvalidArgument, NotFound, Unavailable
from tests.aio import run


class FakeCatalog:
    """A catalog holding one connector's lifecycle state, recording every step."""

    def __init__(self, connector_id: str = "c1", creator: str = "acme") -> None:
        self.connector = ConnectorRef(id=connector_id, key="shop", creator_project=creator)
        self.state = "ACTIVE"
        self.steps: list[str] = []
        self.fail_cancel = False

    def _require(self, connector_id: str) -> None:
        if self.state == "GONE" or connector_id != self.connector.id:
            raise NotFound("Connector", connector_id)

    async def get_connector(self, connector_id: str, project: str) -> ConnectorRef:
        self.steps.append("get")
        self._require(connector_id)
        return self.connector

    async def begin_deletion(self, connector_id: str) -> None:
        self.steps.append("begin")
        self._require(connector_id)
        if self.state != "ACTIVE":
            raise FailedPrecondition.single("CONNECTOR_DELETING", f"connectors/{connector_id}", "busy")
        self.state = "DELETING"

    async def cancel_deletion(self, connector_id: str) -> None:
        self.steps.append("cancel")
        await asyncio.sleep(0.01)
        if self.fail_cancel:
            raise Unavailable("catalog down")
        self.state = "ACTIVE"

    async def complete_deletion(self, connector_id: str) -> None:
        self.steps.append("complete")
        self.state = "GONE"

    # A never-published draft with the same id: the same state, its own steps.
    fail_complete = False

    async def begin_draft_deletion(self, draft: DraftTarget) -> str:
        self.steps.append("mark")
        self._require(draft.id)
        if self.state != "ACTIVE":
            raise FailedPrecondition.single("CONNECTOR_DELETING", f"connectors/drafts/{draft.id}", "busy")
        self.state = "DELETING"
        return draft.id

    async def cancel_draft_deletion(self, draft_id: str) -> None:
        self.steps.append("unmark")
        self.state = "ACTIVE"

    async def complete_draft_deletion(self, draft_id: str) -> object:
        self.steps.append("delete")
        if self.fail_complete:
            raise FailedPrecondition.single("CONNECTOR_STAGED_PUBLISH_UNDER_PROCESS", "connectors/drafts/c1", "busy")
        self.state = "GONE"
        return {"id": draft_id}


class FakeInstances:
    """Answers the counts in turn from ``answers`` (the last one repeats); ``delay`` holds the count
    numbered ``slow`` (1: the first) that long."""

    def __init__(self, *answers: References | Exception, delay: float = 0.0, slow: int = 1) -> None:
        self.answers = list(answers) or [References(total=0)]
        self.delay = delay
        self.slow = slow
        self.limits: list[int] = []

    async def count_references(self, connector_id: str, limit: int) -> References:
        self.limits.append(limit)
        if self.delay and len(self.limits) == self.slow:
            await asyncio.sleep(self.delay)
        answer = self.answers[min(len(self.limits), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer


NONE = References(total=0)
REFS = References(total=3, instances=(InstanceRef("acme", "i1", "Shop EU"),))


def test_no_references_counts_begins_counts_again_and_completes():
    catalog, instances = FakeCatalog(), FakeInstances()
    result = run(delete_connector(catalog, instances, "c1"))
    assert result.deleted and not result.dry_run and result.referencing_instance_count == 0
    assert catalog.steps == ["begin", "complete"] and catalog.state == "GONE"
    assert instances.limits == [10, 10]


def _assert_refusal_names_the_instances(err: FailedPrecondition) -> None:
    assert err.reason == "CONNECTOR_HAS_INSTANCES"
    assert err.metadata == {"connector_id": "c1", "referencing_instance_count": "3"}
    (violation,) = err.violations
    assert (violation.type, violation.subject) == ("INSTANCE_REFERENCE", "projects/acme/instances/i1")
    assert "Shop EU" in violation.description


def test_references_refuse_before_anything_is_written():
    catalog, instances = FakeCatalog(), FakeInstances(REFS)
    with pytest.raises(FailedPrecondition) as info:
        run(delete_connector(catalog, instances, "c1", project="acme"))
    _assert_refusal_names_the_instances(info.value)
    assert catalog.steps == ["get"] and catalog.state == "ACTIVE" and instances.limits == [10]


def test_references_that_appear_after_the_first_count_revert_and_refuse():
    catalog, instances = FakeCatalog(), FakeInstances(NONE, REFS)
    with pytest.raises(FailedPrecondition) as info:
        run(delete_connector(catalog, instances, "c1", project="acme"))
    _assert_refusal_names_the_instances(info.value)
    assert catalog.steps == ["get", "begin", "cancel"] and catalog.state == "ACTIVE"


def test_a_first_count_that_fails_is_unavailable_and_writes_nothing():
    catalog = FakeCatalog()
    with pytest.raises(Unavailable) as info:
        run(delete_connector(catalog, FakeInstances(Unavailable("instance down")), "c1"))
    assert info.value.reason == "REFERENCE_CHECK_UNAVAILABLE"
    assert catalog.steps == [] and catalog.state == "ACTIVE"


def test_count_failure_after_begin_reverts_and_is_unavailable():
    catalog = FakeCatalog()
    with pytest.raises(Unavailable) as info:
        run(delete_connector(catalog, FakeInstances(NONE, Unavailable("instance down")), "c1"))
    assert info.value.reason == "REFERENCE_CHECK_UNAVAILABLE"
    assert catalog.steps == ["begin", "cancel"] and catalog.state == "ACTIVE"


def test_a_failed_revert_is_logged_and_the_answer_stays_unavailable(caplog):
    catalog = FakeCatalog()
    catalog.fail_cancel = True
    with caplog.at_level(logging.WARNING, logger="gateway.deletion"):
        with pytest.raises(Unavailable):
            run(delete_connector(catalog, FakeInstances(NONE, Unavailable("instance down")), "c1"))
    assert catalog.state == "DELETING"  # left to the catalog's reconciler
    (line,) = [r.getMessage() for r in caplog.records if r.name == "gateway.deletion"]
    assert "c1" in line and "reconciler" in line


def test_a_spent_deadline_during_the_count_reverts_and_says_so():
    catalog = FakeCatalog()
    with pytest.raises(DeadlineExceeded):
        run(delete_connector(catalog, FakeInstances(NONE, DeadlineExceeded("late")), "c1"))
    assert catalog.state == "ACTIVE" and catalog.steps == ["begin", "cancel"]


def test_a_spent_deadline_during_the_first_count_passes_through_and_writes_nothing():
    catalog = FakeCatalog()
    with pytest.raises(DeadlineExceeded):
        run(delete_connector(catalog, FakeInstances(DeadlineExceeded("late")), "c1"))
    assert catalog.state == "ACTIVE" and catalog.steps == []


def test_a_caller_going_away_during_the_count_still_reverts():
    catalog = FakeCatalog()

    async def scenario() -> None:
        task = asyncio.ensure_future(delete_connector(catalog, FakeInstances(delay=10, slow=2), "c1"))
        await asyncio.sleep(0.05)
        assert catalog.state == "DELETING"
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.05)

    run(scenario())
    assert catalog.steps == ["begin", "cancel"] and catalog.state == "ACTIVE"


def test_begin_refusal_passes_through_and_nothing_else_happens():
    catalog = FakeCatalog()
    catalog.state = "DELETING"
    instances = FakeInstances()
    with pytest.raises(FailedPrecondition) as info:
        run(delete_connector(catalog, instances, "c1"))
    assert info.value.reason == "CONNECTOR_DELETING"
    assert catalog.steps == ["begin"] and instances.limits == [10]  # the count before the intent only


def test_dry_run_reads_only():
    refs = References(total=1, instances=(InstanceRef("acme", "i1", "Shop EU"),))
    catalog = FakeCatalog()
    result = run(delete_connector(catalog, FakeInstances(refs), "c1", dry_run=True))
    assert result.dry_run and not result.deleted and result.referencing_instance_count == 1
    assert result.referencing_instances == refs.instances
    assert catalog.steps == ["get"] and catalog.state == "ACTIVE"


# --- a never-published draft: the same steps 1-3 (no step 0: the mark checks the draft's rules) --------


def test_a_draft_is_marked_counted_and_deleted():
    catalog, instances = FakeCatalog(), FakeInstances()
    assert run(delete_draft(catalog, instances, DraftTarget(id="c1"))) == {"id": "c1"}
    assert catalog.steps == ["mark", "delete"] and catalog.state == "GONE" and instances.limits == [10]


def test_a_draft_whose_preview_has_instances_is_unmarked_and_refused():
    catalog, instances = FakeCatalog(), FakeInstances(REFS)
    with pytest.raises(FailedPrecondition) as info:
        run(delete_draft(catalog, instances, DraftTarget(id="c1", project="acme")))
    _assert_refusal_names_the_instances(info.value)
    assert catalog.steps == ["mark", "unmark"] and catalog.state == "ACTIVE"


def test_a_draft_count_failure_unmarks_and_is_unavailable():
    catalog = FakeCatalog()
    with pytest.raises(Unavailable) as info:
        run(delete_draft(catalog, FakeInstances(Unavailable("instance down")), DraftTarget(id="c1")))
    assert info.value.reason == "REFERENCE_CHECK_UNAVAILABLE"
    assert catalog.steps == ["mark", "unmark"] and catalog.state == "ACTIVE"


def test_a_draft_changed_since_its_mark_is_unmarked_and_refused():
    catalog = FakeCatalog()
    catalog.fail_complete = True
    with pytest.raises(FailedPrecondition) as info:
        run(delete_draft(catalog, FakeInstances(), DraftTarget(id="c1")))
    assert info.value.reason == "CONNECTOR_STAGED_PUBLISH_UNDER_PROCESS"
    assert catalog.steps == ["mark", "delete", "unmark"] and catalog.state == "ACTIVE"


def test_a_draft_delete_names_its_draft():
    catalog = FakeCatalog()
    with pytest.raises(InvalidArgument):
        run(delete_draft(catalog, FakeInstances(), DraftTarget(version=3)))
    assert catalog.steps == []
