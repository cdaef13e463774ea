"""The catalog's storage: peewee models bound at start-up, migrations, the store, the job queue and the
read caches.

``open_store`` is the one place the models' ``database_proxy`` is bound: the server calls it at start-up.
"""

from __future__ import annotations

import logging

from plugboard.storage.database import open_database
from plugboard.storage.migrations import migrate
from plugboard.storage.paging import PageTokens

from .migrations import MIGRATIONS
from .models import database_proxy
from .repository import CatalogStore

COMPONENT = "catalog"

_log = logging.getLogger("plugboard.catalog")


def open_store(database_url: str, *, tokens: PageTokens | None = None) -> CatalogStore:
    """Open the catalog database, bind the models to it and apply pending migrations; the store over it.

    ``tokens`` signs page tokens (``PageTokens.from_settings`` in a server; without it, a key of this
    process only). Close it with ``store.db.close()``.
    """
    db = open_database(database_url)
    database_proxy.initialize(db)
    applied = migrate(db, COMPONENT, MIGRATIONS)
    if applied:
        _log.info("catalog database migrated to version %d", applied[-1])
    return CatalogStore(db, tokens=tokens)


__all__ = ["COMPONENT", "MIGRATIONS", "CatalogStore", "open_store"]
