"""Job priority on a real PostgreSQL (docs/service.md, "Priority"): live jobs are claimed
before background ones, across clients and without losing the fairness between them; a
background job due for longer than the ageing time counts as live; a live request that joins a
background job raises it; the API takes the priority beside the other options, refuses a bad
one (422), and counts a storefront's background submissions against its limits."""
from __future__ import annotations

import uuid

import asyncpg
import pytest

from configurator_addon.jobs.queue import JobQueue
from configurator_addon.server import keys
from configurator_addon.services.seeding import DEMO_CLIENT_ID
from fixtures_api import upload_product
from test_auth import new_key
from test_fairness import add_client

PROBLEM = "application/problem+json"
SHOP = "https://shop.example"


async def add_job(pool, client, product, priority: str, *, due_since: str = "1 second") -> uuid.UUID:
    """One QUEUED job of `client`, due `due_since` ago."""
    return await pool.fetchval(
        "INSERT INTO jobs (client_id, product_id, template_blob_path, template_version, config_data, cache_key, "
        "status, priority, created_at, run_after) "
        "VALUES ($1, $2, 'p', 'v', '{}', 'key-' || gen_random_uuid(), 'QUEUED', $3, "
        "        now() - $4::text::interval, now() - $4::text::interval) RETURNING id",
        client, product, priority, due_since)


async def submit(queue: JobQueue, client, product, cache_key: str, priority: str):
    return await queue.submit(client_id=client, product_id=product, configuration_id=None, user_id=None,
                              template_blob_path="p", template_version="v", config_data={}, options={},
                              cache_key=cache_key, max_retries=3, priority=priority)


# -- claims, at the queue ---------------------------------------------------------------
async def test_a_live_job_is_claimed_before_older_background_ones_of_the_same_client(pool):
    client, product = await add_client(pool, "Speculates")
    background = [await add_job(pool, client, product, "background", due_since=f"{50 - n} seconds")
                  for n in range(3)]
    live = await add_job(pool, client, product, "live")  # the youngest
    queue = JobQueue(pool)
    assert [(await queue.claim("w"))["id"] for _ in range(4)] == [live, *background]
    assert await queue.claim("w") is None


async def test_another_clients_live_job_goes_before_a_less_busy_clients_background_job(pool):
    """Fairness orders clients within a priority, not across: A (nothing processing, never
    served) has only background work; B (busy, served just now) has a live job; B's goes first,
    then A's."""
    a, a_product = await add_client(pool, "Background only")
    b, b_product = await add_client(pool, "Busy and live")
    a_job = await add_job(pool, a, a_product, "background", due_since="50 seconds")
    await pool.execute(
        "INSERT INTO jobs (client_id, product_id, template_blob_path, template_version, config_data, cache_key, "
        "status, started_at) VALUES ($1, $2, 'p', 'v', '{}', 'busy', 'PROCESSING', now())", b, b_product)
    b_job = await add_job(pool, b, b_product, "live")
    queue = JobQueue(pool)
    assert (await queue.claim("w"))["id"] == b_job
    assert (await queue.claim("w"))["id"] == a_job


async def test_fairness_between_clients_holds_among_their_live_jobs(pool):
    """Two clients with live work and background work: the live jobs alternate between them as
    before priority existed, and only then do the background ones."""
    a, a_product = await add_client(pool, "A")
    b, b_product = await add_client(pool, "B")
    a_live = [await add_job(pool, a, a_product, "live", due_since=f"{30 - n} seconds") for n in range(2)]
    b_live = [await add_job(pool, b, b_product, "live", due_since=f"{20 - n} seconds") for n in range(2)]
    a_background = await add_job(pool, a, a_product, "background", due_since="40 seconds")
    b_background = await add_job(pool, b, b_product, "background", due_since="40 seconds")
    queue = JobQueue(pool)
    claimed = []
    while (row := await queue.claim("w")) is not None:
        claimed.append(row["id"])
        await pool.execute("UPDATE jobs SET status = 'COMPLETED' WHERE id = $1", row["id"])
    assert claimed[:4] == [a_live[0], b_live[0], a_live[1], b_live[1]]
    assert set(claimed[4:]) == {a_background, b_background} and len(claimed) == 6


