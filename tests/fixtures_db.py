"""Fixtures for a real PostgreSQL: one embedded cluster per test session (durability off),
a fresh database per test.

- `postgres`: the session's `EmbeddedPostgres`, started in a temporary folder.
- `cluster_dir`: an empty folder for a test's own cluster.
- `empty_database`: DSN of a new, empty database (from template0), dropped afterwards.
- `database`: the same, with all of `db/migrations/` applied: a copy of a database the
  session migrated once (`migrated_template`), as migrating each test's database costs more.

As in production, the DSNs are the service role's (not a superuser), which owns each test's
database and, having run the migrations, its tables; only creating and dropping the
databases takes the superuser.
"""
from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid

import asyncpg
import pytest

from configurator_addon.db import EmbeddedPostgres, migrate
from configurator_addon.db.embedded import SERVICE_ROLE
from configurator_addon.db.pool import create_pool


def _make_cluster_dir() -> str:
    # Not under pytest's basetemp: as root the cluster runs as `postgres`, which must pass
    # through every parent, and pytest resets /tmp/pytest-of-<user> to 0700 whenever a
    # pytest session starts (concurrent sessions would lock our server out mid-run).
    return tempfile.mkdtemp(prefix="configurator-test-pg-")


@pytest.fixture(scope="session")
def postgres():
    folder = _make_cluster_dir()
    cluster = EmbeddedPostgres(f"{folder}/data", fast=True)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def cluster_dir():
    """A folder for a test's own cluster; put it in `<cluster_dir>/data`."""
    folder = _make_cluster_dir()
    yield folder
    EmbeddedPostgres(f"{folder}/data").stop()  # if the test left it running
    shutil.rmtree(folder, ignore_errors=True)


async def _create_database(postgres, template: str) -> str:
    name = f"test_{uuid.uuid4().hex}"
    admin = await asyncpg.connect(postgres.admin_dsn_for("postgres"))
    try:
        # FILE_COPY (PostgreSQL 15+) copies the template's files: for these small databases
        # several times faster than the default strategy, which writes every page to the WAL.
        # The copied objects keep their owner: the service role, which migrated the template.
        strategy = " STRATEGY FILE_COPY" if admin.get_server_version() >= (15,) else ""
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"{strategy} '
                            f'OWNER "{SERVICE_ROLE}"')
    finally:
        await admin.close()
    return name


async def _drop_database(postgres, name: str) -> None:
    # A test may restart the cluster or leave connections open; connect afresh and FORCE the drop.
    admin = await asyncpg.connect(postgres.admin_dsn_for("postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def migrated_template(postgres) -> str:
    """The name of a database with all of `db/migrations/` applied, never used by a test
    itself: `database` copies it."""
    async def create() -> str:
        name = await _create_database(postgres, "template0")
        await migrate(postgres.dsn_for(name))
        return name

    loop = asyncio.new_event_loop()  # its own loop: a session fixture outlives every test's loop
    try:
        return loop.run_until_complete(create())
    finally:
        loop.close()


@pytest.fixture
async def empty_database(postgres):
    name = await _create_database(postgres, "template0")
    try:
        yield postgres.dsn_for(name)
    finally:
        await _drop_database(postgres, name)


@pytest.fixture
async def database(postgres, migrated_template):
    name = await _create_database(postgres, migrated_template)
    try:
        yield postgres.dsn_for(name)
    finally:
        await _drop_database(postgres, name)


@pytest.fixture
async def pool(database):
    """A pool on `database` for tests of the queue and the SQL (room for the tests that hold
    many connections at once)."""
    pool = await create_pool(database, min_size=1, max_size=24)
    yield pool
    await pool.close()
