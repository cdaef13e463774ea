"""The installation store: installations, their request ids and revisions, and the instance side of the
install/uninstall protocols (DESIGN.md's deletion protocol, applied to installation -> instances).

- A second installation of a connector version in a project is refused by the unique index on (project,
  connector, version, slot); an explicit alongside install takes its own id as slot.
- Reads of another project's installation, and of PENDING ones, answer NOT_FOUND exactly like a missing
  one; ``count_references`` and the uninstall protocol see PENDING rows too.
- Updates compare-and-swap the version in the WHERE clause.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime

import peewee

from plugboard.errors import (
    Aborted,
    AlreadyExists,
    ConcurrentModification,
    FailedPrecondition,
    installation_not_found,
)
from plugboard.history import Record
from plugboard.history.storage import HistoryTable
from plugboard.page import Page
from plugboard.storage.errors import translate_errors
from plugboard.storage.paging import PageTokens, Pager, SortKey, query_fingerprint

from ..domain.installation_model import (
    Actor,
    Customisation,
    Installation,
    InstallationOrigin,
    InstallationQuery,
    InstallationReference,
    InstallationState,
    InstanceRef,
    Revision,
    RevisionChange,
)
from ..domain.customising import customised_configuration
from ..domain.model import Configuration, InstanceState
from .models import ChangeRow, InstallationRequestRow, InstallationRow, InstanceRow, RevisionRow, to_micros
from .statements import configuration_json

_READY = InstallationState.READY.value
_PENDING = InstallationState.PENDING.value
_REMOVING = InstallationState.REMOVING.value
_VISIBLE = (_READY, _REMOVING)
_SORT_COLUMNS = {"connector_key": InstallationRow.connector_key, "create_time": InstallationRow.create_time,
                 "update_time": InstallationRow.update_time}


class RequestTaken(Exception):
    """The install's request id is taken by a concurrent install (internal signal)."""


