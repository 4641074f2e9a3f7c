"""The job queue on a real PostgreSQL: exactly-once claiming, lease fencing, rescue, retry
backoff, cancellation in every non-terminal state."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from configurator_addon.errors import ConfigValidationError, GenerationError, JobTimedOut
from configurator_addon.jobs.queue import JobQueue, Lease
from configurator_addon.services.seeding import DEMO_CLIENT_ID
from fixtures_api import run_queued_jobs, upload_product

SCHEMA = {"type": "object", "properties": {}}


@pytest.fixture
async def product_id(pool):
    return await pool.fetchval(
        "INSERT INTO products (client_id, name, template_blob_path, template_version, config_schema) "
        "VALUES ($1, 'Queue test', 'x/templates/p/v.blend', 'v', $2) RETURNING id", DEMO_CLIENT_ID, SCHEMA)


async def add_jobs(pool, product_id, count: int, status: str = "QUEUED", max_retries: int = 3) -> list:
    return [row["id"] for row in await pool.fetch(
        "INSERT INTO jobs (client_id, product_id, template_blob_path, template_version, config_data, cache_key, "
        "status, max_retries) SELECT $1, $2, 'p', 'v', '{}', 'key-' || gen_random_uuid(), $3, $5 "
        "FROM generate_series(1, $4) g "
        "RETURNING id", DEMO_CLIENT_ID, product_id, status, count, max_retries)]


async def claim_and_complete_all(queue: JobQueue, claimers: int) -> list:
    """`claimers` workers at once claim and complete jobs until none is left; the ids, in
    the order they were claimed."""
    processed: list = []

    async def claimer(n: int) -> None:
        while (row := await queue.claim(f"claimer-{n}")) is not None:
            processed.append(row["id"])
            done = await queue.complete(Lease(row["id"], row["lease_id"]), blob_path=f"x/glb/{row['id']}.glb",
                                        result_url="u", timings={}, byte_size=1)
            assert done is not None

    await asyncio.gather(*(claimer(n) for n in range(claimers)))
    return processed


async def test_twenty_claimers_process_five_hundred_jobs_exactly_once(pool, product_id):
    ids = set(await add_jobs(pool, product_id, 500))
    processed = await claim_and_complete_all(JobQueue(pool), claimers=20)
    assert len(processed) == 500 and set(processed) == ids
    counts = dict(await pool.fetch("SELECT status, count(*) FROM jobs GROUP BY status"))
    assert counts == {"COMPLETED": 500}
    assert await pool.fetchval("SELECT count(DISTINCT worker_id) FROM jobs") > 1


async def test_rescue_requeues_an_abandoned_job_and_fences_out_the_old_worker(pool, product_id):
    (job_id,) = await add_jobs(pool, product_id, 1)
    queue = JobQueue(pool, retry_base_delay_seconds=0.0)
    row = await queue.claim("worker-that-dies")
    stale = Lease(row["id"], row["lease_id"])
    await pool.execute("UPDATE jobs SET heartbeat_at = now() - interval '1 hour' WHERE id = $1", job_id)

    rescued = await queue.rescue_abandoned(lease_timeout_seconds=60)
    assert [(r["id"], r["status"], r["retry_count"], r["error_code"]) for r in rescued] == [
        (job_id, "QUEUED", 1, "WORKER_LOST")]
    # The old worker wakes up: every update it tries is refused.
    assert await queue.heartbeat(stale) is None
    assert await queue.report_progress(stale, 50) is None
    assert await queue.complete(stale, blob_path="x/glb/a.glb", result_url="u", timings={}, byte_size=1) is None
    assert await queue.release(stale, GenerationError("late")) is None

    again = await queue.claim("worker-2")
    assert again["id"] == job_id and again["attempt"] == 2 and again["lease_id"] != stale.lease_id
    assert await queue.complete(Lease(job_id, again["lease_id"]), blob_path="x/glb/a.glb", result_url="u",
                                timings={}, byte_size=1) is not None
    assert await pool.fetchval("SELECT status FROM jobs WHERE id = $1", job_id) == "COMPLETED"


async def test_recoverable_errors_retry_with_backoff_then_fail(pool, product_id):
    (job_id,) = await add_jobs(pool, product_id, 1)
    queue = JobQueue(pool, retry_base_delay_seconds=1.0)
    for expected_delay in (1.0, 2.0, 4.0):
        await pool.execute("UPDATE jobs SET run_after = now() WHERE id = $1", job_id)  # skip the wait
        row = await queue.claim("w")
        released = await queue.release(Lease(row["id"], row["lease_id"]), GenerationError("blender hiccup"))
        delay = (released["run_after"] - released["updated_at"]).total_seconds()
        assert released["status"] == "QUEUED"
        assert delay == pytest.approx(expected_delay, rel=0.2)
    await pool.execute("UPDATE jobs SET run_after = now() WHERE id = $1", job_id)
    row = await queue.claim("w")
    final = await queue.release(Lease(row["id"], row["lease_id"]), GenerationError("still broken"))
    assert (final["status"], final["retry_count"], final["error_code"]) == ("FAILED", 3, "GENERATION_FAILED")
    assert final["completed_at"] is not None


async def test_a_job_waits_for_its_backoff_before_it_can_be_claimed(pool, product_id):
    (job_id,) = await add_jobs(pool, product_id, 1)
    queue = JobQueue(pool, retry_base_delay_seconds=30.0)
    row = await queue.claim("w")
    await queue.release(Lease(row["id"], row["lease_id"]), GenerationError("hiccup"))
    assert await queue.claim("w") is None


async def test_validation_errors_are_never_retried(pool, product_id):
    (job_id,) = await add_jobs(pool, product_id, 1)
    queue = JobQueue(pool)
    row = await queue.claim("w")
    failed = await queue.release(Lease(row["id"], row["lease_id"]), ConfigValidationError("bad values"))
    assert (failed["status"], failed["retry_count"], failed["error_code"]) == ("FAILED", 0, "VALIDATION_ERROR")


async def test_cancel_pending_and_queued_at_once(pool, product_id):
    queue = JobQueue(pool)
    (pending,) = await add_jobs(pool, product_id, 1, status="PENDING")
    (queued,) = await add_jobs(pool, product_id, 1, status="QUEUED")
    for job_id in (pending, queued):
        row = await queue.request_cancel(job_id, DEMO_CLIENT_ID)
        assert row["status"] == "CANCELLED" and row["completed_at"] is not None
    assert await queue.claim("w") is None
    assert await queue.request_cancel(queued, uuid.uuid4()) is None  # not yours


async def test_cancel_processing_is_honoured_by_the_worker(api, worker, fixture_templates):
    product = await upload_product(api, fixture_templates["valid"])
    job = await (await api.post("/api/v1/jobs", json={"product_id": product["id"], "config_data": {}})).json()
    row = await worker.queue.claim(worker.worker_id)
    response = await api.post(f"/api/v1/jobs/{job['id']}/cancel")
    body = await response.json()
    assert body["status"] == "PROCESSING"  # asked to stop; the worker decides between stages
    await worker.process(row)
    done = await (await api.get(f"/api/v1/jobs/{job['id']}")).json()
    assert done["status"] == "CANCELLED" and done["result_url"] is None
    assert await run_queued_jobs(worker) == 0


async def test_rescue_of_a_cancelled_processing_job_cancels_it(pool, product_id):
    (job_id,) = await add_jobs(pool, product_id, 1)
    queue = JobQueue(pool)
    await queue.claim("w")
    await queue.request_cancel(job_id, DEMO_CLIENT_ID)
    await pool.execute("UPDATE jobs SET heartbeat_at = now() - interval '1 hour' WHERE id = $1", job_id)
    (rescued,) = await queue.rescue_abandoned(lease_timeout_seconds=60)
    assert rescued["status"] == "CANCELLED"


async def test_stale_pending_jobs_become_claimable(pool, product_id):
    (job_id,) = await add_jobs(pool, product_id, 1, status="PENDING")
    queue = JobQueue(pool)
    assert await queue.queue_stale_pending(older_than_seconds=60) == []
    await pool.execute("UPDATE jobs SET created_at = now() - interval '5 minutes' WHERE id = $1", job_id)
    assert [r["id"] for r in await queue.queue_stale_pending(older_than_seconds=60)] == [job_id]
    assert (await queue.claim("w"))["id"] == job_id


async def test_queued_jobs_are_announced_with_notify(pool, product_id, database):
    import asyncpg

    listener = await asyncpg.connect(database)
    heard: asyncio.Queue = asyncio.Queue()
    await listener.add_listener("configurator_jobs_queued", lambda *args: heard.put_nowait(args[-1]))
    try:
        (job_id,) = await add_jobs(pool, product_id, 1)
        assert await asyncio.wait_for(heard.get(), 5) == str(job_id)
    finally:
        await listener.close()


async def test_a_deterministic_failure_is_retried_once_then_fails(pool, product_id):
    (job_id,) = await add_jobs(pool, product_id, 1, max_retries=3)
    queue = JobQueue(pool, retry_base_delay_seconds=0.0)
    row = await queue.claim("w")
    first = await queue.release(Lease(row["id"], row["lease_id"]), JobTimedOut("ran past the limit"))
    assert (first["status"], first["retry_count"]) == ("QUEUED", 1)
    row = await queue.claim("w")
    final = await queue.release(Lease(row["id"], row["lease_id"]), JobTimedOut("ran past the limit again"))
    assert (final["status"], final["retry_count"], final["error_code"]) == ("FAILED", 1, "TIMEOUT")


# -- Fencing against a stale worker while another worker holds the job ----------------------
# Worker A claimed the job and lost it (its lease expired and the job was rescued, or its
# supervisor handed it back after A died), and worker B claimed it again: the job is
# PROCESSING, so the status check lets every statement through and only `lease_id = $2`
# tells A from B. Each statement A might still make is refused without changing the row,
# and B's completion is the one recorded.

STALE_RESULT = "x/glb/stale-worker-a.glb"
CURRENT_RESULT = "x/glb/current-worker-b.glb"

STALE_STATEMENTS = {
    "complete": lambda queue, lease: queue.complete(lease, blob_path=STALE_RESULT, result_url="stale",
                                                    timings={"stale": True}, byte_size=666),
    "report_progress": lambda queue, lease: queue.report_progress(lease, 95),
    "heartbeat": lambda queue, lease: queue.heartbeat(lease),
    "release_for_retry": lambda queue, lease: queue.release(lease, GenerationError("late blender hiccup")),
    "release_as_failed": lambda queue, lease: queue.release(lease, ConfigValidationError("late bad values")),
    "cancel_processing": lambda queue, lease: queue.cancel_processing(lease),
}


async def reclaimed_by_another_worker(pool, product_id, how: str):
    """A job A held and lost, PROCESSING now under B's lease: (queue, A's lease, B's lease)."""
    from configurator_addon.errors import WorkerDied

    (job_id,) = await add_jobs(pool, product_id, 1)
    queue = JobQueue(pool, retry_base_delay_seconds=0.0)
    first = await queue.claim("worker-a")
    stale = Lease(job_id, first["lease_id"])
    assert await queue.report_progress(stale, 60) is False
    if how == "lease_expired":
        await pool.execute("UPDATE jobs SET heartbeat_at = now() - interval '1 hour' WHERE id = $1", job_id)
        assert [r["id"] for r in await queue.rescue_abandoned(lease_timeout_seconds=60)] == [job_id]
    else:  # the supervisor of dead worker A hands its job back with A's lease
        assert (await queue.release(stale, WorkerDied("killed mid-job")))["status"] == "QUEUED"
    second = await queue.claim("worker-b")
    assert (second["id"], second["status"], second["worker_id"], second["attempt"]) == (
        job_id, "PROCESSING", "worker-b", 2)
    assert second["lease_id"] != stale.lease_id
    current = Lease(job_id, second["lease_id"])
    assert await queue.report_progress(current, 30) is False
    # B's last word a few seconds ago: any write by A (now() has moved on) shows as a change.
    await pool.execute("UPDATE jobs SET heartbeat_at = now() - interval '5 seconds', "
                       "updated_at = now() - interval '5 seconds' WHERE id = $1", job_id)
    return queue, stale, current


