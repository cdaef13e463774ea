"""The catalog store: drafts, published connectors and versions in and out of the database.

One method per use case, each in one transaction. Uniqueness is decided by constraints inside the
transaction (never check-then-insert); updates compare-and-swap on the version in the UPDATE's WHERE.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Sequence

import peewee

from catalog_service.domain.jobs import Job
from catalog_service.domain.listing import Page
from catalog_service.domain.model import (
    Connector,
    Draft,
    Lifecycle,
    PublishedVersion,
    Status,
    project_key,
    spellings,
)
from catalog_service.domain.publishing import JobRequest
from plugboard.errors import AlreadyExists, ConcurrentModification, NotFound
from plugboard.history import Record
from plugboard.history.storage import HistoryTable
from plugboard.storage import paging
from plugboard.storage.database import is_postgres
from plugboard.storage.errors import translate_errors

from . import codec, jobs, reads
from .models import (
    ChangeRow,
    ConnectorAccess,
    ConnectorIntegrationType,
    ConnectorRow,
    CreateRequest,
    DraftIntegrationType,
    DraftRow,
    VersionRow,
)

DRAFT_SORTS = {
    "id": DraftRow.id,
    "key": DraftRow.key,
    "name": DraftRow.name,
    "createdAt": DraftRow.created_at,
    "lastModifiedAt": DraftRow.updated_at,
    "version": DraftRow.version,
    "status": DraftRow.status,
}
CONNECTOR_SORTS = {
    "key": ConnectorRow.key,
    "name": ConnectorRow.name,
    "createdAt": ConnectorRow.created_at,
    "lastModifiedAt": ConnectorRow.updated_at,
}


class CatalogStore:
    """Reads and writes the catalog's tables on the bound database (the port ``domain.service.CatalogStore``)."""

    def __init__(self, database: peewee.Database, *, tokens: paging.PageTokens | None = None) -> None:
        """``tokens`` signs page tokens: the server passes the configured key (``PageTokens.from_settings``),
        shared by every process on this database; without one, a key of this process only."""
        self.db = database
        self._tokens = tokens or paging.PageTokens.ephemeral()
        self._statements = reads.Statements(database)
        self._versions = reads.VersionCache(database, self._statements)
        self._listing = reads.ListingStats(database)
        # The change records (plugboard.history): each write below adds its record in its own transaction.
        self.history = HistoryTable(database, ChangeRow, tokens=self._tokens)
        self._postgres = is_postgres(database)
        self._record_if_ready = self.history.insert_where().format(ready="EXISTS (SELECT 1 FROM ready)")

    # --- drafts -------------------------------------------------------------------------------

    def create_draft(self, draft: Draft, request_id: str = "", record: Record | None = None) -> Draft:
        """Insert a new draft (with its change record); a replayed (project, request_id) returns the draft it
        created first (and writes no record)."""
        with translate_errors(), self.db.atomic():
            if request_id:
                try:
                    with self.db.atomic():
                        CreateRequest.insert(
                            project=draft.creator_project, request_id=request_id, draft_id=draft.id
                        ).execute()
                except peewee.IntegrityError:
                    first = CreateRequest.get(
                        (CreateRequest.project == draft.creator_project) & (CreateRequest.request_id == request_id)
                    )
                    return self.get_draft(first.draft_id)
            try:
                with self.db.atomic():
                    DraftRow.insert(**self._draft_columns(draft), body=codec.draft_body(draft)).execute()
            except peewee.IntegrityError as exc:
                raise AlreadyExists(
                    "ConnectorStaged", "key", draft.key, reason="DUPLICATE_FIELD_VALUE",
                    message=f"a connector with key {draft.key!r} already exists",
                ) from exc
            self._replace_types(draft)
            self.history.add(record)
        return draft

    @translate_errors()
    def get_draft(self, draft_id: str) -> Draft:
        row = DraftRow.get_or_none(DraftRow.id == draft_id)
        if row is None:
            raise NotFound("ConnectorStaged", draft_id)
        return self._draft(row)

    @translate_errors()
    def get_draft_by_key(self, key: str) -> Draft:
        row = DraftRow.get_or_none(DraftRow.key == key)
        if row is None:
            raise NotFound("ConnectorStaged", key, message=f"ConnectorStaged with key {key!r} not found")
        return self._draft(row)

    def save_draft(self, draft: Draft, expected_version: int, published: PublishedVersion | None = None,
                   job: JobRequest | None = None, records: Sequence[Record] = ()) -> Draft:
        """Write a changed draft if its stored version is still ``expected_version`` (with a new published
        version, and a job to run, when given), and its change records."""
        with translate_errors(), self.db.atomic():
            unwritten = self.write_draft(draft, expected_version, published, records)
            if job is not None:
                jobs.insert_job(draft.id, job, draft.updated_at)
            self.history.add(*unwritten)
        self._listing.changed()
        return draft

    def write_draft(self, draft: Draft, expected_version: int, published: PublishedVersion | None,
                    records: Sequence[Record] = ()) -> Sequence[Record]:
        """The compare-and-swap write of ``save_draft``; the caller holds the transaction. On PostgreSQL one
        change record (the common case) is folded into the compare-and-swap UPDATE (a data-modifying WITH:
        inserted only when the UPDATE matched, one round trip fewer); the records it did not write are
        returned for the caller's ``history.add`` in the same transaction."""
        update = (DraftRow.update(**self._draft_columns(draft), body=codec.draft_body(draft))
                  .where((DraftRow.id == draft.id) & (DraftRow.version == expected_version)))
        if len(records) == 1 and self._postgres:
            sql, params = update.sql()
            updated = self.db.execute_sql(
                f"WITH ready AS ({sql} RETURNING 1), logged AS ({self._record_if_ready} RETURNING 1) "
                "SELECT (SELECT COUNT(*) FROM ready)", (*params, *self.history.params(records[0]))).fetchone()[0]
            unwritten: Sequence[Record] = ()
        else:
            updated, unwritten = update.execute(), records
        if updated != 1:
            current = self.get_draft(draft.id)  # NotFound when it was deleted meanwhile
            raise ConcurrentModification(expected_version=expected_version, current_version=current.version)
        self._replace_types(draft)
        if published is not None:
            self._publish(draft, published)
        elif draft.published_version:
            ConnectorRow.update(listed=draft.already_listed, updated_at=codec.naive_utc(draft.updated_at)).where(
                (ConnectorRow.id == draft.id) & (ConnectorRow.listed != draft.already_listed)
            ).execute()
        return unwritten

    def delete_draft(self, draft_id: str, expected_version: int, record: Record | None = None, *,
                     marked: bool = False) -> bool:
        """Delete the draft and its jobs if its stored version is still ``expected_version`` (with its
        change record); False (nothing written) when not. ``marked``: only a draft the deletion protocol
        marked (``begin_draft_deletion``); otherwise only an unmarked one (a direct delete never races the
        protocol)."""
        mark = DraftRow.deleting_since.is_null(not marked)
        with translate_errors(), self.db.atomic():
            deleted = DraftRow.delete().where(
                (DraftRow.id == draft_id) & (DraftRow.version == expected_version) & mark)
            if deleted.execute() != 1:
                return False
            jobs.delete_jobs(draft_id)
            self.history.add(record)
        return True

    @translate_errors()
    def query_drafts(
        self,
        *,
        limit: int,
        offset: int,
        sorts: Sequence[str],
        is_private: bool | None,
        integration_types: Sequence[str],
        project: str,
        page_token: str,
    ) -> Page:
        keys = paging.parse_sorts(sorts, DRAFT_SORTS, default=["createdAt asc"])
        query = DraftRow.select()
        if is_private is not None:
            query = query.where(DraftRow.private == is_private)
        if project:
            query = query.where(DraftRow.creator_project == project)
        if integration_types:
            query = query.where(
                DraftRow.id.in_(
                    DraftIntegrationType.select(DraftIntegrationType.draft).where(
                        DraftIntegrationType.integration_type.in_(list(integration_types))
                    )
                )
            )
        fingerprint = paging.query_fingerprint(
            {"sort": [(k.name, k.descending) for k in keys], "p": is_private, "t": sorted(integration_types),
             "project": project}
        )
        return self._page(query, keys, DraftRow.id, limit, offset, page_token, fingerprint, self._draft)

    @translate_errors()
    def certification_queue(self, *, limit: int, offset: int, statuses: Sequence[Status], page_token: str,
                            exclude_project: str = "") -> Page:
        """Drafts waiting for or under review, oldest submission first; without ``exclude_project``'s own."""
        keys = [paging.SortKey("submittedAt", DraftRow.submitted_at)]
        query = DraftRow.select().where(DraftRow.status.in_([status.value for status in statuses]))
        if exclude_project:
            query = query.where(DraftRow.creator_project != exclude_project)
        fingerprint = paging.query_fingerprint({"queue": sorted(status.value for status in statuses),
                                                "reviewer": exclude_project})
        return self._page(query, keys, DraftRow.id, limit, offset, page_token, fingerprint, self._draft)

    # --- jobs ---------------------------------------------------------------------------------

    def claim_job(self, owner: str, now: datetime, lease_seconds: float, batch: int = 5) -> Job | None:
        """Claim the oldest claimable job for ``owner`` (compare-and-swap; see ``jobs``), or None."""
        with translate_errors():
            for job_id in jobs.claimable_ids(now, batch):
                with self.db.atomic():
                    job = jobs.try_claim(job_id, owner, now, lease_seconds)
                if job is not None:
                    return job
        return None

    def finish_job(self, job: Job, outcome: str, now: datetime, draft: Draft | None = None,
                   expected_version: int = 0, published: PublishedVersion | None = None,
                   records: Sequence[Record] = ()) -> bool:
        """Mark ``job`` done and write its draft (and new version) in one transaction, only while ``job.owner``
        still holds the lease; False (nothing written) when it lost it."""
        with translate_errors(), self.db.atomic():
            if not jobs.finish(job, outcome, now):
                return False
            if draft is not None:
                self.history.add(*self.write_draft(draft, expected_version, published, records))
        self._listing.changed()
        return True

    def latest_change(self, resource_id: str, change_names: Sequence[str]) -> Record | None:
        """The newest change record of ``resource_id`` holding one of ``change_names`` (who asked for a job)."""
        return self.history.latest(resource_id, change_names)

    def release_job(self, job: Job) -> bool:
        with translate_errors(), self.db.atomic():
            return jobs.release(job)

    # --- published connectors -----------------------------------------------------------------

    @translate_errors()
    def get_connector(self, connector_id: str = "", key: str = "") -> Connector:
        """The connector by id (or by key when no id is given): one prebuilt query, its latest version
        from the version cache."""
        if connector_id:
            row = self.db.execute_sql(self._statements.connector_by_id, (connector_id,)).fetchone()
        else:
            row = self.db.execute_sql(self._statements.connector_by_key, (key,)).fetchone()
        if row is None:
            raise NotFound("Connector", connector_id or key)
        return reads.connector_from_tuple(row, self._version(row[reads.ID], row[reads.LATEST]))

    @translate_errors()
    def get_version(self, connector_id: str, number: int) -> PublishedVersion:
        """A published version (cached). Callers read the connector first: a deleted connector is NOT_FOUND
        before its versions are looked at."""
        return self._version(connector_id, number)

    def _version(self, connector_id: str, number: int) -> PublishedVersion:
        version = self._versions.get(connector_id, number)
        if version is None:
            raise NotFound("ConnectorVersion", f"{connector_id}/versions/{number}")
        return version

    @translate_errors()
    def list_versions(self, connector_id: str, *, limit: int, offset: int, page_token: str) -> Page:
        query = VersionRow.select().where(VersionRow.connector == connector_id)
        keys = [paging.SortKey("number", VersionRow.number, descending=True)]
        fingerprint = paging.query_fingerprint({"connector": connector_id})
        return self._page(
            query, keys, None, limit, offset, page_token, fingerprint,
            lambda row: codec.version_from_row(connector_id, row.number, row.published_at, row.body),
        )

    @translate_errors()
    def list_connectors(
        self,
        *,
        limit: int,
        offset: int,
        sorts: Sequence[str],
        text: str,
        integration_types: Sequence[str],
        certified_only: bool,
        project: str,
        page_token: str,
        private: bool | None = None,
        creator_company: str = "",
        ids: Sequence[str] = (),
        connector_keys: Sequence[str] = (),
    ) -> Page:
        keys = paging.parse_sorts(sorts, CONNECTOR_SORTS, default=["name asc"])
        # domain.model.visible, the one visibility rule, in SQL: the creator; a private connector's
        # privateProjects (ConnectorAccess holds their keys); a public connector while it is listed.
        visible = (ConnectorRow.listed == True) & (ConnectorRow.private == False)  # noqa: E712
        if project:
            visible = visible | ConnectorRow.creator_project.in_(spellings(project)) | (
                (ConnectorRow.private == True) & ConnectorRow.id.in_(  # noqa: E712
                    ConnectorAccess.select(ConnectorAccess.connector).where(
                        ConnectorAccess.project == project_key(project)))
            )
        query = ConnectorRow.select(*reads.CONNECTOR_COLUMNS).where(
            (ConnectorRow.lifecycle == Lifecycle.ACTIVE.value) & visible
        )
        if text:
            query = query.where(
                self._contains(ConnectorRow.key, text) | self._contains(ConnectorRow.name, text)
                | self._contains(ConnectorRow.description, text)
            )
        if integration_types:
            query = query.where(
                ConnectorRow.id.in_(
                    ConnectorIntegrationType.select(ConnectorIntegrationType.connector).where(
                        ConnectorIntegrationType.integration_type.in_(list(integration_types))
                    )
                )
            )
        if certified_only:
            query = query.where(ConnectorRow.certified == True)  # noqa: E712
        if private is not None:
            query = query.where(ConnectorRow.private == private)
        if creator_company:
            query = query.where(ConnectorRow.creator_company == creator_company.lower())
        if ids:
            query = query.where(ConnectorRow.id.in_(sorted(set(ids))))
        if connector_keys:
            query = query.where(ConnectorRow.key.in_(sorted(set(connector_keys))))
        filters = {"sort": [(k.name, k.descending) for k in keys], "text": text, "t": sorted(integration_types),
                   "c": certified_only, "project": project}
        if private is not None or creator_company or ids or connector_keys:  # tokens of older pages stay valid
            filters.update(p=private, cc=creator_company.lower(), ids=sorted(set(ids)), keys=sorted(set(connector_keys)))
        fingerprint = paging.query_fingerprint(filters)
        return self._connector_page(query, keys, limit, offset, page_token, fingerprint)

    # --- deletion protocol ----------------------------------------------------------------------

    def begin_deletion(self, connector_id: str, now: datetime,
                       record: Callable[[Connector], Record] | None = None) -> tuple[Connector, bool]:
        """ACTIVE -> DELETING by compare-and-swap: the connector and whether it changed (then with
        ``record(connector)``)."""
        with translate_errors(), self.db.atomic():
            changed = (
                ConnectorRow.update(lifecycle=Lifecycle.DELETING.value, lifecycle_changed_at=codec.naive_utc(now))
                .where((ConnectorRow.id == connector_id) & (ConnectorRow.lifecycle == Lifecycle.ACTIVE.value))
                .execute()
            )
            connector = self.get_connector(connector_id)
            if changed and record is not None:
                self.history.add(record(connector))
        if changed:
            self._listing.changed()
        return connector, bool(changed)

    def cancel_deletion(self, connector_id: str, record: Callable[[Connector], Record] | None = None) -> Connector:
        """DELETING -> ACTIVE (with ``record(connector)``); a no-op on an ACTIVE connector."""
        with translate_errors(), self.db.atomic():
            changed = ConnectorRow.update(lifecycle=Lifecycle.ACTIVE.value).where(
                (ConnectorRow.id == connector_id) & (ConnectorRow.lifecycle == Lifecycle.DELETING.value)
            ).execute()
            connector = self.get_connector(connector_id)
            if changed and record is not None:
                self.history.add(record(connector))
        self._listing.changed()
        return connector

    def complete_deletion(self, connector_id: str, record: Callable[[Connector, int], Record] | None = None
                          ) -> tuple[Connector, int] | None:
        """Delete a DELETING connector with its versions and draft (with ``record(connector, versions)``): it
        and its version count; None (nothing deleted) when it is not DELETING."""
        with translate_errors(), self.db.atomic():
            connector = self.get_connector(connector_id)
            versions = VersionRow.select().where(VersionRow.connector == connector_id).count()
            deleted = (
                ConnectorRow.delete()
                .where((ConnectorRow.id == connector_id) & (ConnectorRow.lifecycle == Lifecycle.DELETING.value))
                .execute()
            )
            if not deleted:
                return None
            for table in (VersionRow, ConnectorIntegrationType, ConnectorAccess):
                table.delete().where(table.connector == connector_id).execute()
            DraftIntegrationType.delete().where(DraftIntegrationType.draft == connector_id).execute()
            DraftRow.delete().where(DraftRow.id == connector_id).execute()
            jobs.delete_jobs(connector_id)
            if record is not None:
                self.history.add(record(connector, versions))
        self._versions.forget_connector(connector_id, connector.latest.number)
        self._listing.changed()
        return connector, versions

    def begin_draft_deletion(self, draft_id: str, expected_version: int, now: datetime) -> bool:
        """Mark an unmarked draft at ``expected_version`` as being deleted (compare-and-swap); whether it
        changed. The draft's version and body stay as they were: the mark is the protocol's, not a change."""
        with translate_errors():
            return DraftRow.update(deleting_since=codec.naive_utc(now)).where(
                (DraftRow.id == draft_id) & (DraftRow.version == expected_version)
                & DraftRow.deleting_since.is_null()).execute() == 1

    def cancel_draft_deletion(self, draft_id: str) -> bool:
        """Clear the draft's mark; whether there was one (NotFound when the draft is gone)."""
        with translate_errors():
            changed = DraftRow.update(deleting_since=None).where(
                (DraftRow.id == draft_id) & DraftRow.deleting_since.is_null(False)).execute()
            if not changed:
                self.get_draft(draft_id)
            return bool(changed)

    def deletion_under_way(self, draft_id: str) -> bool:
        """The draft is marked as being deleted, or its published connector is DELETING."""
        with translate_errors():
            marked = DraftRow.select(DraftRow.id).where(
                (DraftRow.id == draft_id) & DraftRow.deleting_since.is_null(False)).exists()
            return marked or ConnectorRow.select(ConnectorRow.id).where(
                (ConnectorRow.id == draft_id) & (ConnectorRow.lifecycle == Lifecycle.DELETING.value)).exists()

    def revert_stale_deletions(self, older_than: datetime,
                               record: Callable[[Connector], Record] | None = None) -> int:
        """Reconciler: DELETING connectors whose delete started before ``older_than`` go back to ACTIVE
        (with ``record(connector)`` of each)."""
        stale = ((ConnectorRow.lifecycle == Lifecycle.DELETING.value)
                 & (ConnectorRow.lifecycle_changed_at < codec.naive_utc(older_than)))
        with translate_errors(), self.db.atomic():
            # Marked drafts (never published): the mark goes, with no record (it never was a change).
            unmarked = DraftRow.update(deleting_since=None).where(
                DraftRow.deleting_since < codec.naive_utc(older_than)).execute()
            ids = [row.id for row in ConnectorRow.select(ConnectorRow.id).where(stale)]
            if not ids:
                return unmarked
            reverted = (
                ConnectorRow.update(lifecycle=Lifecycle.ACTIVE.value)
                .where(stale & ConnectorRow.id.in_(ids))
                .execute()
            )
            if record is not None:
                self.history.add(*[record(self.get_connector(i)) for i in ids])
        if reverted:
            self._listing.changed()
        return reverted + unmarked

    # --- helpers ------------------------------------------------------------------------------

    def _contains(self, column: peewee.Field, text: str) -> peewee.Expression:
        """Case-insensitive substring match, with no LIKE wildcards ("%" and "_" are plain characters)."""
        position = peewee.fn.STRPOS if is_postgres(self.db) else peewee.fn.INSTR
        return position(peewee.fn.LOWER(column), text.lower()) > 0

    def _publish(self, draft: Draft, version: PublishedVersion) -> None:
        now = codec.naive_utc(version.published_at)
        columns = dict(
            key=draft.key,
            listed=draft.already_listed,
            certified=draft.certified,
            private=draft.private,
            creator_project=draft.creator_project,
            latest_version=version.number,
            name=draft.name,
            description=draft.description,
            creator_company=version.creator.company.lower(),
            updated_at=now,
        )
        if not ConnectorRow.update(**columns).where(ConnectorRow.id == draft.id).execute():
            ConnectorRow.insert(
                id=draft.id, lifecycle=Lifecycle.ACTIVE.value, lifecycle_changed_at=now, created_at=now, **columns
            ).execute()
        VersionRow.insert(
            connector=draft.id, number=version.number, published_at=now, body=codec.version_body(version)
        ).execute()
        ConnectorIntegrationType.delete().where(ConnectorIntegrationType.connector == draft.id).execute()
        if version.integration_types:
            ConnectorIntegrationType.insert_many(
                [(draft.id, t) for t in version.integration_types],
                fields=[ConnectorIntegrationType.connector, ConnectorIntegrationType.integration_type],
            ).execute()
        ConnectorAccess.delete().where(ConnectorAccess.connector == draft.id).execute()
        projects = {draft.creator_project} | {p.split(":", 1)[-1] for p in version.private_projects}
        projects.discard("")
        if projects:
            ConnectorAccess.insert_many(
                [(draft.id, p) for p in sorted(projects)], fields=[ConnectorAccess.connector, ConnectorAccess.project]
            ).execute()

    def _replace_types(self, draft: Draft) -> None:
        DraftIntegrationType.delete().where(DraftIntegrationType.draft == draft.id).execute()
        if draft.integration_types:
            DraftIntegrationType.insert_many(
                [(draft.id, t) for t in draft.integration_types],
                fields=[DraftIntegrationType.draft, DraftIntegrationType.integration_type],
            ).execute()

    @staticmethod
    def _draft_columns(draft: Draft) -> dict:
        return dict(
            id=draft.id,
            key=draft.key,
            version=draft.version,
            name=draft.name,
            status=draft.status.value,
            private=draft.private,
            is_previewable=draft.is_previewable.value,
            creator_project=draft.creator_project,
            published_version=draft.published_version,
            created_at=codec.naive_utc(draft.created_at),
            updated_at=codec.naive_utc(draft.updated_at),
            submitted_at=codec.naive_utc(draft.submitted_at) if draft.submitted_at else None,
            repository_credentials=codec.credentials_column(draft.repository_credentials),
        )

    @staticmethod
    def _draft(row: DraftRow) -> Draft:
        columns = {name: getattr(row, name) for name in codec.DRAFT_COLUMNS}
        return codec.draft_from_row(columns, row.body)

    def _connector_page(self, query, keys, limit, offset, page_token, fingerprint) -> Page:
        """A page of connectors (``query`` selects ``reads.CONNECTOR_COLUMNS`` as tuples).

        The total is cached per fingerprint (``reads.ListingStats``); whether there is a next page is
        decided by reading one row more than the page (``paging.Pager.finish``), never from the (possibly
        cached) total. An offset of at least ``reads.ANCHOR_STRIDE`` continues from the nearest cached
        anchor row by keyset, so a page 10 000 rows deep costs about what the first page costs.
        """
        pager = paging.Pager(self._tokens, keys, ConnectorRow.id, fingerprint)
        positions = [reads.POSITION[k.column.name] for k in keys] + [reads.ID]
        cacheable = not self.db.in_transaction()
        cursor = pager.open(page_token)
        page, skip = query, offset
        if cursor is not None:
            page, offset, skip = query.where(pager.after(cursor.values)), cursor.offset, 0
        elif offset >= reads.ANCHOR_STRIDE and cacheable:
            anchors = self._listing.anchors(fingerprint, lambda: list(
                query.select(*pager.columns).order_by(*pager.order()).tuples()))
            anchor = min(offset // reads.ANCHOR_STRIDE, len(anchors))
            if anchor:
                page = query.where(pager.after(anchors[anchor - 1]))
                skip = offset - anchor * reads.ANCHOR_STRIDE
        page = page.order_by(*pager.order()).limit(limit + 1)
        rows, offset, next_token = pager.finish(
            list((page.offset(skip) if skip else page).tuples()), limit, offset,
            lambda row: [row[i] for i in positions])
        if cacheable:
            total = self._listing.total(fingerprint, query.count)
        else:
            total = query.count()
        versions = self._versions.get_many([(row[reads.ID], row[reads.LATEST]) for row in rows])
        items = []
        for row in rows:
            latest = versions.get((row[reads.ID], row[reads.LATEST]))
            if latest is None:  # deleted between the two queries (a publish writes its version first)
                continue
            items.append(reads.connector_from_tuple(row, latest))
        return Page(tuple(items), total, offset, next_token)

    def _page(self, query, keys, tiebreak, limit, offset, page_token, fingerprint, convert) -> Page:
        """A page of ``query`` ordered by ``keys`` then ``tiebreak`` (None: the keys are unique)."""
        pager = paging.Pager(self._tokens, keys, tiebreak, fingerprint)
        rows, offset, next_token = pager.fetch(query, limit=limit, offset=offset, page_token=page_token)
        return Page(tuple(convert(row) for row in rows), query.count(), offset, next_token)
