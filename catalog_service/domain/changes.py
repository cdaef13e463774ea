"""The catalog's change records (``plugboard.history``): what each mutation of a draft, a published
version, a connector's lifecycle and a certification writes, in the same transaction, to ``catalog_change``.

Resource types: ``connector-staged`` (a draft; one change per update action, named like the action:
``setName``, ``addPrivateProject``, ``publish``...), ``connector-version`` (a published version, created
once) and ``connector`` (lifecycle and deletion). Each record belongs to the draft's creator project.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from plugboard import history
from plugboard.history import Author, Change, Record, RecordType
from plugboard.history.values import camel, camel_fields, plain

from . import actions as a
from .model import Connector, Draft, PublishedVersion

DRAFT = "connector-staged"
VERSION = "connector-version"
CONNECTOR = "connector"
PUBLISHING_JOB = "publishing-job"
PREVIEW_JOB = "preview-job"
DELETION_RECONCILER = "deletion-reconciler"
# The change names that queue a job: the job's record names their author as the one it works for.
JOB_REQUESTS = {"publish": PUBLISHING_JOB, "updatePreviewable": PREVIEW_JOB}


def _get(target: Any, attribute: str) -> Any:
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


def summary(draft: Draft) -> dict[str, Any]:
    """A draft's own fields, as the created/deleted record carries them."""
    return {"key": draft.key, "name": draft.name, "description": draft.description,
            "integrationTypes": list(draft.integration_types), "repository": camel_fields(draft.repository),
            "creator": camel_fields(draft.creator), "supportedRegions": list(draft.supported_regions),
            "privateProjects": list(draft.private_projects), "documentationUrl": draft.documentation_url}


def action_change(name: str, action: a.Action, before: Draft, after: Draft) -> Change:
    """The change one update action made (``name``: its oneof field name)."""
    change = camel(name)
    match action:
        case a.SetField():
            targets = [field.target for field, _ in action.assignments()]
            if len(targets) == 1:
                return Change(change, plain(_get(before, targets[0])), plain(_get(after, targets[0])))
            return Change(change, {t: plain(_get(before, t)) for t in targets},
                          {t: plain(_get(after, t)) for t in targets})
        case a.AddPrivateProject() | a.RemovePrivateProject():
            return Change(change, list(before.private_projects), list(after.private_projects))
        case a.UpdatePreviewable():
            return Change(change, before.is_previewable.value, after.is_previewable.value)
        case a.Publish(certification=certification):
            return Change(change, {"status": before.status.value},
                          {"status": after.status.value, "certification": certification})
        case a.Unlist():
            return Change(change, before.already_listed, after.already_listed)
        case a.AddCertificationComment(comment=comment):
            return Change(change, None, comment)
        case a.SetRepositoryCredentials():
            # Write-only: the record says they changed, with their type and fingerprint, never a value.
            return Change(change, _credentials(before), _credentials(after))
    return Change(change, None, None)


def _credentials(draft: Draft) -> dict[str, str] | None:
    found = draft.repository_credentials
    return None if found is None else {"type": found.type, "fingerprint": found.fingerprint}


def draft_created(draft: Draft) -> Record:
    return history.record(DRAFT, draft.id, project=draft.creator_project, type=RecordType.CREATED,
                          changes=[Change("createConnectorStaged", None, summary(draft))],
                          version=draft.version, at=draft.created_at)


def draft_updated(before: Draft, after: Draft, changes: Sequence[Change], *, author: Author | None = None,
                  at: datetime | None = None) -> Record:
    return history.record(DRAFT, after.id, project=after.creator_project, changes=changes,
                          version=after.version, previous_version=before.version, author=author,
                          at=at or after.updated_at)


def draft_deleted(draft: Draft) -> Record:
    return history.record(DRAFT, draft.id, project=draft.creator_project, type=RecordType.DELETED,
                          changes=[Change("deleteConnectorStaged", summary(draft), None)],
                          previous_version=draft.version)


def outcome_changes(name: str, before: Draft, after: Draft, *, preview: bool = False) -> list[Change]:
    """What a job or a reviewer decided: the decision (``name``: the status, or previewability for a
    preview, before and after), then what else it changed (certified, listing, published version)."""
    if preview:
        decision = Change(name, before.is_previewable.value, after.is_previewable.value)
    else:
        decision = Change(name, before.status.value, after.status.value)
    return [decision, *history.changes(
        history.diff("setIsPreviewable", before.is_previewable.value, after.is_previewable.value) if not preview
        else None,
        history.diff("setCertified", before.certified, after.certified),
        history.diff("setAlreadyListed", before.already_listed, after.already_listed),
        history.diff("setPublishedVersion", before.published_version, after.published_version),
    )]


def version_created(draft: Draft, version: PublishedVersion, *, author: Author | None = None) -> Record:
    return history.record(VERSION, f"{version.connector_id}/versions/{version.number}",
                          project=draft.creator_project, type=RecordType.CREATED,
                          changes=[Change("publishVersion", None, {
                              "number": version.number, "draftVersion": version.draft_version,
                              "certified": version.certified, "repository": camel_fields(version.repository)})],
                          version=version.number, author=author, at=version.published_at)


def job_author(requester: Record | None, job_kind: str) -> Author:
    """The job as a system actor, on behalf of the caller whose request queued it."""
    return history.system(job_kind, on_behalf_of=requester.author if requester is not None else None)


def lifecycle(connector: Connector, name: str, previous: str, next: str, *, author: Author | None = None) -> Record:
    return history.record(CONNECTOR, connector.id, project=connector.creator_project,
                          changes=[Change(name, previous, next)], author=author)


def connector_deleted(connector: Connector, versions: int) -> Record:
    return history.record(CONNECTOR, connector.id, project=connector.creator_project, type=RecordType.DELETED,
                          changes=[Change("deleteConnector", {"key": connector.key, "versions": versions}, None)])
