"""The draft state machine: creating a draft and applying update actions, all or none.

``apply_actions`` is pure: it takes a draft and returns the changed draft (version incremented once) and,
when a publish or preview was requested, the job to run (see ``publishing``). Nothing is stored here; the
store writes both in one transaction with a compare-and-swap on the version.

Status rules (seed 002): content edits are refused while a publish is Processing
(CONNECTOR_STAGED_PUBLISH_UNDER_PROCESS) or the draft is ReadyForCertification / InCertification
(CONNECTOR_STAGED_IN_CERTIFICATION); a content edit of a Published or Failed draft makes it a Draft again;
private-project actions need a private draft (CONNECTOR_STAGED_NOT_PRIVATE); a second preview request
while one is pending is refused (CONNECTOR_STAGED_PREVIEW_REQUEST_UNDER_PROCESS), and so is a publish
(one job per draft at a time). A draft can be deleted only while it was never published
(CONNECTOR_STAGED_ALREADY_PUBLISHED) and runs no job.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from plugboard.errors import ConcurrentModification, FailedPrecondition, PreconditionViolation, Validator

from . import actions as a
from . import validation as rules
from .model import Comment, Creator, Draft, MediaLink, Previewable, PublishedVersion, Repository, Status, SupportContact
from .publishing import JobKind, JobRequest, decertification_warning, draft_checks  # noqa: F401  (draft_checks: re-exported)

NOT_PRIVATE = "CONNECTOR_STAGED_NOT_PRIVATE"
ALREADY_PUBLISHED = "CONNECTOR_STAGED_ALREADY_PUBLISHED"
PREVIEW_UNDER_PROCESS = "CONNECTOR_STAGED_PREVIEW_REQUEST_UNDER_PROCESS"
PUBLISH_UNDER_PROCESS = "CONNECTOR_STAGED_PUBLISH_UNDER_PROCESS"
IN_CERTIFICATION = "CONNECTOR_STAGED_IN_CERTIFICATION"
NOT_LISTED = "CONNECTOR_NOT_LISTED"
NOT_IN_CERTIFICATION = "CONNECTOR_NOT_IN_CERTIFICATION"
NOT_READY_FOR_CERTIFICATION = "CONNECTOR_NOT_READY_FOR_CERTIFICATION"
NOT_CERTIFIED = "CONNECTOR_NOT_CERTIFIED"


@dataclass(frozen=True)
class DraftInput:
    """The fields of a ConnectorStagedDraft."""

    key: str
    name: str
    description: str = ""
    integration_types: tuple[str, ...] = ()
    creator: Creator = Creator()
    repository: Repository = Repository()
    supported_regions: tuple[str, ...] = ()
    private_projects: tuple[str, ...] = ()
    documentation_url: str = ""
    media: tuple[MediaLink, ...] = ()
    support_contact: SupportContact = SupportContact()
    declaration_of_intent: str = ""


def validate_draft_input(draft: DraftInput, prefix: str = "draft") -> None:
    """Raise InvalidArgument naming every wrong field of a ConnectorStagedDraft."""
    v = Validator()
    rules.check_key(v, f"{prefix}.key", draft.key)
    rules.check_name(v, f"{prefix}.name", draft.name)
    rules.check_text(v, f"{prefix}.description", draft.description)
    rules.check_integration_types(v, f"{prefix}.integration_types", draft.integration_types)
    _check_creator(v, f"{prefix}.creator", draft.creator)
    rules.check_repository_url(v, f"{prefix}.repository.url", draft.repository.url)
    rules.check_tag(v, f"{prefix}.repository.tag", draft.repository.tag)
    rules.check_regions(v, f"{prefix}.supported_regions", draft.supported_regions, at_least_one=False)
    rules.check_private_projects(v, f"{prefix}.private_projects", draft.private_projects)
    rules.check_http_url(v, f"{prefix}.documentation_url", draft.documentation_url)
    rules.check_media(v, f"{prefix}.media", draft.media)
    rules.check_email(v, f"{prefix}.support_contact.email", draft.support_contact.email)
    rules.check_http_url(v, f"{prefix}.support_contact.url", draft.support_contact.url)
    rules.check_text(v, f"{prefix}.declaration_of_intent", draft.declaration_of_intent)
    v.raise_if_any()


def _check_creator(v: Validator, path: str, creator: Creator) -> None:
    for name in ("name", "title", "company"):
        rules.check_text(v, f"{path}.{name}", getattr(creator, name), rules.MAX_NAME)
    rules.check_email(v, f"{path}.email", creator.email)
    rules.check_http_url(v, f"{path}.logo_url", creator.logo_url)
    rules.check_http_url(v, f"{path}.support_url", creator.support_url)
    rules.check_no_of_contributors(v, f"{path}.no_of_contributors", creator.no_of_contributors, required=False)


def new_draft(draft: DraftInput, *, draft_id: str, project: str, now: datetime) -> Draft:
    """A validated new draft: version 1, status Draft, private, not previewable."""
    validate_draft_input(draft)
    return Draft(
        id=draft_id,
        key=draft.key,
        version=1,
        name=draft.name,
        created_at=now,
        updated_at=now,
        creator_project=project,
        description=draft.description,
        integration_types=draft.integration_types,
        creator=draft.creator,
        repository=draft.repository,
        supported_regions=draft.supported_regions,
        private_projects=draft.private_projects,
        documentation_url=draft.documentation_url,
        media=draft.media,
        support_contact=draft.support_contact,
        declaration_of_intent=draft.declaration_of_intent,
    )


def check_version(draft: Draft, expected: int) -> None:
    """Raise ConcurrentModification (ABORTED) when ``expected`` is not the draft's current version."""
    if expected != draft.version:
        raise ConcurrentModification(expected_version=expected, current_version=draft.version)


