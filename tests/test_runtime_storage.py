"""Storage runtime on every backend (``empty_database_url``: SQLite and PostgreSQL): opening databases,
migrations and error translation."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator

import peewee
import pytest

from plugboard.errors import InvalidArgument, Unavailable
from plugboard.storage import (
    Migration,
    MigrationError,
    current_version,
    is_postgres,
    migrate,
    open_database,
    translate_errors,
)
from plugboard.storage.migrations import TABLE

from tests.aio import run


def _close(db: peewee.Database) -> None:
    db.close()
    close_all = getattr(db, "close_all", None)
    if close_all is not None:
        close_all()


@pytest.fixture
def db(empty_database_url: str) -> Iterator[peewee.Database]:
    database = open_database(empty_database_url)
    try:
        yield database
    finally:
        _close(database)


def _tables(db: peewee.Database) -> set[str]:
    return set(db.get_tables())


def _rows(db: peewee.Database, component: str) -> list[tuple[int, str]]:
    cursor = db.execute_sql(
        f"SELECT version, name FROM {TABLE} WHERE component = {db.param} ORDER BY version", (component,))
    return [(int(v), n) for v, n in cursor.fetchall()]


def _pk(db: peewee.Database) -> str:
    return "SERIAL PRIMARY KEY" if is_postgres(db) else "INTEGER PRIMARY KEY"


def _create(name: str, sql: str, calls: list[str] | None = None):  # type: ignore[no-untyped-def]
    def apply(db: peewee.Database) -> None:
        if calls is not None:
            calls.append(name)
        db.execute_sql(sql.replace("{pk}", _pk(db)))

    return apply


def _migrations(calls: list[str] | None = None) -> list[Migration]:
    return [
        Migration(1, "connectors", _create(
            "v1", "CREATE TABLE connector (id {pk}, key VARCHAR(64) NOT NULL UNIQUE)", calls)),
        Migration(2, "versions", _create(
            "v2", "CREATE TABLE connector_version (id {pk}, "
                  "connector_id INTEGER NOT NULL REFERENCES connector (id), "
                  "number INTEGER NOT NULL)", calls)),
    ]


# --- open_database -------------------------------------------------------------------------------

def test_open_database_connects(empty_database_url: str, db: peewee.Database) -> None:
    assert db.execute_sql("SELECT 1").fetchone()[0] == 1
    assert is_postgres(db) == empty_database_url.startswith("postgresql")


def test_sqlite_pragmas_and_parent_directory(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "nested" / "dir" / "service.db"
    db = open_database(f"sqlite:///{path}")
    try:
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert db.execute_sql("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert path.exists()
    finally:
        db.close()


def test_sqlite_switches_to_wal_while_another_process_writes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``PRAGMA journal_mode = wal`` does not wait for a busy database (plain peewee fails at once
    with "database is locked"); open_database waits up to the busy timeout instead."""
    path = tmp_path / "busy.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE t (id INTEGER)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t (id) VALUES (1)")
    threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
    db = open_database(f"sqlite:///{path}")
    try:
        assert db.execute_sql("SELECT count(*) FROM t").fetchone()[0] == 1
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        db.close()
        other.close()


def test_sqlite_in_memory() -> None:
    db = open_database("sqlite:///:memory:")
    try:
        assert db.execute_sql("SELECT 1").fetchone()[0] == 1
    finally:
        db.close()