async def test_a_locked_live_job_does_not_let_its_clients_background_job_go_first(pool, database):
    """Another claimer holds A's live job: this claim takes B's live job, not A's background one
    (SKIP LOCKED passes over a client and priority, not the client's whole queue)."""
    a, a_product = await add_client(pool, "A")
    b, b_product = await add_client(pool, "B")
    a_live = await add_job(pool, a, a_product, "live", due_since="20 seconds")
    await add_job(pool, a, a_product, "background", due_since="30 seconds")
    b_live = await add_job(pool, b, b_product, "live", due_since="10 seconds")
    await pool.execute("UPDATE jobs SET started_at = now() WHERE id = $1", b_live)  # B served last: A first
    other = await asyncpg.connect(database)
    try:
        async with other.transaction():
            await other.execute("SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE", a_live)
            assert (await JobQueue(pool).claim("w"))["id"] == b_live
    finally:
        await other.close()


async def test_a_background_job_due_past_the_ageing_time_is_claimed_as_live(pool):
    """So a steady stream of live jobs cannot starve background work for good: aged, it competes
    as live (its older due time then puts it first); one not yet aged still waits."""
    client, product = await add_client(pool, "Busy shop")
    fresh_background = await add_job(pool, client, product, "background", due_since="50 seconds")
    aged_background = await add_job(pool, client, product, "background", due_since="2 minutes")
    live = await add_job(pool, client, product, "live")
    queue = JobQueue(pool, background_ageing_seconds=60)
    assert [(await queue.claim("w"))["id"] for _ in range(3)] == [aged_background, live, fresh_background]


async def test_a_live_request_joining_a_background_job_raises_it(pool):
    client, product = await add_client(pool, "Shop")
    queue = JobQueue(pool)
    speculative, created = await submit(queue, client, product, "neighbour", "background")
    assert created and speculative["priority"] == "background"
    other_live = await add_job(pool, client, product, "live", due_since="0 seconds")  # submitted later
    joined, created = await submit(queue, client, product, "neighbour", "live")
    assert not created and joined["id"] == speculative["id"]
    assert (joined["priority"], joined["requesters"]) == ("live", 2)
    # Both live now: the older of the two (the speculative job) goes first.
    assert [(await queue.claim("w"))["id"] for _ in range(2)] == [speculative["id"], other_live]


async def test_a_background_request_joining_a_live_job_leaves_it_live(pool):
    client, product = await add_client(pool, "Shop")
    queue = JobQueue(pool)
    live, _ = await submit(queue, client, product, "shown", "live")
    joined, created = await submit(queue, client, product, "shown", "background")
    assert not created and joined["id"] == live["id"] and joined["priority"] == "live"


async def test_the_queue_refuses_an_unknown_priority(pool):
    client, product = await add_client(pool, "Shop")
    with pytest.raises(ValueError):
        await submit(JobQueue(pool), client, product, "k", "urgent")
    assert await pool.fetchval("SELECT count(*) FROM jobs WHERE client_id = $1", client) == 0


# -- the API --------------------------------------------------------------------------
async def test_the_api_takes_the_priority_beside_the_options_and_refuses_a_bad_one(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    body = {"product_id": product["id"], "config_data": {"width": 0.41}}
    refused = await api.post("/api/v1/jobs", json={**body, "options": {"priority": "urgent"}})
    assert refused.status == 422 and refused.content_type == PROBLEM
    problem = await refused.json()
    assert any(error["pointer"] == "/options/priority" for error in problem["errors"]), problem

    speculative = await api.post("/api/v1/jobs", json={**body, "options": {"priority": "background"}})
    assert speculative.status == 202, await speculative.text()
    job = await speculative.json()
    assert job["priority"] == "background"
    stored = await api.server.app[keys.RESOURCES].pool.fetchval("SELECT priority FROM jobs WHERE id = $1",
                                                                uuid.UUID(job["id"]))
    assert stored == "background"

    shopper = await api.post("/api/v1/jobs", json=body)  # the same result, asked for live
    assert shopper.status == 202
    raised = await shopper.json()
    assert raised["id"] == job["id"] and raised["cache_key"] == job["cache_key"]  # not in the key
    assert (raised["priority"], raised["requesters"]) == ("live", 2)


@pytest.mark.api_settings(storefront_key_burst=2, storefront_key_rate=0.01)
async def test_a_storefront_may_submit_background_jobs_within_its_limits(api, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    storefront = {"Authorization": f"Bearer {await new_key(api, DEMO_CLIENT_ID, 'publishable', origins=[SHOP])}",
                  "Origin": SHOP}

    async def speculate(width: float):
        return await api.post("/api/v1/jobs", headers=storefront, json={
            "product_id": product["id"], "config_data": {"width": width}, "options": {"priority": "background"}})

    for width in (0.42, 0.43):
        accepted = await speculate(width)
        assert accepted.status == 202, await accepted.text()
        assert (await accepted.json())["priority"] == "background"
    refused = await speculate(0.44)
    assert refused.status == 429 and refused.content_type == PROBLEM
    assert "Retry-After" in refused.headers
