"""The database layer against a real PostgreSQL: embedded cluster, migrator, pool, named SQL."""
from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import signal
import time

import asyncpg
import pytest

import processes
from configurator_addon.db import (
    EmbeddedPostgres,
    create_pool,
    embedded,
    is_transient,
    load_queries,
    migrate,
    parse_queries,
)
from configurator_addon.db.migrator import DEFAULT_DIRECTORY
from configurator_addon.errors import (
    ConfiguratorError,
    DatabaseError,
    EmbeddedDatabaseError,
    MigrationError,
)

TABLES = {"clients", "users", "products", "product_versions", "configurations", "results",
          "jobs", "schema_migrations"}
DEMO_CLIENT_ID = "00000000-0000-4000-8000-000000000001"
MIGRATION_FILES = sorted(name for name in os.listdir(DEFAULT_DIRECTORY) if name.endswith(".sql"))
NEXT_VERSION = int(MIGRATION_FILES[-1][:4]) + 1  # for extra migrations a test adds

BROKEN_MIGRATION = """\
CREATE TABLE half_done (id integer PRIMARY KEY);
INSERT INTO half_done VALUES (1);
UPDATE clients SET name = 'changed by a broken migration';
SELECT 1 / 0;
"""


def copy_migrations(target) -> str:
    target.mkdir(exist_ok=True)
    for name in MIGRATION_FILES:
        shutil.copy(DEFAULT_DIRECTORY / name, target / name)
    return str(target)


async def fetch(dsn: str, query: str, *args):
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetch(query, *args)
    finally:
        await connection.close()


async def schema_snapshot(dsn: str) -> list:
    """Every column and index of the public schema, and the migration bookkeeping."""
    columns = await fetch(dsn, """
        SELECT table_name, column_name, data_type, is_nullable, column_default
        FROM information_schema.columns WHERE table_schema = 'public'
        ORDER BY table_name, column_name""")
    indexes = await fetch(dsn, "SELECT indexname, indexdef FROM pg_indexes "
                               "WHERE schemaname = 'public' ORDER BY indexname")
    migrations = await fetch(dsn, "SELECT * FROM schema_migrations ORDER BY version")
    return [list(map(tuple, rows)) for rows in (columns, indexes, migrations)]


# -- migrations ------------------------------------------------------------------------------