def test_sqlite_relative_path(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    db = open_database("sqlite:///data/catalog.db")
    try:
        db.execute_sql("CREATE TABLE t (id INTEGER)")
    finally:
        db.close()
    assert (tmp_path / "data" / "catalog.db").exists()


@pytest.mark.parametrize("url", [
    "mysql://root@localhost/db",
    "catalog.db",
    "",
    "sqlite://relative.db",
    "sqlite:///",
    "sqlite:///dir/",
    "postgresql://user:hunter2@localhost:notaport/db",
    "postgresql://user:hunter2@localhost:5432/",
    "postgresql://user:hunter2@localhost/db?max_connections=many",
])
def test_unsupported_or_malformed_url_is_a_clear_value_error(url: str) -> None:
    with pytest.raises(ValueError) as info:
        open_database(url)
    assert "hunter2" not in str(info.value)


def test_postgres_url_parts_reach_the_driver() -> None:
    db = open_database("postgresql://app:p%40ss@db.internal:6543/catalog?sslmode=require&max_connections=5")
    assert is_postgres(db)
    assert db.database == "catalog"
    assert db.connect_params["host"] == "db.internal"
    assert db.connect_params["port"] == 6543
    assert db.connect_params["user"] == "app"
    assert db.connect_params["password"] == "p@ss"
    assert db.connect_params["sslmode"] == "require"
    assert "max_connections" not in db.connect_params
    assert db._max_connections == 5


@pytest.mark.postgres
@pytest.mark.parametrize("empty_database_url", ["postgres"], indirect=True)
def test_postgres_dropped_connection_is_reconnected(empty_database_url: str) -> None:
    import psycopg2

    db = open_database(empty_database_url)
    try:
        pid = db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
        admin = psycopg2.connect(empty_database_url)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
        admin.close()
        time.sleep(0.1)
        assert db.execute_sql("SELECT 1").fetchone()[0] == 1
        assert db.execute_sql("SELECT pg_backend_pid()").fetchone()[0] != pid
    finally:
        _close(db)


# --- migrations ----------------------------------------------------------------------------------

def test_migrations_apply_in_order_and_record_versions(db: peewee.Database) -> None:
    calls: list[str] = []
    assert current_version(db, "catalog") == 0
    migrations = _migrations(calls)
    assert migrate(db, "catalog", list(reversed(migrations))) == [1, 2]
    assert calls == ["v1", "v2"]
    assert {"connector", "connector_version", TABLE} <= _tables(db)
    assert _rows(db, "catalog") == [(1, "connectors"), (2, "versions")]
    assert current_version(db, "catalog") == 2
    assert current_version(db, "instance") == 0


def test_rerunning_migrations_applies_nothing(db: peewee.Database) -> None:
    calls: list[str] = []
    migrate(db, "catalog", _migrations(calls))
    assert migrate(db, "catalog", _migrations(calls)) == []
    assert calls == ["v1", "v2"]
    index = "CREATE INDEX connector_version_number ON connector_version (number)"
    extra = Migration(3, "index", _create("v3", index, calls))
    assert migrate(db, "catalog", [*_migrations(calls), extra]) == [3]
    assert calls == ["v1", "v2", "v3"]


def test_components_are_versioned_independently(db: peewee.Database) -> None:
    migrate(db, "catalog", _migrations())
    instance = [Migration(1, "instances", _create("i1", "CREATE TABLE instance (id INTEGER PRIMARY KEY)"))]
    assert migrate(db, "instance", instance) == [1]
    assert (current_version(db, "catalog"), current_version(db, "instance")) == (2, 1)


def test_failing_migration_rolls_back_entirely(db: peewee.Database) -> None:
    def half_done(database: peewee.Database) -> None:
        database.execute_sql("CREATE TABLE half (id INTEGER PRIMARY KEY)")
        database.execute_sql("INSERT INTO half (id) VALUES (1)")
        raise RuntimeError("migration bug")

    migrations = [*_migrations(), Migration(3, "half", half_done)]
    with pytest.raises(RuntimeError, match="migration bug"):
        migrate(db, "catalog", migrations)
    assert "half" not in _tables(db)
    assert _rows(db, "catalog") == [(1, "connectors"), (2, "versions")]
    assert current_version(db, "catalog") == 2
    assert not db.in_transaction()


def test_failing_sql_in_migration_rolls_back(db: peewee.Database) -> None:
    migrations = [Migration(1, "broken", _create(
        "b", "CREATE TABLE first (id INTEGER); CREATE TABLE broken (id INTEGR PRIMARY KEY"))]
    with pytest.raises(peewee.DatabaseError):
        migrate(db, "catalog", migrations)
    assert not ({"first", "broken"} & _tables(db))
    assert current_version(db, "catalog") == 0


def test_newer_database_version_refuses_to_start(db: peewee.Database) -> None:
    migrate(db, "catalog", _migrations())
    calls: list[str] = []
    with pytest.raises(MigrationError, match="newer than this code knows"):
        migrate(db, "catalog", _migrations(calls)[:1])
    assert calls == []
    assert current_version(db, "catalog") == 2


def test_invalid_migration_lists_are_rejected(db: peewee.Database) -> None:
    noop = _create("n", "SELECT 1")
    with pytest.raises(ValueError):
        migrate(db, "catalog", [Migration(1, "a", noop), Migration(1, "b", noop)])
    with pytest.raises(ValueError):
        migrate(db, "catalog", [Migration(0, "zero", noop)])


def test_concurrent_migrators_apply_each_version_once(empty_database_url: str) -> None:
    """Two 'processes' (two database objects, two threads) migrating the same database at once."""
    calls: list[str] = []
    lock = threading.Lock()

    def slow(name: str, sql: str):  # type: ignore[no-untyped-def]
        def apply(database: peewee.Database) -> None:
            with lock:
                calls.append(name)
            time.sleep(0.3)
            database.execute_sql(sql)

        return apply

    migrations = [
        Migration(1, "a", slow("v1", "CREATE TABLE a (id INTEGER PRIMARY KEY)")),
        Migration(2, "b", slow("v2", "CREATE TABLE b (id INTEGER PRIMARY KEY)")),
    ]
    results: list[list[int]] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        database = open_database(empty_database_url)
        try:
            barrier.wait()
            applied = migrate(database, "catalog", migrations)
            with lock:
                results.append(applied)
        except BaseException as exc:  # surfaced below
            failures.append(exc)
        finally:
            _close(database)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures, failures
    assert sorted(v for applied in results for v in applied) == [1, 2]
    assert sorted(calls) == ["v1", "v2"]
    check = open_database(empty_database_url)
    try:
        assert _rows(check, "catalog") == [(1, "a"), (2, "b")]
    finally:
        _close(check)


# --- translate_errors ----------------------------------------------------------------------------

def _insert(db: peewee.Database, key: str) -> None:
    db.execute_sql(f"INSERT INTO connector (key) VALUES ({db.param})", (key,))


def test_constraint_violations_pass_through_for_the_store_to_decide(db: peewee.Database) -> None:
    """Which constraint means what is the store's knowledge: translate_errors leaves integrity errors alone."""
    migrate(db, "catalog", _migrations())
    _insert(db, "k1")
    with pytest.raises(peewee.IntegrityError):
        with translate_errors(), db.atomic():
            _insert(db, "k2")
            _insert(db, "k1")
    # The whole transaction rolled back: k2 was not kept.
    keys = [k for (k,) in db.execute_sql("SELECT key FROM connector ORDER BY key").fetchall()]
    assert keys == ["k1"]
    sql = f"INSERT INTO connector_version (connector_id, number) VALUES ({db.param}, 1)"
    with pytest.raises(peewee.IntegrityError):
        with translate_errors(), db.atomic():
            db.execute_sql(sql, (999,))


def test_async_functions_can_be_decorated() -> None:
    @translate_errors()
    async def read() -> None:
        raise peewee.OperationalError("database is locked")

    with pytest.raises(Unavailable) as info:
        run(read())
    assert "locked" not in info.value.message


def test_sql_bugs_are_not_translated(db: peewee.Database) -> None:
    with pytest.raises(peewee.DatabaseError) as info:
        with translate_errors():
            db.execute_sql("SELECT * FROM no_such_table")
    assert not isinstance(info.value, Unavailable)


def test_unreachable_postgres_becomes_unavailable() -> None:
    db = open_database("postgresql://app:hunter2@127.0.0.1:1/db?connect_timeout=2")
    try:
        with pytest.raises(Unavailable) as info:
            with translate_errors():
                db.execute_sql("SELECT 1")
    finally:
        _close(db)
    err = info.value
    assert err.reason == "DATABASE_UNAVAILABLE"
    assert isinstance(err.__cause__, peewee.OperationalError)
    assert "hunter2" not in err.message and "127.0.0.1" not in err.message


def test_sqlite_locked_past_timeout_becomes_unavailable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    holder, waiter = open_database(url), open_database(url)
    try:
        holder.execute_sql("CREATE TABLE t (id INTEGER)")
        waiter.execute_sql("PRAGMA busy_timeout = 100")
        with holder.atomic("IMMEDIATE"):
            holder.execute_sql("INSERT INTO t (id) VALUES (1)")
            with pytest.raises(Unavailable) as info:
                with translate_errors(), waiter.atomic():
                    waiter.execute_sql("INSERT INTO t (id) VALUES (2)")
        assert isinstance(info.value.__cause__, peewee.OperationalError)
    finally:
        holder.close()
        waiter.close()


def test_database_file_in_unwritable_place_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OSError):
        open_database(f"sqlite:///{blocker}/sub/x.db")
    assert os.path.isfile(blocker)


