"""Fairness across clients on a real PostgreSQL: claims serve the least busy, least recently
served client first, so one client's flood does not starve the others; and each client's job
submissions are limited by a token bucket that every API process shares."""
from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from configurator_addon.jobs.queue import JobQueue, Lease
from configurator_addon.server import keys
from fixtures_api import new_client, tenant, upload_product
from test_job_queue import claim_and_complete_all

SCHEMA = {"type": "object", "properties": {}}
PROBLEM = "application/problem+json"


# -- claims, at the queue ---------------------------------------------------------------
async def add_client(pool, name: str):
    client = await pool.fetchval("INSERT INTO clients (name) VALUES ($1) RETURNING id", name)
    product = await pool.fetchval(
        "INSERT INTO products (client_id, name, template_blob_path, template_version, config_schema) "
        "VALUES ($1, 'Fairness', 'p', 'v', $2) RETURNING id", client, SCHEMA)
    return client, product


async def add_jobs(pool, client, product, count: int, status: str = "QUEUED", since: str = "1 hour") -> list:
    """`count` jobs of `client` from `since` ago on, one millisecond apart, the first the oldest;
    one not QUEUED was started now."""
    return [row["id"] for row in await pool.fetch(
        "INSERT INTO jobs (client_id, product_id, template_blob_path, template_version, config_data, cache_key, "
        "status, created_at, run_after, started_at) "
        "SELECT $1, $2, 'p', 'v', '{}', 'key-' || gen_random_uuid(), $3, "
        "       now() - $5::text::interval + g * interval '1 ms', now() - $5::text::interval + g * interval '1 ms', "
        "       CASE WHEN $3 <> 'QUEUED' THEN now() END "
        "FROM generate_series(1, $4) g ORDER BY g RETURNING id", client, product, status, count, since)]


async def test_a_client_with_nothing_processing_goes_before_a_busy_one(pool):
    a, a_product = await add_client(pool, "Floods the queue")
    b, b_product = await add_client(pool, "Submits one")
    await add_jobs(pool, a, a_product, 1, status="PROCESSING")
    await add_jobs(pool, a, a_product, 499)
    await add_jobs(pool, b, b_product, 1, status="COMPLETED")  # B was served after A
    (b_job,) = await add_jobs(pool, b, b_product, 1, since="1 minute")  # the youngest job of all
    queue = JobQueue(pool)
    claimed = await queue.claim("w")
    assert (claimed["id"], claimed["client_id"]) == (b_job, b)
    assert claimed["status"] == "PROCESSING" and claimed["attempt"] == 1 and claimed["lease_id"] is not None
    # B is served; now both have one PROCESSING job and A, served less recently, is next.
    assert (await queue.claim("w"))["client_id"] == a


async def test_one_worker_alternates_between_clients(pool):
    """With nothing PROCESSING anywhere, the client served least recently goes first."""
    a, a_product = await add_client(pool, "A")
    b, b_product = await add_client(pool, "B")
    a_jobs = await add_jobs(pool, a, a_product, 499)
    queue = JobQueue(pool)

    async def claim_and_complete():
        row = await queue.claim("only-worker")
        assert await queue.complete(Lease(row["id"], row["lease_id"]), blob_path="x/glb/g.glb", result_url="u",
                                    timings={}, byte_size=1) is not None
        return row

    assert (await claim_and_complete())["id"] == a_jobs[0]  # A's oldest, then B submits
    b_jobs = await add_jobs(pool, b, b_product, 2, since="1 minute")
    served = [(await claim_and_complete())["id"] for _ in range(4)]
    assert served == [b_jobs[0], a_jobs[1], b_jobs[1], a_jobs[2]]


async def test_a_client_whose_job_is_locked_is_passed_over_not_waited_for(pool, database):
    """Another claimer holds B's only job: this claim takes A's instead of finding nothing."""
    import asyncpg

    a, a_product = await add_client(pool, "A")
    b, b_product = await add_client(pool, "B")
    (a_job,) = await add_jobs(pool, a, a_product, 1)
    (b_job,) = await add_jobs(pool, b, b_product, 1)
    await pool.execute("UPDATE jobs SET started_at = now() WHERE id = $1", a_job)  # B would be first
    other = await asyncpg.connect(database)
    try:
        async with other.transaction():
            await other.execute("SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE", b_job)
            assert (await JobQueue(pool).claim("w"))["id"] == a_job
    finally:
        await other.close()


async def test_a_client_waiting_for_backoff_does_not_hold_up_the_others(pool):
    a, a_product = await add_client(pool, "A")
    b, b_product = await add_client(pool, "B")
    (a_job,) = await add_jobs(pool, a, a_product, 1)
    await add_jobs(pool, b, b_product, 3)
    await pool.execute("UPDATE jobs SET run_after = now() + interval '1 hour' WHERE client_id = $1", b)
    queue = JobQueue(pool)
    assert (await queue.claim("w"))["id"] == a_job
    assert await queue.claim("w") is None


