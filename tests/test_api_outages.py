"""When the database or the blob storage is away, the API says so: 503 with `Retry-After`,
never a 500, and nothing is half-done."""
from __future__ import annotations

import asyncio
import os
import shutil

import asyncpg
import pytest

from configurator_addon.db import EmbeddedPostgres, migrate
from configurator_addon.server import keys
from configurator_addon.server.app import create_app
from fixtures_api import EngineInspector, api_client, api_settings


async def test_requests_while_the_database_is_down_are_503_with_retry_after(cluster_dir, tmp_path, engine):
    cluster = EmbeddedPostgres(f"{cluster_dir}/data", fast=True)
    dsn = cluster.start()
    await migrate(dsn)
    app = create_app(api_settings(dsn, str(tmp_path / "var")), inspector=EngineInspector(engine))
    async with api_client(app) as client:
        assert (await client.get("/api/v1/products")).status == 200
        cluster.stop()
        response = await client.get("/api/v1/products")
        body = await response.json()
        assert response.status == 503, body
        assert response.content_type == "application/problem+json"
        assert body["code"] == "DATABASE_UNAVAILABLE"
        assert int(response.headers["Retry-After"]) > 0
        cluster.start()
        assert (await client.get("/api/v1/products")).status == 200


# The backends of the service's pool that wait for a lock the given connection holds.
WAITING_BEHIND_US = """
    SELECT pid FROM pg_stat_activity
    WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid)) AND query LIKE '%FROM products%'
"""


async def wait_for_a_request_behind(conn, timeout: float = 30) -> int:
    """The backend pid of the request's query, once it waits behind `conn`'s lock."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        await conn.execute("SELECT pg_stat_clear_snapshot()")  # a transaction sees one snapshot otherwise
        pids = await conn.fetch(WAITING_BEHIND_US)
        if pids:
            return pids[0]["pid"]
        assert asyncio.get_running_loop().time() < deadline, "the request never reached the database"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("outage", ["backend terminated", "cluster stopped"])
async def test_a_database_outage_during_a_request_is_503_problem_json(cluster_dir, tmp_path, engine, outage):
    """The request holds a pool connection and waits on a lock when the database goes: its
    query fails mid-flight (not at connect), and the answer is still 503 + Retry-After."""
    cluster = EmbeddedPostgres(f"{cluster_dir}/data", fast=True)
    dsn = cluster.start()
    await migrate(dsn)
    app = create_app(api_settings(dsn, str(tmp_path / "var")), inspector=EngineInspector(engine))
    async with api_client(app) as client:
        assert (await client.get("/api/v1/products")).status == 200
        holder = await asyncpg.connect(dsn)
        try:
            held = holder.transaction()
            await held.start()
            await holder.execute("LOCK TABLE products IN ACCESS EXCLUSIVE MODE")
            request = asyncio.create_task(client.get("/api/v1/products"))
            waiting = await wait_for_a_request_behind(holder)
            if outage == "backend terminated":
                assert await holder.fetchval("SELECT pg_terminate_backend($1)", waiting)
            else:
                await asyncio.to_thread(cluster.stop)
            response = await request
        finally:
            if not holder.is_closed():
                await holder.close(timeout=5)
        body = await response.json()
        assert response.status == 503, body
        assert response.content_type == "application/problem+json"
        assert body["code"] == "DATABASE_UNAVAILABLE" and body["status"] == 503, body
        assert int(response.headers["Retry-After"]) > 0
        cluster.start()
        assert (await client.get("/api/v1/products")).status == 200


async def test_an_upload_the_blob_store_cannot_take_is_503_with_retry_after(api, fixture_templates):
    root = api.server.app[keys.RESOURCES].store.root
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(os.path.dirname(root), exist_ok=True)
    with open(root, "w") as handle:  # the blob folder is a file: every write fails
        handle.write("not a folder")
    with open(fixture_templates["valid"], "rb") as handle:
        response = await api.post("/api/v1/products", data={"name": "Box", "template": handle})
    body = await response.json()
    assert response.status == 503, body
    assert body["code"] == "STORAGE_UNAVAILABLE" and int(response.headers["Retry-After"]) > 0
    listed = await (await api.get("/api/v1/products")).json()
    assert listed["page"]["total"] == 0  # nothing was created
