"""Schema migrations of the catalog database, applied in order at start-up."""

from __future__ import annotations

import peewee

from plugboard.storage.migrations import Migration

from .models import TABLES


def _create_schema(db: peewee.Database) -> None:
    with db.bind_ctx(TABLES):
        db.create_tables(TABLES)


MIGRATIONS = [Migration(1, "create catalog tables", _create_schema)]
