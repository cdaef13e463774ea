"""Publishing and preview jobs, as pure rules: what a request starts and what a finished job writes.

A publish request moves the draft to Processing and asks for a ``JobRequest``; a preview request moves
``isPreviewable`` to pending. The job (run by ``catalog_service.publishing.worker``) reads the repository
and hands its findings to ``complete_publish`` / ``complete_preview``, which decide the outcome:

- the draft's own field checks (``draft_checks``) and the repository's entries make the report;
- with certification, the submission requirements of seed 000 are checked as entries too
  (documentation URL, creator contact, supported regions, a valid specification);
- any Error entry: publish -> Failed, preview -> isPreviewable false;
- otherwise publish -> Published with a new numbered version (or ReadyForCertification when certification
  was asked), preview -> isPreviewable true. The specification read becomes the draft's configurations.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime

from plugboard.errors import Validator

from . import validation as rules
from .model import (
    Draft,
    EntryType,
    Previewable,
    PublishedVersion,
    ReportEntry,
    Specification,
    Status,
    content_hash,
)

PUBLISHED = "Connector published"
SUBMITTED = "Connector submitted for certification"
FAILED = "Publishing failed"
DECERTIFIED = "Certification dropped"
PREVIEW_GRANTED = "Preview granted"


class JobKind(str, enum.Enum):
    PUBLISH = "publish"
    PREVIEW = "preview"


@dataclass(frozen=True)
class JobRequest:
    """A job an update request started; stored with the draft in one transaction."""

    kind: JobKind
    certification: bool = False


@dataclass(frozen=True)
class Completed:
    """What a finished job writes: the draft and, for a successful publish, the new version."""

    draft: Draft
    published: PublishedVersion | None = None
    outcome: str = ""  # "published", "ready_for_certification", "failed", "previewable", "not_previewable"


def has_errors(entries: tuple[ReportEntry, ...]) -> bool:
    return any(entry.type == EntryType.ERROR for entry in entries)


def draft_checks(draft: Draft, now: datetime) -> tuple[ReportEntry, ...]:
    """Check the draft's own fields; one report entry per check (Information when it passed)."""
    entries: list[ReportEntry] = []

    def check(ok: bool, title_ok: str, title_bad: str, message: str) -> None:
        entries.append(
            ReportEntry(EntryType.INFORMATION, title_ok, "", now)
            if ok
            else ReportEntry(EntryType.ERROR, title_bad, message, now)
        )

    v = Validator()
    rules.check_repository_url(v, "repository.url", draft.repository.url)
    check(not v.violations, "Repository URL check succeeded", "Repository URL not valid",
          "repository.url: " + "; ".join(f.description for f in v.violations))
    v = Validator()
    rules.check_tag(v, "repository.tag", draft.repository.tag)
    check(not v.violations, "Repository tag check succeeded", "Repository tag not valid",
          "repository.tag: " + "; ".join(f.description for f in v.violations))
    check(bool(draft.name.strip()), "Connector name check succeeded", "Connector name missing", "name: is required")
    return tuple(entries)


def submission_checks(draft: Draft, specification: Specification | None, now: datetime) -> tuple[ReportEntry, ...]:
    """The submission requirements of a public connector (seed 000, step 3: "Documentation and user guides",
    "Screenshots or demo videos (if applicable)", "Contact information for the developer or support team"),
    one entry each, naming what is missing. Media are asked "if applicable": their absence is a Warning."""
    contact = draft.support_contact
    checks = [
        (bool(draft.documentation_url), "Documentation URL check succeeded", "Documentation URL missing",
         "documentationUrl: a public connector needs documentation"),
        (bool(contact.email or contact.url or draft.creator.email or draft.creator.support_url),
         "Creator contact check succeeded", "Creator contact missing",
         "supportContact.email, supportContact.url, creator.email or creator.supportUrl: a public connector needs "
         "contact information for the developer or support team"),
        (bool(draft.supported_regions), "Supported regions check succeeded", "Supported regions missing",
         "supportedRegions: a public connector names at least one region"),
        (specification is not None, "Connector specification check succeeded", "Connector specification not valid",
         "connect.yaml: a public connector needs a valid specification"),
    ]
    entries = [
        ReportEntry(EntryType.INFORMATION, ok_title, "", now) if ok else ReportEntry(EntryType.ERROR, bad, why, now)
        for ok, ok_title, bad, why in checks
    ]
    entries.append(
        ReportEntry(EntryType.INFORMATION, "Screenshots or demo videos check succeeded",
                    f"{len(draft.media)} media link(s)", now)
        if draft.media else
        ReportEntry(EntryType.WARNING, "Screenshots or demo videos missing",
                    "media: add screenshots or demo video URLs with setMedia, where applicable", now))
    return tuple(entries)


