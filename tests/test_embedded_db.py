"""The embedded cluster asks every connection for a password, and the service connects as a
role of its own that is no superuser but owns the database; a cluster made by an older
version (no passwords, the service as the superuser) is secured on start and keeps its data."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
from urllib.parse import urlsplit

import asyncpg
import pytest

from configurator_addon.db import EmbeddedPostgres, embedded, migrate
from configurator_addon.services import resources
from configurator_addon.settings import Settings
from test_db import fetch

ROLE = embedded.SERVICE_ROLE
KEPT = "Kept across the upgrade"


@pytest.fixture(autouse=True)
def no_password_from_the_environment(monkeypatch, tmp_path):
    """Only the passwords a test passes count, not a developer's PGPASSWORD or ~/.pgpass."""
    for name in ("PGPASSWORD", "PGUSER", "PGHOST", "PGPORT", "PGDATABASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))


async def connect(cluster: EmbeddedPostgres, via: str, user: str, password: str | None,
                  database: str = embedded.DATABASE_NAME) -> asyncpg.Connection:
    host = cluster.socket_dir if via == "socket" else embedded.HOST
    return await asyncpg.connect(host=host, port=cluster.port, user=user, password=password,
                                 database=database)


async def assert_refused(cluster: EmbeddedPostgres, via: str, user: str, password: str | None):
    with pytest.raises(asyncpg.InvalidPasswordError):
        connection = await connect(cluster, via, user, password)
        await connection.close()


def secret_of(dsn: str) -> str:
    return urlsplit(dsn).password


def assert_private(path: str) -> None:
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, oct(os.stat(path).st_mode)


async def execute(dsn: str, sql: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def service_role_facts(dsn: str) -> dict:
    """Who the DSN connects as, and who owns the database and its objects."""
    connection = await asyncpg.connect(dsn)
    try:
        role = await connection.fetchrow(
            "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
            "WHERE rolname = current_user")
        return {
            "role": dict(role),
            "database_owner": await connection.fetchval(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"),
            "table_owners": {row["tablename"]: row["tableowner"] for row in await connection.fetch(
                "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'")},
            "function_owner": await connection.fetchval(
                "SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'notify_job_change'"),
        }
    finally:
        await connection.close()


def assert_owned_by_the_service_role(facts: dict) -> None:
    assert facts["role"] == {"rolname": ROLE, "rolsuper": False, "rolcreaterole": False,
                             "rolcreatedb": False}
    assert facts["database_owner"] == ROLE
    assert "jobs" in facts["table_owners"]
    assert set(facts["table_owners"].values()) == {ROLE}, facts["table_owners"]
    assert facts["function_owner"] == ROLE


# -- a new cluster ---------------------------------------------------------------------------


@pytest.mark.parametrize("via", ["socket", "tcp"])
@pytest.mark.parametrize("user", [ROLE, embedded.SUPERUSER])
async def test_connections_without_the_right_password_are_refused(postgres, via, user):
    await assert_refused(postgres, via, user, None)
    await assert_refused(postgres, via, user, "not-the-password")
    # The right one gets in, by the same way.
    dsn = postgres.dsn if user == ROLE else postgres.admin_dsn_for(embedded.DATABASE_NAME)
    connection = await connect(postgres, via, user, secret_of(dsn))
    await connection.close()


def test_the_service_connects_as_its_own_role_which_owns_the_tables(cluster_dir, caplog):
    """The production path: `database(settings)` with no DATABASE_URL."""
    settings = Settings(var_dir=cluster_dir)
    with caplog.at_level(logging.DEBUG), resources.database(settings) as configured:
        url = urlsplit(configured.database_url)
        facts = asyncio.run(service_role_facts(configured.database_url))
        secrets_path = os.path.join(cluster_dir, "postgres.secrets")
        assert_private(secrets_path)
        with open(secrets_path, encoding="utf-8") as handle:
            stored = json.load(handle)
        with open(os.path.join(cluster_dir, "postgres.log"), encoding="utf-8") as handle:
            server_log = handle.read()
    assert url.username == ROLE and url.password in stored.values()
    assert_owned_by_the_service_role(facts)
    for password in stored.values():
        assert len(password) >= 40
        assert password not in caplog.text and password not in server_log


async def test_test_databases_belong_to_the_service_role_too(database):
    assert_owned_by_the_service_role(await service_role_facts(database))


def test_a_configured_database_url_is_used_as_is(database, tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    with resources.database(Settings(database_url=database, var_dir=str(var_dir))) as configured:
        assert configured.database_url == database
    assert os.listdir(var_dir) == []  # no cluster, no secrets


# -- a cluster an older version made ---------------------------------------------------------


def make_old_style_cluster(data_dir: str) -> None:
    """What an older version left in `var/`: a cluster trusting every local connection,
    whose superuser ran the migrations and so owns the database and its tables, with data
    and a developer's own view and sequence."""
    old = EmbeddedPostgres(data_dir, fast=True)
    old.bin_dir = embedded.find_bin_dir()
    old._service_account = embedded._service_account()
    old._prepare_directories()
    old._run(old._program("initdb"), "-D", old.data_dir, "-A", "trust", "-U", embedded.SUPERUSER,
             "-E", "UTF8", "--no-locale", "--no-sync", what="initdb")
    old._start_server()
    base = f"postgresql://{embedded.SUPERUSER}@{embedded.HOST}:{old.port}"

    async def fill() -> None:
        admin = await asyncpg.connect(f"{base}/postgres")
        try:
            await admin.execute(f"CREATE DATABASE {embedded.DATABASE_NAME}")
        finally:
            await admin.close()
        app = await asyncpg.connect(f"{base}/{embedded.DATABASE_NAME}")
        try:
            await migrate(app)
            await app.execute(f"INSERT INTO clients (name) VALUES ('{KEPT}');"
                              "CREATE VIEW client_names AS SELECT name FROM clients;"
                              "CREATE SEQUENCE loose_numbers;")
        finally:
            await app.close()

    try:
        asyncio.run(fill())
    finally:
        old._pg_ctl("stop", "-m", "fast", "-w")


def test_an_old_cluster_without_passwords_is_secured_and_keeps_its_data(cluster_dir):
    data_dir = os.path.join(cluster_dir, "data")
    make_old_style_cluster(data_dir)
    cluster = EmbeddedPostgres(data_dir, fast=True)
    assert not os.path.exists(cluster.secrets_path)

    async def check(dsn: str) -> None:
        for via in ("socket", "tcp"):
            for user in (ROLE, embedded.SUPERUSER):
                await assert_refused(cluster, via, user, None)
                await assert_refused(cluster, via, user, "not-the-password")
        assert_owned_by_the_service_role(await service_role_facts(dsn))
        owners = await fetch(dsn, "SELECT relname, pg_get_userbyid(relowner) FROM pg_class "
                                  "WHERE relname IN ('client_names', 'loose_numbers', 'jobs_id_seq',"
                                  " 'results') OR relname LIKE 'jobs\\_%'")
        assert owners and {owner for _, owner in owners} == {ROLE}, owners
        assert KEPT in {row["name"] for row in await fetch(dsn, "SELECT name FROM clients")}
        # The service works on as before: nothing to migrate, and it may change its schema.
        assert await migrate(dsn) == []
        await execute(dsn, "CREATE TABLE added_later (id integer); "
                           "ALTER TABLE clients ADD COLUMN note text")

    try:
        dsn = cluster.start()
        assert_private(cluster.secrets_path)
        asyncio.run(check(dsn))
        cluster.stop()

        # Started again: nothing more to do, the same passwords.
        assert cluster.start() == dsn
        asyncio.run(fetch(dsn, "SELECT 1"))
        cluster.stop()

        # A lost secrets file: new passwords replace the old ones.
        os.remove(cluster.secrets_path)
        again = EmbeddedPostgres(data_dir, fast=True, port=cluster.port)
        new_dsn = again.start()
        assert_private(again.secrets_path)
        assert secret_of(new_dsn) != secret_of(dsn)
        assert asyncio.run(fetch(new_dsn, "SELECT count(*) FROM added_later")) == [(0,)]
        asyncio.run(assert_refused(again, "tcp", ROLE, secret_of(dsn)))
    finally:
        cluster.stop()


def test_the_cluster_stops_though_its_folder_was_closed_to_others_while_it_ran(cluster_dir):
    cluster = EmbeddedPostgres(f"{cluster_dir}/data", fast=True)
    cluster.start()
    os.chmod(cluster_dir, 0o700)  # as a second pytest session does to its temporary root
    cluster.stop()
    assert not os.path.exists(f"{cluster_dir}/data/postmaster.pid")