async def test_migrations_create_the_tables_and_the_demo_client(database):
    tables = {row["table_name"] for row in await fetch(
        database, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
    assert TABLES <= tables

    clients = await fetch(database, "SELECT id::text, name FROM clients")
    assert [tuple(row) for row in clients] == [(DEMO_CLIENT_ID, "Demo Manufacturer")]

    recorded = await fetch(database, "SELECT version, name, checksum FROM schema_migrations")
    first = recorded[0]
    assert (first["version"], first["name"]) == (1, "0001_initial.sql")
    assert first["checksum"] == hashlib.sha256(
        (DEFAULT_DIRECTORY / "0001_initial.sql").read_bytes()).hexdigest()
    assert len(recorded) == len(MIGRATION_FILES)


async def test_migrating_again_applies_and_changes_nothing(database):
    before = await schema_snapshot(database)
    assert await migrate(database) == []
    assert await schema_snapshot(database) == before


async def test_migrate_accepts_a_connection(empty_database):
    connection = await asyncpg.connect(empty_database)
    try:
        assert await migrate(connection) == MIGRATION_FILES
        assert not connection.is_closed()
        assert not await connection.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
    finally:
        await connection.close()


async def test_a_failing_migration_rolls_back_whole_and_names_the_file(empty_database, tmp_path):
    directory = copy_migrations(tmp_path / "migrations")
    broken = f"{NEXT_VERSION:04d}_broken.sql"
    (tmp_path / "migrations" / broken).write_text(BROKEN_MIGRATION)

    with pytest.raises(MigrationError) as failure:
        await migrate(empty_database, directory)

    message = str(failure.value)
    assert broken in message and "division by zero" in message
    assert not failure.value.recoverable
    assert await fetch(empty_database, "SELECT to_regclass('half_done')") == [(None,)]
    assert [row["name"] for row in await fetch(empty_database, "SELECT name FROM clients")] \
        == ["Demo Manufacturer"]
    versions = [row["version"] for row in
                await fetch(empty_database, "SELECT version FROM schema_migrations")]
    # The files before it had committed and stay applied.
    assert versions == list(range(1, NEXT_VERSION))

    (tmp_path / "migrations" / broken).write_text(BROKEN_MIGRATION.replace("SELECT 1 / 0;", ""))
    assert await migrate(empty_database, directory) == [broken]


async def test_a_syntax_error_is_reported_with_its_line(empty_database, tmp_path):
    directory = copy_migrations(tmp_path / "migrations")
    typo = f"{NEXT_VERSION:04d}_typo.sql"
    (tmp_path / "migrations" / typo).write_text(
        "CREATE TABLE fine (id integer);\n\nCREAT TABLE typo (id integer);\n")
    with pytest.raises(MigrationError) as failure:
        await migrate(empty_database, directory)
    assert f"{typo}:3" in str(failure.value)
    assert failure.value.errors[0].code == "42601"


async def test_concurrent_migrations_apply_each_file_once(empty_database, tmp_path):
    directory = copy_migrations(tmp_path / "migrations")
    # Slow enough that the three runs overlap; the insert counts how often it ran.
    counted = f"{NEXT_VERSION:04d}_counted.sql"
    (tmp_path / "migrations" / counted).write_text(
        "CREATE TABLE runs (at timestamptz NOT NULL DEFAULT now());\n"
        "SELECT pg_sleep(0.2);\n"
        "INSERT INTO runs DEFAULT VALUES;\n")

    results = await asyncio.gather(*(migrate(empty_database, directory) for _ in range(3)))

    applied = [name for names in results for name in names]
    assert sorted(applied) == sorted(MIGRATION_FILES + [counted])
    assert [len(names) for names in results].count(0) == 2
    assert await fetch(empty_database, "SELECT count(*) FROM runs") == [(1,)]
    assert await fetch(empty_database, "SELECT count(*) FROM schema_migrations") \
        == [(len(MIGRATION_FILES) + 1,)]


async def test_an_applied_migration_that_changed_is_refused(database, tmp_path):
    directory = copy_migrations(tmp_path / "migrations")
    with open(tmp_path / "migrations" / "0001_initial.sql", "a", encoding="utf-8") as handle:
        handle.write("\n-- an innocent-looking edit\n")
    with pytest.raises(MigrationError, match=r"0001_initial\.sql was changed"):
        await migrate(database, directory)


@pytest.mark.parametrize("file_name", ["1_initial.sql", "0009-dash.sql", "0009_Upper.sql",
                                       "0009_.sql", "00009_long.sql"])
async def test_a_malformed_file_name_is_refused_before_connecting(tmp_path, file_name):
    (tmp_path / file_name).write_text("SELECT 1;")
    (tmp_path / "README.md").write_text("not a migration; ignored")
    # Nothing listens on port 1: reaching the database would raise DatabaseError instead.
    with pytest.raises(MigrationError, match="malformed"):
        await migrate("postgresql://app@127.0.0.1:1/none", tmp_path)


async def test_an_unreachable_database_is_a_recoverable_database_error(tmp_path):
    with pytest.raises(DatabaseError) as failure:
        await migrate("postgresql://app@127.0.0.1:1/none", copy_migrations(tmp_path / "m"))
    assert failure.value.recoverable and not isinstance(failure.value, MigrationError)


# -- embedded cluster ------------------------------------------------------------------------


async def test_restarting_the_cluster_keeps_data_and_the_pool_recovers(postgres, database):
    pool = await create_pool(database, min_size=2, max_size=2)
    try:
        await pool.execute("INSERT INTO clients (name) VALUES ('Before restart')")
        began = time.monotonic()
        dsn = postgres.dsn
        # In a thread, as when an operator restarts the server: the loop keeps running and
        # sees the pool's connections drop.
        await asyncio.to_thread(postgres.restart)
        restart_seconds = time.monotonic() - began
        assert postgres.dsn == dsn and restart_seconds < 5

        names = []
        for _ in range(3):  # a pooled connection may only notice the restart when used
            try:
                names = await pool.fetch("SELECT name FROM clients ORDER BY name")
                break
            except Exception as exc:  # noqa: BLE001 - asserting on the kind below
                assert is_transient(exc), exc
        assert [row["name"] for row in names] == ["Before restart", "Demo Manufacturer"]
    finally:
        await pool.close()


@pytest.mark.slow
def test_a_cluster_survives_a_killed_run_and_a_recycled_pid(cluster_dir):
    data_dir = os.path.join(cluster_dir, "data")
    began = time.monotonic()
    first = EmbeddedPostgres(data_dir)
    dsn = first.start()
    first_start_seconds = time.monotonic() - began
    asyncio.run(_execute(dsn, "CREATE TABLE kept (value text); INSERT INTO kept VALUES ('x')"))

    # The whole run dies: the server too, leaving postmaster.pid behind.
    with open(os.path.join(data_dir, "postmaster.pid"), encoding="ascii") as handle:
        os.kill(int(handle.readline()), signal.SIGKILL)
    second = EmbeddedPostgres(data_dir)
    assert asyncio.run(_fetchval(second.start(), "SELECT value FROM kept")) == "x"
    assert second.start() == second.dsn  # already running: nothing to do
    second.stop()

    # After a reboot the old pid may belong to an unrelated process; postgres would take
    # it for a live server (in the pid file and in the socket lock file) and refuse.
    stranger = processes.start(["sleep", "60"], os.devnull)
    try:
        with open(os.path.join(data_dir, "postmaster.pid"), "w", encoding="ascii") as handle:
            handle.write(f"{stranger.pid}\n{data_dir}\n")
        socket_lock = os.path.join(second.socket_dir, f".s.PGSQL.{second.port}.lock")
        with open(socket_lock, "w", encoding="ascii") as handle:
            handle.write(f"{stranger.pid}\n{data_dir}\n")
        began = time.monotonic()
        with EmbeddedPostgres(data_dir, port=second.port) as third:
            restart_seconds = time.monotonic() - began
            assert asyncio.run(_fetchval(third.dsn, "SELECT value FROM kept")) == "x"
        assert stranger.poll() is None  # we did not signal it
    finally:
        processes.stop(stranger, sig=signal.SIGKILL)
    assert not os.path.exists(os.path.join(data_dir, "postmaster.pid"))
    print(f"first start (initdb) {first_start_seconds:.2f} s, start {restart_seconds:.2f} s")
    assert restart_seconds < 3


@pytest.mark.slow
def test_a_server_left_running_by_a_killed_run_is_replaced_by_ours(cluster_dir):
    data_dir = os.path.join(cluster_dir, "data")
    earlier = EmbeddedPostgres(data_dir, fast=True)
    earlier.start()
    later = EmbeddedPostgres(data_dir, fast=True)  # the next run; `earlier` is forgotten
    try:
        assert later.start() != earlier.dsn
        assert asyncio.run(_fetchval(later.dsn, "SELECT 1")) == 1
    finally:
        later.stop()


def test_missing_postgres_programs_give_a_clear_error(tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(embedded, "FALLBACK_BIN_GLOB", str(tmp_path / "no-postgresql/*/bin"))

    with pytest.raises(EmbeddedDatabaseError) as failure:
        EmbeddedPostgres(str(tmp_path / "data")).start()

    message = str(failure.value)
    assert "initdb" in message and "apt-get install postgresql" in message
    assert "DATABASE_URL" in message
    assert not failure.value.recoverable
    assert not (tmp_path / "data").exists()


def test_binaries_are_found_in_the_newest_versioned_directory(tmp_path):
    for version in ("9.6", "13", "15"):
        bin_dir = tmp_path / version / "bin"
        bin_dir.mkdir(parents=True)
        for program in ("initdb", "pg_ctl", "postgres"):
            (bin_dir / program).write_text("#!/bin/sh\n")
            (bin_dir / program).chmod(0o755)
    (tmp_path / "13" / "bin" / "initdb").unlink()
    assert embedded.find_bin_dir("", str(tmp_path / "*" / "bin")) == str(tmp_path / "15" / "bin")


async def _execute(dsn: str, sql: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _fetchval(dsn: str, sql: str):
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval(sql)
    finally:
        await connection.close()


# -- pool ------------------------------------------------------------------------------------


async def test_json_and_jsonb_round_trip_as_python_objects(database):
    document = {"width": 600, "finish": "oak", "doors": [{"hinge": "left"}], "ratio": 0.5,
                "label": "Küche", "nothing": None}
    pool = await create_pool(database)
    try:
        assert await pool.fetchval("SELECT $1::jsonb", document) == document
        assert await pool.fetchval("SELECT $1::json", [1, "two"]) == [1, "two"]
        product_id = await pool.fetchval(
            "INSERT INTO products (client_id, name, template_blob_path, template_version, "
            "config_schema) VALUES ($1, 'Cabinet', 'templates/a.blend', 'abc', $2) RETURNING id",
            DEMO_CLIENT_ID, document)
        stored = await pool.fetchrow(
            "SELECT config_schema, parameters, config_schema->>'finish' AS finish "
            "FROM products WHERE id = $1", product_id)
        assert stored["config_schema"] == document and stored["parameters"] == []
        assert stored["finish"] == "oak"
    finally:
        await pool.close()


async def test_an_unreachable_database_fails_the_pool_with_database_error():
    with pytest.raises(DatabaseError) as failure:
        await create_pool("postgresql://app@127.0.0.1:1/none")
    assert failure.value.recoverable


@pytest.mark.parametrize("exc, transient", [
    (ConnectionRefusedError(), True),
    (TimeoutError(), True),
    (asyncpg.CannotConnectNowError("starting up"), True),
    (asyncpg.AdminShutdownError("terminating"), True),
    (asyncpg.ConnectionDoesNotExistError("lost"), True),
    (asyncpg.InterfaceError("cannot call Connection.fetch(): connection is closed"), True),
    (asyncpg.InterfaceError("cannot perform operation: another operation is in progress"), False),
    (asyncpg.UniqueViolationError("duplicate"), False),
    (asyncpg.InvalidCatalogNameError("no such database"), False),
    (ValueError(), False),
])
def test_is_transient(exc, transient):
    assert is_transient(exc) is transient


# -- named queries ---------------------------------------------------------------------------


def test_named_queries_are_loaded_with_their_docs(tmp_path):
    path = tmp_path / "jobs.sql"
    path.write_text(
        "-- Queries of the job queue.\n"
        "\n"
        "-- name: claim_job\n"
        "-- Claim the oldest claimable job.\n"
        "-- Autocommit; never inside a transaction.\n"
        "UPDATE jobs SET status = 'PROCESSING'\n"
        "WHERE id = $1;\n"
        "\n"
        "-- name: count_jobs\n"
        "SELECT count(*) FROM jobs;\n")
    queries = load_queries(path)
    assert queries.claim_job == "UPDATE jobs SET status = 'PROCESSING'\nWHERE id = $1;"
    assert queries.count_jobs == "SELECT count(*) FROM jobs;"
    assert queries["count_jobs"] == queries.count_jobs
    assert list(queries) == ["claim_job", "count_jobs"] and "claim_job" in queries
    with pytest.raises(AttributeError, match="claim_job, count_jobs"):
        queries.no_such_query  # noqa: B018


@pytest.mark.parametrize("text, complaint", [
    ("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;\n", "defined twice"),
    ("-- name:\nSELECT 1;\n", "without a name"),
    ("SELECT 1;\n-- name: a\nSELECT 2;\n", "before the first"),
    ("-- name: a\n-- only a comment\n\n-- name: b\nSELECT 1;\n", "has no SQL"),
    ("-- name: two words\nSELECT 1;\n", "not usable"),
    ("-- nothing here\n", "no '-- name:' blocks"),
])
def test_malformed_query_files_are_refused_at_load_time(text, complaint):
    with pytest.raises(ConfiguratorError, match=complaint):
        parse_queries(text, source="bad.sql")
