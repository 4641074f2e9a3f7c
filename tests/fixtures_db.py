"""Fixtures for a real PostgreSQL: one embedded cluster per test session (durability off),
a fresh database per test.

- `postgres`: the session's `EmbeddedPostgres`, started in a temporary folder.
- `cluster_dir`: an empty folder for a test's own cluster.
- `empty_database`: DSN of a new, empty database (from template0), dropped afterwards.
- `database`: the same, with all of `migrations_sql/` applied.
"""
from __future__ import annotations

import shutil
import tempfile
import uuid

import asyncpg
import pytest

from configurator_addon.db import EmbeddedPostgres, migrate


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


@pytest.fixture
async def empty_database(postgres):
    name = f"test_{uuid.uuid4().hex}"
    admin = await asyncpg.connect(postgres.dsn_for("postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        await admin.close()
    try:
        yield postgres.dsn_for(name)
    finally:
        # A test may restart the cluster or leave connections open; connect afresh and
        # FORCE the drop.
        admin = await asyncpg.connect(postgres.dsn_for("postgres"))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def database(empty_database):
    await migrate(empty_database)
    yield empty_database