def decertification_warning(draft: Draft, *, certification: bool, now: datetime) -> tuple[ReportEntry, ...]:
    """The Warning a publish without certification of a certified, public connector gets (seed 000's
    post-approval responsibilities stay visible): it names what changes. Empty otherwise."""
    if certification or not draft.certified or draft.private:
        return ()
    return (ReportEntry(
        EntryType.WARNING, DECERTIFIED,
        "publishing with certification false drops the connector's certification: the new version is "
        "uncertified and the connector becomes private and unlisted for everyone but the creator and "
        "privateProjects; the certified versions published so far stay certified, and existing instances "
        "keep working", now),)


def new_version(draft: Draft, *, certified: bool, now: datetime) -> PublishedVersion:
    """The next immutable version of ``draft`` (its fields and specification as they are now)."""
    return PublishedVersion(
        connector_id=draft.id,
        number=draft.published_version + 1,
        key=draft.key,
        name=draft.name,
        description=draft.description,
        integration_types=draft.integration_types,
        creator=draft.creator,
        repository=draft.repository,
        supported_regions=draft.supported_regions,
        private_projects=draft.private_projects,
        documentation_url=draft.documentation_url,
        specification=draft.specification,
        certified=certified,
        draft_version=draft.version + 1,
        published_at=now,
    )


def published_draft(draft: Draft, version: PublishedVersion, *, private: bool, report: tuple[ReportEntry, ...],
                    now: datetime) -> Draft:
    """The draft after ``version`` was published from it: Published, listed, no changes."""
    return replace(
        draft,
        status=Status.PUBLISHED,
        publishing_report=report,
        private=private,
        certified=version.certified,
        already_listed=True,
        published_version=version.number,
        published_hash=content_hash(draft),
        version=draft.version + 1,
        updated_at=now,
    )


def complete_publish(draft: Draft, *, certification: bool, specification: Specification | None,
                     entries: tuple[ReportEntry, ...], now: datetime) -> Completed | None:
    """The outcome of a publishing job; None when the draft is no longer Processing (nothing to write)."""
    if draft.status != Status.PROCESSING:
        return None
    report = tuple(entries)
    if certification:
        report += submission_checks(draft, specification, now)
    if has_errors(report) or specification is None:
        if not has_errors(report):  # defensive: no specification without an Error entry is still a failure
            report += (ReportEntry(EntryType.ERROR, FAILED, "no connector specification was read", now),)
        failed = replace(draft, status=Status.FAILED, publishing_report=report, version=draft.version + 1,
                         updated_at=now)
        return Completed(failed, outcome="failed")
    draft = replace(draft, specification=specification)
    if certification:
        report += (ReportEntry(EntryType.INFORMATION, SUBMITTED, "waiting for a reviewer", now),)
        ready = replace(draft, status=Status.READY_FOR_CERTIFICATION, publishing_report=report, submitted_at=now,
                        version=draft.version + 1, updated_at=now)
        return Completed(ready, outcome="ready_for_certification")
    report += decertification_warning(draft, certification=False, now=now)
    version = new_version(draft, certified=False, now=now)
    report += (ReportEntry(EntryType.INFORMATION, PUBLISHED, f"published as version {version.number}", now),)
    return Completed(published_draft(draft, version, private=True, report=report, now=now), version, "published")


def complete_preview(draft: Draft, *, specification: Specification | None, entries: tuple[ReportEntry, ...],
                     now: datetime) -> Completed | None:
    """The outcome of a preview job; None when no preview is pending any more."""
    if draft.is_previewable != Previewable.PENDING:
        return None
    report = tuple(entries)
    ok = specification is not None and not has_errors(report)
    changed = replace(
        draft,
        is_previewable=Previewable.TRUE if ok else Previewable.FALSE,
        previewable_report=report,
        specification=specification if ok and specification is not None else draft.specification,
        version=draft.version + 1,
        updated_at=now,
    )
    if ok:  # a new preview, numbered apart from published versions, supersedes the previous one
        number = draft.preview_number + 1
        preview = replace(new_version(changed, certified=False, now=now), number=number, preview=True,
                          draft_version=changed.version)
        changed = replace(changed, preview_number=number, preview=preview)
        report += (ReportEntry(EntryType.INFORMATION, PREVIEW_GRANTED,
                               f"usable as preview {number} by the creator and privateProjects", now),)
        changed = replace(changed, previewable_report=report)
    return Completed(changed, outcome="previewable" if ok else "not_previewable")