async def test_concurrent_claimers_across_clients_claim_every_job_exactly_once(pool):
    ids = set()
    for name, count in (("Big", 300), ("Medium", 40), ("Small", 5)):
        client, product = await add_client(pool, name)
        ids |= set(await add_jobs(pool, client, product, count))
    processed = await claim_and_complete_all(JobQueue(pool), claimers=20)
    assert len(processed) == len(ids) and set(processed) == ids
    assert dict(await pool.fetch("SELECT status, count(*) FROM jobs GROUP BY status")) == {"COMPLETED": len(ids)}


# -- claims, through the API with a real worker ------------------------------------------
async def queued_of(pool, client) -> int:
    return await pool.fetchval("SELECT count(*) FROM jobs WHERE client_id = $1 AND status = 'QUEUED'", client)


@pytest.mark.api_settings(job_submit_burst=1000)
async def test_one_job_of_a_second_client_is_done_while_the_first_clients_flood_waits(api, worker,
                                                                                      fixture_templates):
    pool = api.server.app[keys.RESOURCES].pool
    a, b = await new_client(api, "Floods the queue"), await new_client(api, "Submits one")
    a_product = await upload_product(api, fixture_templates["valid"], client_id=a)
    b_product = await upload_product(api, fixture_templates["valid"], client_id=b)
    for n in range(500):  # distinct configurations: nothing is shared or answered from cache
        response = await api.post("/api/v1/jobs", headers=tenant(a), json={
            "product_id": a_product["id"], "config_data": {"width": round(0.3 + n * 0.001, 3)}})
        assert response.status == 202, await response.text()
    assert await queued_of(pool, a) == 500
    response = await api.post("/api/v1/jobs", headers=tenant(b), json={
        "product_id": b_product["id"], "config_data": {"width": 0.5}})
    assert response.status == 202, await response.text()
    b_job = (await response.json())["id"]

    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        deadline = time.monotonic() + 120
        while (await (await api.get(f"/api/v1/jobs/{b_job}", headers=tenant(b))).json())["status"] != "COMPLETED":
            assert time.monotonic() < deadline and not running.done(), "B's job did not complete"
            await asyncio.sleep(0.05)
        a_still_queued = await queued_of(pool, a)
    finally:
        stop.set()
        await asyncio.wait_for(running, 60)
    assert a_still_queued >= 400, a_still_queued
    b_done = await pool.fetchrow("SELECT attempt, timings FROM jobs WHERE id = $1", uuid.UUID(b_job))
    assert b_done["attempt"] == 1


# -- the submission limit ---------------------------------------------------------------
async def submit(api, client, product, width: float):
    return await api.post("/api/v1/jobs", headers=tenant(client),
                          json={"product_id": product["id"], "config_data": {"width": width}})


async def job_count(pool, client) -> int:
    return await pool.fetchval("SELECT count(*) FROM jobs WHERE client_id = $1", client)


@pytest.mark.api_settings(job_submit_burst=3, job_submit_rate=0.01)
async def test_submissions_over_the_burst_are_refused_with_retry_after_until_tokens_come_back(
        api, fixture_templates):
    pool = api.server.app[keys.RESOURCES].pool
    a, b = await new_client(api, "A"), await new_client(api, "B")
    a_product = await upload_product(api, fixture_templates["valid"], client_id=a)
    b_product = await upload_product(api, fixture_templates["valid"], client_id=b)

    assert (await submit(api, a, a_product, 0.4)).status == 202
    joined = await submit(api, a, a_product, 0.4)  # joins the job in flight: still a request
    assert joined.status == 202
    assert (await submit(api, a, a_product, 0.5)).status == 202
    assert await job_count(pool, a) == 2

    refused = await submit(api, a, a_product, 0.6)
    assert refused.status == 429, await refused.text()
    assert refused.content_type == PROBLEM
    body = await refused.json()
    assert body["code"] == "RATE_LIMITED" and body["status"] == 429
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 100  # one token takes 100 s at 0.01 per second
    assert await job_count(pool, a) == 2  # nothing was inserted
    assert await pool.fetchval("SELECT requesters FROM jobs WHERE client_id = $1 AND config_data->>'width' = '0.4'",
                               a) == 2  # and nothing joined

    for width in (0.4, 0.5, 0.6):  # another client has its own bucket
        assert (await submit(api, b, b_product, width)).status == 202

    # The time passes: A has tokens again, up to the burst and no more.
    await pool.execute("UPDATE rate_buckets SET updated_at = updated_at - interval '1 hour' "
                       "WHERE name = $1", f"client:{a}")
    for width in (0.6, 0.7, 0.8):
        assert (await submit(api, a, a_product, width)).status == 202
    assert (await submit(api, a, a_product, 0.9)).status == 429
    assert await job_count(pool, a) == 5


@pytest.mark.api_settings(job_submit_burst=2, job_submit_rate=0.01)
async def test_concurrent_submissions_take_no_more_tokens_than_the_bucket_holds(api, fixture_templates):
    pool = api.server.app[keys.RESOURCES].pool
    client = await new_client(api, "A")
    product = await upload_product(api, fixture_templates["valid"], client_id=client)
    answers = await asyncio.gather(*(submit(api, client, product, round(0.3 + n * 0.01, 2)) for n in range(12)))
    assert sorted(r.status for r in answers) == [202] * 2 + [429] * 10
    assert await job_count(pool, client) == 2
