"""JSON encoding of the domain objects kept in ``body`` columns (drafts and published versions).

The encoding is explicit (no pickling): each dataclass becomes a dict of plain values and back, so the
stored JSON stays readable and stable across code changes.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, replace
from datetime import datetime, timezone
from typing import Any

from catalog_service.domain.model import (
    Application,
    Authentication,
    Comment,
    Connection,
    Creator,
    Draft,
    EntryType,
    HealthCheck,
    MediaLink,
    MediaType,
    Previewable,
    PublishedVersion,
    ReportEntry,
    Repository,
    RepositoryCredentials,
    RetryPolicy,
    SecuredKey,
    Specification,
    StandardKey,
    Status,
    SupportContact,
    TestRequest,
)

# Draft fields stored as columns, not in the body.
DRAFT_COLUMNS = ("id", "key", "version", "name", "status", "private", "is_previewable", "creator_project",
                 "published_version", "created_at", "updated_at", "submitted_at", "repository_credentials")


def _time(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat()


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _report(entries: tuple[ReportEntry, ...] | None) -> list[dict[str, Any]] | None:
    if entries is None:
        return None
    return [
        {"type": e.type.value, "title": e.title, "message": e.message, "created_at": _time(e.created_at),
         "application": e.application}
        for e in entries
    ]


def _parse_report(raw: list[dict[str, Any]] | None) -> tuple[ReportEntry, ...] | None:
    if raw is None:
        return None
    return tuple(
        ReportEntry(EntryType(e["type"]), e["title"], e["message"], _parse_time(e["created_at"]),
                    e.get("application", ""))
        for e in raw
    )


def spec_to_dict(spec: Specification) -> dict[str, Any]:
    return asdict(spec)


def spec_from_dict(raw: dict[str, Any]) -> Specification:
    def standard(items: list[dict[str, Any]]) -> tuple[StandardKey, ...]:
        return tuple(StandardKey(**item) for item in items)

    def secured(items: list[dict[str, Any]]) -> tuple[SecuredKey, ...]:
        return tuple(SecuredKey(**item) for item in items)

    connection = None
    if raw.get("connection"):
        c = raw["connection"]
        auth = dict(c["authentication"])
        auth["scopes"] = tuple(auth.get("scopes", ()))
        test = dict(c["test_request"])
        test["expected_status"] = tuple(test.get("expected_status", (200,)))
        test["headers"] = tuple(tuple(pair) for pair in test.get("headers", ()))
        connection = Connection(c["base_url_template"], Authentication(**auth), TestRequest(**test))
    return Specification(
        applications=tuple(
            _application(app, standard(app["standard"]), secured(app["secured"]))
            for app in raw.get("applications", ())
        ),
        global_standard=standard(raw.get("global_standard", [])),
        global_secured=secured(raw.get("global_secured", [])),
        connection=connection,
        api_client_scopes=tuple(raw.get("api_client_scopes", ())),
    )


def _application(app: dict[str, Any], standard: tuple[StandardKey, ...],
                 secured: tuple[SecuredKey, ...]) -> Application:
    health, retry = app.get("health_check"), app.get("retry_policy")
    return Application(
        app["name"], app["type"], standard, secured,
        endpoint=app.get("endpoint", ""),
        post_deploy=app.get("post_deploy", ""),
        pre_undeploy=app.get("pre_undeploy", ""),
        schedule=app.get("schedule", ""),
        health_check=HealthCheck(**health) if health else None,
        retry_policy=RetryPolicy(**retry) if retry else None,
    )


def draft_body(draft: Draft) -> str:
    """The JSON body of a draft row: every field that is not a column."""
    return json.dumps(
        {
            "description": draft.description,
            "integration_types": list(draft.integration_types),
            "creator": asdict(draft.creator),
            "repository": asdict(draft.repository),
            "specification": spec_to_dict(draft.specification),
            "private_projects": list(draft.private_projects),
            "supported_regions": list(draft.supported_regions),
            "comments": [_comment(c) for c in draft.comments],
            "publishing_report": _report(draft.publishing_report),
            "already_listed": draft.already_listed,
            "previewable_report": _report(draft.previewable_report),
            "documentation_url": draft.documentation_url,
            "certified": draft.certified,
            "published_hash": draft.published_hash,
            "media": [{"type": m.type.value, "url": m.url, "title": m.title} for m in draft.media],
            "support_contact": asdict(draft.support_contact),
            "declaration_of_intent": draft.declaration_of_intent,
            "preview_number": draft.preview_number,
            "preview": _version_dict(draft.preview) | {"number": draft.preview.number,
                                                       "published_at": _time(draft.preview.published_at)}
            if draft.preview else None,
        },
        sort_keys=True,
    )


def _preview_from_dict(draft_id: str, raw: dict[str, Any]) -> PublishedVersion:
    """A draft's granted preview: a version snapshot numbered apart from the published ones."""
    version = _version_from_dict(draft_id, raw["number"], _parse_time(raw["published_at"]), raw)
    return replace(version, preview=True)