# --- page-token keys -----------------------------------------------------------------------------

def test_page_token_key_comes_from_the_setting_else_a_private_file(tmp_path) -> None:
    from plugboard.settings import Settings
    from plugboard.storage.paging import PageTokens

    columns = [peewee.CharField(max_length=8)]
    env = {"PLUGBOARD_DATA_DIR": str(tmp_path / "a"), "PLUGBOARD_PAGE_TOKEN_KEY": "one key for every process"}
    token = PageTokens.from_settings(Settings.from_env(env)).issue(["x"], "q", 5)
    other_host = Settings.from_env({**env, "PLUGBOARD_DATA_DIR": str(tmp_path / "b")})
    assert PageTokens.from_settings(other_host).open(token, "q", columns).offset == 5  # the setting decides
    assert not (tmp_path / "b" / "page-token.key").exists()

    first = PageTokens.from_settings(Settings(data_dir=tmp_path / "c"))
    key_file = tmp_path / "c" / "page-token.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    token = first.issue(["x"], "q", 5)
    assert PageTokens.from_settings(Settings(data_dir=tmp_path / "c")).open(token, "q", columns).values == ("x",)
    with pytest.raises(InvalidArgument):  # another data directory, another key
        PageTokens.from_settings(Settings(data_dir=tmp_path / "d")).open(token, "q", columns)


