"""The writes of installation updates and instance moves (``instance_service.domain.updating.MoveStore``):
the installation rows and every moved instance in one transaction, each compare-and-swapped on its
version, so that a move is all or nothing."""

from __future__ import annotations

from collections.abc import Sequence

import peewee

from plugboard.errors import FailedPrecondition, NotFound
from plugboard.history import Record
from plugboard.storage.errors import translate_errors

from ..domain.installation_model import Installation
from ..domain.model import Instance, InstanceState
from .installations import InstallationRepository
from .repository import InstanceRepository
from .statements import INSTANCE_COLUMNS, _columns


class MoveRepository:
    """Both repositories on one database, for the domain's moves."""

    def __init__(self, instances: InstanceRepository, installations: InstallationRepository) -> None:
        self._instances = instances
        self._installations = installations
        db = instances.db
        p = db.param
        self._in_installation = (
            f"SELECT {_columns(INSTANCE_COLUMNS)} FROM instances "
            f'WHERE "installation_id" = {p} AND "project" = {p} AND "state" = {p} ORDER BY "name", "id"'
        )

    def instances_in(self, project: str, installation_id: str) -> list[Instance]:
        """The READY instances of an installation, by name."""
        db = self._instances.db
        with translate_errors():
            rows = db.execute_sql(self._in_installation,
                                  (installation_id, project, InstanceState.READY.value)).fetchall()
            return self._instances._with_variables(rows)

    def instances_by_id(self, project: str, instance_ids: Sequence[str]) -> list[Instance]:
        out = []
        for instance_id in instance_ids:
            try:
                out.append(self._instances.get(project, instance_id))
            except NotFound:
                continue
        return out

    def apply_move(self, current: Installation | None, changed: Installation | None,
                   moves: Sequence[tuple[Instance, Instance]], created: Installation | None = None,
                   records: Sequence[Record] = ()) -> None:
        """The writes and their change ``records``, all in one transaction."""
        try:
            with translate_errors(), self._instances.db.atomic():
                if current is not None and changed is not None:
                    self._installations.update(current, changed)
                if created is not None:
                    self._installations.insert(created)
                for before, after in moves:
                    self._instances.update(before, after, True)
                self._instances.history.add(*records)
        except peewee.IntegrityError:  # the instances' foreign key: the target installation went meanwhile
            raise FailedPrecondition.single("INSTALLATION_REMOVING", "installations",
                                            "the installation was removed meanwhile; nothing was moved") from None

    def set_blocked(self, instance_id: str, latest_version: int, blocked: tuple[str, ...]) -> None:
        self._instances.set_upgrade_status(instance_id, latest_version, blocked)