@dataclass(frozen=True)
class Applied:
    """The outcome of an update request."""

    draft: Draft
    published: PublishedVersion | None = None
    job: JobRequest | None = None
    # (action, draft before it, draft after it) for each action applied, for the change record
    steps: tuple[tuple[a.Action, Draft, Draft], ...] = ()


def apply_actions(draft: Draft, actions: list[a.Action], *, actor: str, now: datetime) -> Applied:
    """Apply validated actions in order; all or none. Raises a domain error on the first refusal."""
    current = draft
    job: JobRequest | None = None
    content_changed = False
    steps: list[tuple[a.Action, Draft, Draft]] = []
    for index, action in enumerate(actions):
        subject = f"actions[{index}]"
        before = current
        if isinstance(action, a.CONTENT_ACTIONS):
            _refuse_while_busy(current, subject)
            current = _apply_content(current, action, subject)
            content_changed = True
        elif isinstance(action, a.UpdatePreviewable):
            current = _request_preview(current, subject)
            job = JobRequest(JobKind.PREVIEW)
        elif isinstance(action, a.Publish):
            current = _request_publish(current, subject, certification=action.certification, now=now)
            job = JobRequest(JobKind.PUBLISH, certification=action.certification)
        elif isinstance(action, a.Unlist):
            _check_unlistable(current, subject)
            current = replace(current, already_listed=False)
        elif isinstance(action, a.SetRepositoryCredentials):
            # Not content (a publish snapshots no credential): the draft keeps its status and hasChanges.
            _refuse_while_busy(current, subject)
            if action.credentials is not None and action.sealed is None:
                raise AssertionError("repository credentials must be sealed before they are applied")
            current = replace(current, repository_credentials=action.sealed)
        elif isinstance(action, a.AddCertificationComment):
            if current.status not in (Status.READY_FOR_CERTIFICATION, Status.IN_CERTIFICATION):
                raise refused(NOT_IN_CERTIFICATION, subject, "the draft is not in certification")
            comment = Comment(user_id=actor, datetime=now, comment=action.comment)
            current = replace(current, comments=current.comments + (comment,))
        steps.append((action, before, current))
    if content_changed and current.status in (Status.PUBLISHED, Status.FAILED):
        current = replace(current, status=Status.DRAFT)
    return Applied(replace(current, version=draft.version + 1, updated_at=now), job=job, steps=tuple(steps))