class InstallationRepository:
    """Implements the domain's ``InstallationStore`` on ``db`` (the models' ``database_proxy``)."""

    def __init__(self, db: peewee.Database, *, tokens: PageTokens | None = None,
                 history: HistoryTable | None = None) -> None:
        self._db = db
        self._tokens = tokens or PageTokens.ephemeral()
        # The change records (plugboard.history): a write given its record adds it in its transaction.
        self.history = history if history is not None else HistoryTable(db, ChangeRow, tokens=self._tokens)

    # ------------------------------------------------------------------------------------ create

    def insert(self, installation: Installation, request_id: str = "", record: Record | None = None) -> bool:
        """Commit the installation (PENDING or READY) with its request id; False when the request id is
        taken; AlreadyExists when the project has this connector version installed (same slot)."""
        try:
            with translate_errors(), self._db.atomic():
                try:
                    with self._db.atomic():
                        InstallationRow.insert(**_row(installation)).execute()
                except peewee.IntegrityError as exc:
                    raise already_installed(installation) from exc
                if request_id:
                    try:
                        with self._db.atomic():
                            InstallationRequestRow.insert(project=installation.project, request_id=request_id,
                                                          installation=installation.id,
                                                          create_time=installation.create_time).execute()
                    except peewee.IntegrityError as exc:
                        raise RequestTaken() from exc
                self.history.add(record)
        except RequestTaken:
            return False
        return True

    def find_by_request(self, project: str, request_id: str) -> Installation | None:
        with translate_errors():
            row = (InstallationRow.select().join(InstallationRequestRow,
                                                 on=InstallationRequestRow.installation == InstallationRow.id)
                   .where((InstallationRequestRow.project == project)
                          & (InstallationRequestRow.request_id == request_id)).first())
            return None if row is None else _installation(row)

    def mark_ready(self, installation: Installation, record: Record | None = None) -> Installation:
        """PENDING -> READY with the catalog's answer (and its record)."""
        with translate_errors(), self._db.atomic():
            changed = InstallationRow.update(
                connector_key=installation.connector_key, connector_name=installation.connector_name,
                connector_version=installation.connector_version, latest_version=installation.latest_version,
                configuration=configuration_json(installation.configuration), state=_READY,
                update_time=installation.update_time,
            ).where((InstallationRow.id == installation.id) & (InstallationRow.state == _PENDING)).execute()
            if changed == 1:
                self.history.add(record)
        if changed != 1:
            raise Aborted("the installation was not confirmed in time and was removed; retry the request",
                          reason="PENDING_INSTALLATION_EXPIRED")
        return replace(installation, state=InstallationState.READY)

    def discard_pending(self, installation_id: str) -> None:
        with translate_errors(), self._db.atomic():
            InstallationRequestRow.delete().where(InstallationRequestRow.installation == installation_id).execute()
            InstallationRow.delete().where((InstallationRow.id == installation_id)
                                           & (InstallationRow.state == _PENDING)).execute()

    # -------------------------------------------------------------------------------------- read

    def get(self, project: str, installation_id: str) -> Installation:
        """A READY (or REMOVING) installation of the project, with its instance count."""
        with translate_errors():
            row = InstallationRow.get_or_none((InstallationRow.id == installation_id)
                                              & (InstallationRow.project == project)
                                              & (InstallationRow.state.in_(_VISIBLE)))
            if row is None:
                raise installation_not_found(installation_id)
            found = _installation(row)
            return replace(found, instance_count=self.instance_counts([found.id]).get(found.id, 0))

    def state_of(self, installation_id: str) -> InstallationState | None:
        """The installation's state read from the primary; None when it is gone."""
        with translate_errors():
            row = (InstallationRow.select(InstallationRow.state)
                   .where(InstallationRow.id == installation_id).first())
            return None if row is None else InstallationState(row.state)

    def for_connector(self, project: str, *, connector_id: str = "", connector_key: str = "") -> list[Installation]:
        """The project's READY installations of a connector (by id or key), oldest first."""
        with translate_errors():
            where = (InstallationRow.project == project) & (InstallationRow.state == _READY)
            where &= (InstallationRow.connector_id == connector_id) if connector_id else (
                InstallationRow.connector_key == connector_key)
            rows = InstallationRow.select().where(where).order_by(InstallationRow.create_time, InstallationRow.id)
            return [_installation(row) for row in rows]

    def list(self, query: InstallationQuery) -> Page:
        keys = [SortKey(query.sort_field, _SORT_COLUMNS[query.sort_field], query.descending)]
        pager = Pager(self._tokens, keys, InstallationRow.id, query_fingerprint(query.filters()))
        with translate_errors():
            where = (InstallationRow.project == query.project) & (InstallationRow.state.in_(_VISIBLE))
            if query.connector_ids:
                where &= InstallationRow.connector_id.in_(list(query.connector_ids))
            if query.connector_key:
                where &= InstallationRow.connector_key == query.connector_key
            if query.modified is True:
                where &= InstallationRow.customisation.is_null(False)
            elif query.modified is False:
                where &= InstallationRow.customisation.is_null(True)
            total = InstallationRow.select().where(where).count()
            rows, offset, token = pager.fetch(InstallationRow.select().where(where), limit=query.page_size,
                                              offset=0, page_token=query.page_token)
            items = [_installation(row) for row in rows]
            counts = self.instance_counts([item.id for item in items])
            return Page(tuple(replace(item, instance_count=counts.get(item.id, 0)) for item in items), total,
                        offset, token)

    def instance_counts(self, installation_ids: Sequence[str]) -> dict[str, int]:
        """READY instances per installation."""
        if not installation_ids:
            return {}
        with translate_errors():
            rows = (InstanceRow.select(InstanceRow.installation, peewee.fn.COUNT(InstanceRow.id).alias("n"))
                    .where(InstanceRow.installation.in_(list(installation_ids))
                           & (InstanceRow.state == InstanceState.READY.value))
                    .group_by(InstanceRow.installation).tuples())
            return {installation_id: count for installation_id, count in rows}

    def instances_of(self, installation_id: str, limit: int) -> tuple[int, tuple[InstanceRef, ...]]:
        """Instances of an installation, PENDING ones included: the total and the first ``limit`` by name."""
        with translate_errors():
            where = InstanceRow.installation == installation_id
            total = InstanceRow.select().where(where).count()
            rows = (InstanceRow.select(InstanceRow.id, InstanceRow.project, InstanceRow.name).where(where)
                    .order_by(InstanceRow.name, InstanceRow.id).limit(limit))
            return total, tuple(InstanceRef(project=r.project, id=r.id, name=r.name) for r in rows)

    def count_references(self, connector_id: str, limit: int) -> tuple[int, tuple[InstallationReference, ...]]:
        """Installations of a connector in every project, every state: the total and the oldest few."""
        with translate_errors():
            where = InstallationRow.connector_id == connector_id
            total = InstallationRow.select().where(where).count()
            rows = (InstallationRow.select(InstallationRow.id, InstallationRow.project, InstallationRow.state,
                                           InstallationRow.connector_version)
                    .where(where).order_by(InstallationRow.create_time, InstallationRow.id).limit(limit))
            return total, tuple(InstallationReference(project=r.project, id=r.id, state=InstallationState(r.state),
                                                      connector_version=r.connector_version) for r in rows)

    # ----------------------------------------------------------------------------------- removal

    def begin_removal(self, project: str, installation_id: str, expected_version: int | None,
                      now: datetime) -> Installation:
        """READY -> REMOVING (compare-and-swap): the uninstall protocol's intent, committed (its time in
        update_time, which the reconciler's bound counts from)."""
        with translate_errors():
            where = ((InstallationRow.id == installation_id) & (InstallationRow.project == project)
                     & (InstallationRow.state == _READY))
            if expected_version is not None:
                where &= InstallationRow.version == expected_version
            if InstallationRow.update(state=_REMOVING, update_time=now).where(where).execute() == 1:
                return _installation(InstallationRow.get_by_id(installation_id))
            row = InstallationRow.get_or_none((InstallationRow.id == installation_id)
                                              & (InstallationRow.project == project)
                                              & (InstallationRow.state.in_(_VISIBLE)))
            if row is None:
                raise installation_not_found(installation_id)
            if row.state == _REMOVING:
                raise FailedPrecondition.single(
                    "INSTALLATION_REMOVING", f"projects/{project}/installations/{installation_id}",
                    "a removal of this installation is under way")
            raise ConcurrentModification(expected_version or 0, row.version)

    def cancel_removal(self, installation_id: str) -> None:
        with translate_errors():
            InstallationRow.update(state=_READY).where((InstallationRow.id == installation_id)
                                                       & (InstallationRow.state == _REMOVING)).execute()

    def complete_removal(self, installation_id: str, record: Record | None = None) -> bool:
        """Delete the REMOVING installation; False (nothing deleted) when an instance still references it:
        a create that wrote its PENDING instance after the count (it sees REMOVING and gives up), or a move."""
        try:
            with translate_errors(), self._db.atomic():
                RevisionRow.delete().where(RevisionRow.installation == installation_id).execute()
                InstallationRequestRow.delete().where(
                    InstallationRequestRow.installation == installation_id).execute()
                deleted = InstallationRow.delete().where((InstallationRow.id == installation_id)
                                                         & (InstallationRow.state == _REMOVING)).execute()
                if deleted != 1:  # the reconciler reverted a removal that outlived its bound
                    raise Aborted("the removal took too long and was reverted; retry", reason="REMOVAL_EXPIRED")
                self.history.add(record)
        except peewee.IntegrityError:  # the instances' foreign key: one references it
            return False
        return True

    # ------------------------------------------------------------------------------------ update

    def update(self, current: Installation, changed: Installation, revision: Revision | None = None,
               record: Record | None = None) -> Installation:
        """Write ``changed`` if the row is still READY at ``current.version`` (and the revision, if any)."""
        new_version = current.version + 1
        with translate_errors(), self._db.atomic():
            try:
                with self._db.atomic():
                    count = InstallationRow.update(
                        connector_version=changed.connector_version, connector_name=changed.connector_name,
                        latest_version=changed.latest_version, revision=changed.revision,
                        customisation=None if changed.customisation is None or changed.customisation.is_empty
                        else changed.customisation.to_json(),
                        configuration=configuration_json(changed.configuration),
                        modified_by=None if changed.modified_by is None else changed.modified_by.to_json(),
                        modify_time=changed.modify_time, update_time=changed.update_time, version=new_version,
                    ).where((InstallationRow.id == current.id) & (InstallationRow.project == current.project)
                            & (InstallationRow.state == _READY)
                            & (InstallationRow.version == current.version)).execute()
            except peewee.IntegrityError as exc:
                raise already_installed(changed) from exc
            if count != 1:
                row = InstallationRow.get_or_none((InstallationRow.id == current.id)
                                                  & (InstallationRow.project == current.project)
                                                  & (InstallationRow.state.in_(_VISIBLE)))
                if row is None:
                    raise installation_not_found(current.id)
                raise ConcurrentModification(current.version, row.version)
            if revision is not None:
                # The instances' snapshot of their configuration keys follows the customisation (no version
                # bump: their own fields do not change).
                effective = customised_configuration(changed.configuration, changed.customisation)
                InstanceRow.update(configuration=configuration_json(effective)).where(
                    InstanceRow.installation == current.id).execute()
                RevisionRow.insert(
                    installation=current.id, number=revision.number, author=revision.author.to_json(),
                    based_on_version=revision.based_on_version, customisation=revision.customisation.to_json(),
                    changes=json.dumps([[c.path, c.published, c.value] for c in revision.changes]),
                    create_time=revision.create_time,
                ).execute()
            self.history.add(record)
        return replace(changed, version=new_version)

    def set_latest(self, installation_id: str, latest_version: int) -> None:
        """Record the latest published version seen (output-only status: no version bump)."""
        with translate_errors():
            InstallationRow.update(latest_version=latest_version).where(
                (InstallationRow.id == installation_id) & (InstallationRow.latest_version < latest_version)
            ).execute()

    def revisions(self, project: str, installation_id: str, page_size: int, page_token: str) -> Page:
        keys = [SortKey("number", RevisionRow.number, descending=True)]
        pager = Pager(self._tokens, keys, None, query_fingerprint({"project": project,
                                                                   "installation_id": installation_id}))
        self.get(project, installation_id)
        with translate_errors():
            query = RevisionRow.select().where(RevisionRow.installation == installation_id)
            rows, _, token = pager.fetch(query, limit=page_size, offset=0, page_token=page_token)
            return Page(tuple(_revision(row) for row in rows), None, 0, token)

    # -------------------------------------------------------------------------------- reconciler

    def stale(self, older_than: datetime) -> tuple[list[str], list[str]]:
        """Ids of PENDING and of REMOVING installations changed before ``older_than``."""
        with translate_errors():
            rows = (InstallationRow.select(InstallationRow.id, InstallationRow.state)
                    .where(InstallationRow.state.in_((_PENDING, _REMOVING))
                           & (InstallationRow.update_time < to_micros(older_than))).tuples())
            pending = [i for i, state in rows if state == _PENDING]
            removing = [i for i, state in rows if state == _REMOVING]
            return pending, removing

    def empty_automatic(self, older_than: datetime) -> list[tuple[str, str]]:
        """(project, id) of unmodified automatic installations without instances, older than the bound."""
        with translate_errors():
            used = InstanceRow.select(InstanceRow.id).where(InstanceRow.installation == InstallationRow.id)
            rows = (InstallationRow.select(InstallationRow.project, InstallationRow.id)
                    .where((InstallationRow.origin == InstallationOrigin.AUTOMATIC.value)
                           & (InstallationRow.state == _READY) & InstallationRow.customisation.is_null(True)
                           & (InstallationRow.update_time < to_micros(older_than)) & ~fn_exists(used)).tuples())
            return list(rows)