def test_a_token_holds_null_only_for_a_nullable_column() -> None:
    from plugboard.storage.paging import PageTokens

    tokens = PageTokens.ephemeral()
    token = tokens.issue([None, "d1"], "q", 1)
    nullable = [peewee.DateTimeField(null=True), peewee.CharField(max_length=36)]
    assert tokens.open(token, "q", nullable).values == (None, "d1")
    with pytest.raises(InvalidArgument):
        tokens.open(token, "q", [peewee.DateTimeField(), peewee.CharField(max_length=36)])


def _mode(path) -> int:  # type: ignore[no-untyped-def]
    return os.stat(path).st_mode & 0o777


def test_sqlite_files_are_private_whatever_the_umask(tmp_path) -> None:
    """A new SQLite database, its -wal and -shm files are 0600 and a directory created for it 0700,
    with the usual umask 022; an existing world-readable database is tightened when opened."""
    previous = os.umask(0o022)
    try:
        path = tmp_path / "new" / "nested" / "service.db"
        db = open_database(f"sqlite:///{path}")
        db.execute_sql("CREATE TABLE t (x INTEGER)")
        db.execute_sql("INSERT INTO t VALUES (1)")
        files = [path, path.with_name("service.db-wal"), path.with_name("service.db-shm")]
        assert all(f.exists() for f in files), sorted(p.name for p in path.parent.iterdir())
        assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert _mode(path.parent) == 0o700 and _mode(path.parent.parent) == 0o700
        _close(db)

        old = tmp_path / "old.db"
        sqlite3.connect(old).execute("CREATE TABLE t (x INTEGER)").connection.close()
        os.chmod(old, 0o644)
        reopened = open_database(f"sqlite:///{old}")
        reopened.execute_sql("INSERT INTO t VALUES (1)")
        assert _mode(old) == 0o600 and _mode(tmp_path / "old.db-wal") == 0o600
        _close(reopened)
    finally:
        os.umask(previous)
