"""The instance service's three descriptions of one schema agree, on SQLite and PostgreSQL: the frozen
migrations, the peewee models and the prebuilt statements of ``statements.py`` (columns, types,
nullability, primary keys, indexes, foreign keys)."""

from __future__ import annotations

import itertools

from instance_service.storage.migrations import COMPONENT, MIGRATIONS
from instance_service.storage.models import MODELS, ChangeRow
from plugboard.history.storage import HistoryTable
from instance_service.storage.statements import LIST_FILTERS, Statements
from plugboard.storage.database import is_postgres
from plugboard.storage.migrations import migrate
from tests.schema import close, describe, differences, explain_all, fresh_database, models_schema


class _ParamOnly:
    """What ``HistoryTable`` needs of a database to build its statements: the parameter marker."""

    def __init__(self, param: str) -> None:
        self.param = param


def _prebuilt(sql: Statements) -> list[str]:
    """Every statement ``Statements`` prepares: the fixed ones and each shape of the generated ones."""
    statements = [value for value in vars(sql).values() if isinstance(value, str) and " " in value]
    if not sql.postgres:  # a data-modifying WITH is PostgreSQL's; SQLite runs the two statements apart
        statements.remove(sql.insert_instance_and_request)
    statements += [sql.insert_variables(2), sql.variables_of(2), sql.tests(2)]
    if sql.postgres:
        statements.append(sql.mark_ready_with_variables(2))
        record_insert = HistoryTable(_ParamOnly(sql.param), ChangeRow).insert_where()
        statements += [sql.mark_ready_recorded(0, record_insert), sql.mark_ready_recorded(2, record_insert)]
    for count in range(len(LIST_FILTERS) + 1):
        for filters in itertools.combinations(LIST_FILTERS, count):
            for descending, keyset in itertools.product((False, True), repeat=2):
                statements += sql.list_page(filters, descending, keyset)
    return statements


def test_the_migrations_make_the_schema_the_models_and_statements_expect(empty_database_url):
    db = fresh_database(empty_database_url, "migrated")
    try:
        migrate(db, COMPONENT, MIGRATIONS)
        explain_all(db, _prebuilt(Statements(db.param, postgres=is_postgres(db))))
        migrated = describe(db)
    finally:
        close(db)
    db = fresh_database(empty_database_url, "modelled")
    try:
        modelled = models_schema(db, MODELS)
    finally:
        close(db)
    assert set(migrated) == {model._meta.table_name for model in MODELS}
    assert differences(migrated, modelled) == []