def fn_exists(query: peewee.Select) -> peewee.Expression:
    return peewee.fn.EXISTS(query)


def already_installed(installation: Installation) -> AlreadyExists:
    return AlreadyExists(
        "installation", "connector_version", str(installation.connector_version),
        message=f"project {installation.project} has version {installation.connector_version} of connector "
                f"{installation.connector_id} installed already; install it alongside to have a second one",
        reason="INSTALLATION_ALREADY_EXISTS",
        metadata={"connector_id": installation.connector_id},
    )


def _row(installation: Installation) -> dict[str, object]:
    return dict(
        id=installation.id, project=installation.project, connector_id=installation.connector_id,
        connector_key=installation.connector_key, connector_name=installation.connector_name,
        connector_version=installation.connector_version, latest_version=installation.latest_version,
        origin=installation.origin.value, slot=installation.slot, state=installation.state.value,
        version=installation.version, revision=installation.revision,
        customisation=None if installation.customisation is None or installation.customisation.is_empty
        else installation.customisation.to_json(),
        configuration=configuration_json(installation.configuration),
        created_by=None if installation.created_by is None else installation.created_by.to_json(),
        modified_by=None if installation.modified_by is None else installation.modified_by.to_json(),
        modify_time=installation.modify_time, create_time=installation.create_time,
        update_time=installation.update_time,
    )


def _installation(row: InstallationRow) -> Installation:
    return Installation(
        id=row.id, project=row.project, connector_id=row.connector_id, connector_key=row.connector_key,
        connector_name=row.connector_name, connector_version=row.connector_version,
        latest_version=row.latest_version, origin=InstallationOrigin(row.origin), slot=row.slot,
        state=InstallationState(row.state), version=row.version, revision=row.revision,
        customisation=Customisation.from_json(row.customisation),
        configuration=Configuration.from_json(json.loads(row.configuration)) if row.configuration else None,
        created_by=Actor.from_json(row.created_by), modified_by=Actor.from_json(row.modified_by),
        modify_time=row.modify_time, create_time=row.create_time, update_time=row.update_time,
    )


def _revision(row: RevisionRow) -> Revision:
    return Revision(
        installation_id=row.installation_id, number=row.number, author=Actor.from_json(row.author) or Actor(),
        create_time=row.create_time, based_on_version=row.based_on_version,
        customisation=Customisation.from_json(row.customisation) or Customisation(),
        changes=tuple(RevisionChange(*item) for item in json.loads(row.changes)),
    )


def _ids(items: Iterable[Installation]) -> list[str]:
    return [item.id for item in items]