def _refuse_while_busy(draft: Draft, subject: str) -> None:
    if draft.status == Status.PROCESSING:
        raise refused(PUBLISH_UNDER_PROCESS, subject, "a publish request is being processed")
    if draft.status in (Status.READY_FOR_CERTIFICATION, Status.IN_CERTIFICATION):
        raise refused(IN_CERTIFICATION, subject, "the draft is in certification")


def _apply_content(draft: Draft, action: a.Action, subject: str) -> Draft:
    match action:
        case a.SetField():
            for field, value in action.assignments():
                if not (field.keep_when_empty and not value):
                    draft = _assign(draft, field.target, value)
            return draft
        case a.AddPrivateProject(private_project=project):
            _require_private(draft, subject)
            if project in draft.private_projects:
                return draft
            return replace(draft, private_projects=draft.private_projects + (project,))
        case a.RemovePrivateProject(private_project=project):
            _require_private(draft, subject)
            return replace(draft, private_projects=tuple(p for p in draft.private_projects if p != project))
    raise AssertionError(f"not a content action: {type(action).__name__}")


def _assign(target: Any, attribute: str, value: Any) -> Any:
    """``target`` (a frozen dataclass) with ``attribute`` set; "creator.email" sets a nested one."""
    name, _, rest = attribute.partition(".")
    return replace(target, **{name: _assign(getattr(target, name), rest, value) if rest else value})


def _require_private(draft: Draft, subject: str) -> None:
    if not draft.private:
        raise refused(NOT_PRIVATE, subject, "the connector is not private")


def _request_preview(draft: Draft, subject: str) -> Draft:
    """isPreviewable becomes pending; the preview job decides true or false."""
    if draft.is_previewable == Previewable.PENDING:
        raise refused(PREVIEW_UNDER_PROCESS, subject, "a preview request is being processed")
    if draft.status == Status.PROCESSING:
        raise refused(PUBLISH_UNDER_PROCESS, subject, "a publish request is being processed")
    return replace(draft, is_previewable=Previewable.PENDING, previewable_report=())


def _check_unlistable(draft: Draft, subject: str) -> None:
    """Seed 002, Unlist: "Removes a certified and listed Connector from search results and listings"."""
    if not draft.already_listed:
        raise refused(NOT_LISTED, subject, "the connector is not listed")
    if draft.private or not draft.certified:
        raise refused(NOT_CERTIFIED, subject,
                      "only a certified, public connector can be unlisted; a private connector is in no public "
                      "listing (remove projects from privateProjects to take it from their listings)")


def _request_publish(draft: Draft, subject: str, *, certification: bool, now: datetime) -> Draft:
    """The draft becomes Processing with an empty report (or the warning that a publish without certification
    drops a public connector's certification); the publishing job decides the outcome."""
    _refuse_while_busy(draft, subject)
    if draft.is_previewable == Previewable.PENDING:
        raise refused(PREVIEW_UNDER_PROCESS, subject, "a preview request is being processed")
    return replace(draft, status=Status.PROCESSING, publishing_report=decertification_warning(
        draft, certification=certification, now=now))


def check_deletable(draft: Draft) -> None:
    """Only a draft that was never published and runs no job (it would write to nothing) can be deleted."""
    subject = f"connectors/drafts/{draft.id}"
    if draft.published_version:
        raise FailedPrecondition.single(ALREADY_PUBLISHED, subject,
                                        "the draft was published; delete the connector instead")
    if draft.status == Status.PROCESSING:
        raise refused(PUBLISH_UNDER_PROCESS, subject, "a publish request is being processed")
    if draft.is_previewable == Previewable.PENDING:
        raise refused(PREVIEW_UNDER_PROCESS, subject, "a preview request is being processed")


def refused(reason: str, subject: str, description: str) -> FailedPrecondition:
    return FailedPrecondition(
        reason=reason,
        message=description,
        violations=[PreconditionViolation(type=reason, subject=subject, description=description)],
    )