@pytest.mark.parametrize("how", ["lease_expired", "handed_back"])
@pytest.mark.parametrize("statement", list(STALE_STATEMENTS))
async def test_a_stale_worker_is_refused_while_another_worker_holds_the_job(pool, product_id, statement, how):
    queue, stale, current = await reclaimed_by_another_worker(pool, product_id, how)
    before = dict(await pool.fetchrow("SELECT * FROM jobs WHERE id = $1", current.job_id))

    assert await STALE_STATEMENTS[statement](queue, stale) is None  # no row: A's lease is gone

    after = dict(await pool.fetchrow("SELECT * FROM jobs WHERE id = $1", current.job_id))
    assert (after["status"], after["progress"], after["attempt"], after["worker_id"], after["lease_id"]) == (
        "PROCESSING", 30, 2, "worker-b", current.lease_id)
    assert after["result_blob_path"] is None and after["completed_at"] is None
    assert after == before  # not a column changed, heartbeat and updated_at included
    assert await pool.fetchval("SELECT count(*) FROM results") == 0  # A's GLB is not remembered

    # B's lease is intact: its heartbeat and progress land and its completion is recorded.
    assert await queue.heartbeat(current) is False
    assert await queue.report_progress(current, 90) is False
    done = await queue.complete(current, blob_path=CURRENT_RESULT, result_url="current", timings={"b": 1},
                                byte_size=7)
    assert (done["status"], done["progress"], done["result_blob_path"], done["result_url"], done["worker_id"],
            done["attempt"]) == ("COMPLETED", 100, CURRENT_RESULT, "current", "worker-b", 2)
    assert done["timings"].get("stale") is None
    assert [tuple(r) for r in await pool.fetch("SELECT blob_path, byte_size FROM results")] == [(CURRENT_RESULT, 7)]
    # And A, later still, cannot undo it.
    assert await STALE_STATEMENTS[statement](queue, stale) is None
    final = await pool.fetchrow("SELECT status, result_blob_path, worker_id FROM jobs WHERE id = $1", current.job_id)
    assert tuple(final) == ("COMPLETED", CURRENT_RESULT, "worker-b")
