"""When the database or the blob storage is away, the API says so: 503 with `Retry-After`,
never a 500, and nothing is half-done."""
from __future__ import annotations

import asyncio
import os
import shutil

import asyncpg
import pytest

from configurator_addon.db import EmbeddedPostgres, migrate
from configurator_addon.errors import StorageError
from configurator_addon.jobs import retrying
from configurator_addon.jobs.worker import Worker
from configurator_addon.runtime.in_process import InProcessEngine
from configurator_addon.server import keys
from configurator_addon.server.app import create_app
from configurator_addon.server.routes import jobs as job_routes
from fixtures_api import (
    EngineInspector,
    InlineExecutor,
    api_client,
    api_settings,
    run_queued_jobs,
    upload_product,
)


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
                # Immediate, as a host failing: a fast shutdown may end the lock's holder
                # first, and the waiting query then finish before its own end (CI saw a 200).
                await asyncio.to_thread(cluster.stop, immediate=True)
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


async def test_a_job_socket_stays_open_through_a_database_restart(cluster_dir, tmp_path, engine, fixture_templates,
                                                                  monkeypatch):
    """A shopper follows a queued job; the database stops while the socket waits, so its
    reads fail (every 0.1 s here), and starts again; the job completes and the same socket
    tells so."""
    monkeypatch.setattr(job_routes, "POLL_SECONDS", 0.1)
    cluster = EmbeddedPostgres(f"{cluster_dir}/data", fast=True)
    dsn = cluster.start()
    await migrate(dsn)
    app = create_app(api_settings(dsn, str(tmp_path / "var")), inspector=EngineInspector(engine))
    async with api_client(app) as client:
        product = await upload_product(client, fixture_templates["valid"])
        job = await (await client.post("/api/v1/jobs", json={"product_id": product["id"],
                                                             "config_data": {"width": 0.7}})).json()
        socket = await client.ws_connect(f"/api/v1/jobs/{job['id']}/events")
        assert (await socket.receive_json(timeout=10))["status"] == "QUEUED"
        await asyncio.to_thread(cluster.stop)
        await asyncio.sleep(1.0)  # ten polls of the socket, each failing to read
        cluster.start()
        assert (await client.get("/api/v1/products")).status == 200
        resources = app[keys.RESOURCES]
        worker = Worker(app[keys.SETTINGS], resources.queue, resources.store,
                        InProcessEngine(InlineExecutor(), engine))
        assert await run_queued_jobs(worker) == 1
        statuses = []
        while not statuses or statuses[-1] != "COMPLETED":
            message = await socket.receive(timeout=10)
            assert message.type.name == "TEXT", (message, statuses)  # not closed meanwhile
            statuses.append(message.json()["status"])
        await socket.close()


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


class StorageAway:
    """The worker's store, its first `failures` writes refused as by an unreachable storage."""

    def __init__(self, store, failures: int):
        self.store, self.failures, self.puts = store, failures, 0

    async def put(self, path: str, data: bytes, content_type: str) -> None:
        self.puts += 1
        if self.puts <= self.failures:
            raise StorageError(f"blob storage unreachable (write {self.puts})")
        await self.store.put(path, data, content_type)

    def __getattr__(self, name):
        return getattr(self.store, name)


async def submit_one(api, fixture_templates) -> str:
    product = await upload_product(api, fixture_templates["valid"])
    response = await api.post("/api/v1/jobs", json={"product_id": product["id"], "config_data": {"width": 0.5}})
    assert response.status == 202, await response.text()
    return (await response.json())["id"]


async def test_a_worker_holds_its_model_through_a_storage_outage(api, worker, fixture_templates):
    """The GLB is made; storing it fails four times (more than the job's 3 retries); the worker
    keeps its lease and stores it when the storage is back: completed in its first attempt."""
    job_id = await submit_one(api, fixture_templates)
    worker.store = StorageAway(worker.store, failures=4)
    assert await run_queued_jobs(worker) == 1
    done = await (await api.get(f"/api/v1/jobs/{job_id}")).json()
    assert (done["status"], done["retry_count"], done["error_code"]) == ("COMPLETED", 0, None), done
    assert worker.store.puts == 5
    status = (await api.get(done["result_url"])).status
    assert status == 200


async def test_a_storage_outage_longer_than_the_worker_waits_hands_the_job_back(api, worker, fixture_templates,
                                                                             monkeypatch):
    monkeypatch.setattr(retrying, "STORAGE_OUTAGE_WAIT_SECONDS", 1.0)
    job_id = await submit_one(api, fixture_templates)
    worker.store = StorageAway(worker.store, failures=1000)
    assert await run_queued_jobs(worker) == 1
    job = await (await api.get(f"/api/v1/jobs/{job_id}")).json()
    # Handed back for a retry (its lease released), not failed: the storage may be back by then.
    assert (job["status"], job["retry_count"], job["error_code"]) == ("QUEUED", 1, "STORAGE_UNAVAILABLE"), job
    assert 2 <= worker.store.puts <= 5
