"""Storage runtime: opening databases from URLs, schema migrations, error translation."""

from plugboard.storage.database import (
    ReconnectingPostgresqlDatabase,
    SQLITE_PRAGMAS,
    WalSqliteDatabase,
    is_postgres,
    open_database,
)
from plugboard.storage.errors import UNAVAILABLE_MESSAGE, translate_errors
from plugboard.storage.migrations import Migration, MigrationError, current_version, migrate

__all__ = [
    "Migration",
    "MigrationError",
    "ReconnectingPostgresqlDatabase",
    "SQLITE_PRAGMAS",
    "UNAVAILABLE_MESSAGE",
    "WalSqliteDatabase",
    "current_version",
    "is_postgres",
    "migrate",
    "open_database",
    "translate_errors",
]