def _comment(c: Comment) -> dict[str, Any]:
    raw = {"user_id": c.user_id, "datetime": _time(c.datetime), "comment": c.comment}
    if c.meeting_time is not None:
        raw["meeting_time"] = _time(c.meeting_time)
    return raw


def _parse_comment(c: dict[str, Any]) -> Comment:
    meeting = c.get("meeting_time")
    return Comment(c["user_id"], _parse_time(c["datetime"]), c["comment"],
                   _parse_time(meeting) if meeting else None)


def draft_from_row(columns: dict[str, Any], body: str) -> Draft:
    raw = json.loads(body)
    return Draft(
        id=columns["id"],
        key=columns["key"],
        version=columns["version"],
        name=columns["name"],
        created_at=_aware(columns["created_at"]),
        updated_at=_aware(columns["updated_at"]),
        creator_project=columns["creator_project"],
        description=raw["description"],
        integration_types=tuple(raw["integration_types"]),
        creator=Creator(**raw["creator"]),
        repository=Repository(**raw["repository"]),
        specification=spec_from_dict(raw["specification"]),
        private=bool(columns["private"]),
        private_projects=tuple(raw["private_projects"]),
        supported_regions=tuple(raw["supported_regions"]),
        comments=tuple(_parse_comment(c) for c in raw["comments"]),
        status=Status(columns["status"]),
        publishing_report=_parse_report(raw["publishing_report"]),
        already_listed=raw["already_listed"],
        is_previewable=Previewable(columns["is_previewable"]),
        previewable_report=_parse_report(raw["previewable_report"]),
        documentation_url=raw["documentation_url"],
        certified=raw["certified"],
        published_version=columns["published_version"],
        submitted_at=_aware(columns["submitted_at"]) if columns.get("submitted_at") else None,
        published_hash=raw["published_hash"],
        media=tuple(MediaLink(MediaType(m["type"]), m["url"], m.get("title", "")) for m in raw.get("media", ())),
        support_contact=SupportContact(**raw.get("support_contact", {})),
        declaration_of_intent=raw.get("declaration_of_intent", ""),
        preview_number=raw.get("preview_number", 0),
        preview=_preview_from_dict(columns["id"], raw["preview"]) if raw.get("preview") else None,
        repository_credentials=credentials_from_column(columns.get("repository_credentials")),
    )


def credentials_column(credentials: RepositoryCredentials | None) -> str | None:
    """The ``repository_credentials`` column: their type, fingerprint and ciphertext (base64); None: none."""
    if credentials is None:
        return None
    return json.dumps({"type": credentials.type, "fingerprint": credentials.fingerprint,
                       "sealed": base64.b64encode(credentials.sealed).decode("ascii")}, sort_keys=True)


def credentials_from_column(value: str | None) -> RepositoryCredentials | None:
    if not value:
        return None
    raw = json.loads(value)
    return RepositoryCredentials(raw["type"], raw["fingerprint"], base64.b64decode(raw["sealed"]))


def version_body(version: PublishedVersion) -> str:
    return json.dumps(_version_dict(version), sort_keys=True)


def _version_dict(version: PublishedVersion) -> dict[str, Any]:
    return {
        "key": version.key,
        "name": version.name,
        "description": version.description,
        "integration_types": list(version.integration_types),
        "creator": asdict(version.creator),
        "repository": asdict(version.repository),
        "supported_regions": list(version.supported_regions),
        "private_projects": list(version.private_projects),
        "documentation_url": version.documentation_url,
        "specification": spec_to_dict(version.specification),
        "certified": version.certified,
        "draft_version": version.draft_version,
    }


def version_from_row(connector_id: str, number: int, published_at: datetime, body: str) -> PublishedVersion:
    return _version_from_dict(connector_id, number, published_at, json.loads(body))


def _version_from_dict(connector_id: str, number: int, published_at: datetime, raw: dict[str, Any]) -> PublishedVersion:
    return PublishedVersion(
        connector_id=connector_id,
        number=number,
        key=raw["key"],
        name=raw["name"],
        description=raw["description"],
        integration_types=tuple(raw["integration_types"]),
        creator=Creator(**raw["creator"]),
        repository=Repository(**raw["repository"]),
        supported_regions=tuple(raw["supported_regions"]),
        private_projects=tuple(raw["private_projects"]),
        documentation_url=raw["documentation_url"],
        specification=spec_from_dict(raw["specification"]),
        certified=raw["certified"],
        draft_version=raw["draft_version"],
        published_at=_aware(published_at),
    )


def _aware(value: datetime | str) -> datetime:
    """Timestamps are stored as naive UTC; return them timezone-aware."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def naive_utc(value: datetime) -> datetime:
    """The column form of a timestamp: naive UTC (portable across SQLite and PostgreSQL)."""
    return value.astimezone(timezone.utc).replace(tzinfo=None)
