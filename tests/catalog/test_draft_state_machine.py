"""The draft state machine (seed 002's status rules) as a hypothesis stateful test of the pure domain.

Requests (edits, publish, preview, unlist, comments), job outcomes and reviewer calls run in any order;
after each step the invariants hold: Processing exactly while a publish job is outstanding, pending exactly
while a preview job is, refusals change nothing, every accepted change increments the version by one,
published versions are numbered 1, 2, 3 ... and a listed or Published draft has one.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from catalog_service.domain import actions as a
from catalog_service.domain import certification, drafts, publishing
from catalog_service.domain.model import (
    Application,
    EntryType,
    Previewable,
    ReportEntry,
    Specification,
    Status,
)
from plugboard.errors import FailedPrecondition

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
SPEC = Specification(applications=(Application("app", "service"),))
BUSY = (Status.PROCESSING, Status.READY_FOR_CERTIFICATION, Status.IN_CERTIFICATION)
CONTENT = st.sampled_from([
    a.set_field("set_name", name="renamed"), a.set_field("set_description", description="text"),
    a.set_field("set_documentation_url", documentation_url="https://example.com/docs"),
    a.set_field("set_documentation_url", documentation_url=""),
    a.set_field("set_supported_regions", regions=("europe-west1.gcp",)),
    a.set_field("set_creator_email", creator_email=""),
    a.set_field("set_creator_email", creator_email="a@example.com"),
    a.set_field("set_repository", url="https://github.com/acme/other.git", tag="v2"),
    a.AddPrivateProject("eu.gcp:proj-1"), a.RemovePrivateProject("eu.gcp:proj-1"),
])


class DraftMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.draft = drafts.new_draft(
            drafts.DraftInput(key="connector", name="Connector",
                              repository=drafts.Repository("https://github.com/acme/c.git", "v1")),
            draft_id="d-1", project="acme", now=T0)
        self.publish_job: bool | None = None  # the outstanding publish job's certification flag
        self.preview_job = False
        self.versions: list[int] = []

    def tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def request(self, *actions: a.Action) -> bool:
        before = self.draft
        try:
            applied = drafts.apply_actions(before, list(actions), actor="acme", now=self.tick())
        except FailedPrecondition:
            return False
        assert applied.draft.version == before.version + 1
        if applied.job is not None and applied.job.kind == publishing.JobKind.PUBLISH:
            self.publish_job = applied.job.certification
        elif applied.job is not None:
            self.preview_job = True
        self.draft = applied.draft
        return True

    def reviewer(self, call) -> bool:  # type: ignore[no-untyped-def]
        before = self.draft
        try:
            result = call(before)
        except FailedPrecondition:
            return False
        changed = result.draft if isinstance(result, drafts.Applied) else result
        assert changed.version == before.version + 1
        if isinstance(result, drafts.Applied) and result.published is not None:
            self.versions.append(result.published.number)
        self.draft = changed
        return True

    @rule(action=CONTENT)
    def edit(self, action: a.Action) -> None:
        was = self.draft
        accepted = self.request(action)
        refused_expected = was.status in BUSY or (
            isinstance(action, (a.AddPrivateProject, a.RemovePrivateProject)) and not was.private)
        assert accepted != refused_expected
        if accepted and was.status in (Status.PUBLISHED, Status.FAILED):
            assert self.draft.status == Status.DRAFT

    @rule(certify=st.booleans())
    def publish(self, certify: bool) -> None:
        was = self.draft
        accepted = self.request(a.Publish(certification=certify))
        assert accepted == (was.status not in BUSY and was.is_previewable != Previewable.PENDING)
        if accepted:
            assert self.draft.status == Status.PROCESSING and self.draft.publishing_report == ()

    @rule()
    def preview(self) -> None:
        was = self.draft
        accepted = self.request(a.UpdatePreviewable())
        assert accepted == (was.status != Status.PROCESSING and was.is_previewable != Previewable.PENDING)

    @rule()
    def unlist(self) -> None:
        was = self.draft
        # seed 002, Unlist: "Removes a certified and listed Connector"
        assert self.request(a.Unlist()) == (was.already_listed and was.certified and not was.private)
        if was.already_listed and was.certified and not was.private:
            assert not self.draft.already_listed

    @rule()
    def comment(self) -> None:
        was = self.draft
        assert self.request(a.AddCertificationComment("note")) == (
            was.status in (Status.READY_FOR_CERTIFICATION, Status.IN_CERTIFICATION))

    @precondition(lambda self: self.publish_job is not None)
    @rule(ok=st.booleans())
    def finish_publish(self, ok: bool) -> None:
        entries = () if ok else (ReportEntry(EntryType.ERROR, "Git repository not reachable", "x", self.now),)
        done = publishing.complete_publish(self.draft, certification=bool(self.publish_job),
                                           specification=SPEC if ok else None, entries=entries, now=self.tick())
        assert done is not None and done.draft.version == self.draft.version + 1
        if done.published is not None:
            self.versions.append(done.published.number)
            assert not done.draft.has_changes and done.draft.private and not done.draft.certified
        if not ok:
            assert done.draft.status == Status.FAILED
        self.draft, self.publish_job = done.draft, None

    @precondition(lambda self: self.preview_job)
    @rule(ok=st.booleans())
    def finish_preview(self, ok: bool) -> None:
        done = publishing.complete_preview(self.draft, specification=SPEC if ok else None, entries=(), now=self.tick())
        assert done is not None
        assert done.draft.is_previewable == (Previewable.TRUE if ok else Previewable.FALSE)
        self.draft, self.preview_job = done.draft, False

    @rule()
    def start_review(self) -> None:
        was = self.draft
        assert self.reviewer(lambda d: certification.start_review(d, now=self.tick())) == (
            was.status == Status.READY_FOR_CERTIFICATION)

    @rule(approve=st.booleans())
    def decide(self, approve: bool) -> None:
        was = self.draft
        call = certification.approve if approve else certification.reject
        accepted = self.reviewer(lambda d: call(d, reviewer="rev", comment="why", now=self.tick()))
        assert accepted == (was.status == Status.IN_CERTIFICATION)
        if accepted and approve:
            assert self.draft.certified and not self.draft.private and self.draft.already_listed

    @invariant()
    def status_rules(self) -> None:
        d = self.draft
        assert (d.status == Status.PROCESSING) == (self.publish_job is not None)
        assert (d.is_previewable == Previewable.PENDING) == self.preview_job
        assert self.versions == list(range(1, len(self.versions) + 1))
        assert d.published_version == len(self.versions)
        if d.status == Status.PUBLISHED or d.already_listed:
            assert d.published_version >= 1
        if d.status == Status.READY_FOR_CERTIFICATION:
            assert d.submitted_at is not None and d.publishing_report

    @invariant()
    def refused_edits_change_nothing(self) -> None:
        if self.draft.status in BUSY:
            before = self.draft
            with pytest.raises(FailedPrecondition):
                drafts.apply_actions(before, [a.set_field("set_name", name="x")], actor="acme", now=self.now)
            assert self.draft == before


TestDraftStateMachine = DraftMachine.TestCase
TestDraftStateMachine.settings = settings(max_examples=25, stateful_step_count=15, deadline=None)


@pytest.mark.slow
def test_draft_state_machine_longer() -> None:
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(DraftMachine, settings=settings(max_examples=300, stateful_step_count=40,
                                                              deadline=None))
