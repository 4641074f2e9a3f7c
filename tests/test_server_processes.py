"""The server as operators run it: `serve` with an embedded database, supervised Blender
worker processes, killed workers, time limits, a database restart and a clean shutdown."""
from __future__ import annotations

import asyncio
import os
import signal

import aiohttp
import asyncpg
import pytest

import processes
from configurator_addon.db import EmbeddedPostgres
from fixtures_api import bearer, new_admin_key
from fixtures_server import ServerProcess

SLOW = {"detail": 9}  # seconds of Blender work: long enough to kill a worker in the middle


def worker_pid(job: dict) -> int:
    return int(job["worker_id"].split(":")[1])


@pytest.mark.slow
async def test_fresh_serve_starts_its_own_database_seeds_samples_and_answers(tmp_path, sample_catalog):
    server = ServerProcess(str(tmp_path / "var"), "--workers", "1")
    try:
        await server.wait_ready(timeout=240)
        status, listing = await server.request("GET", "/api/v1/products")
        assert status == 200
        assert {p["name"] for p in listing["items"]} == {s["name"] for s in sample_catalog}
        cabinet = next(p for p in listing["items"] if p["name"] == "Kitchen base cabinet")
        job = await server.submit(cabinet["id"], {"width": 0.8})
        done = await server.wait_job(job["id"])
        assert done["status"] == "COMPLETED", (done["error_code"], done["error_message"])
        status, data = await server.fetch_bytes(done["result_url"])
        assert status == 200 and data[:4] == b"glTF"
    finally:
        code = server.stop()
    assert code == 0, server.log()
    # The embedded cluster was stopped with the server.
    assert not os.path.exists(tmp_path / "var" / "postgres" / "postmaster.pid")


# The worker's progress report, as it reaches a stage of the job (STAGE_PROGRESS in jobs/worker.py).
HELD_PROGRESS_REPORTS = """
    SELECT count(*) FROM pg_stat_activity
    WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid)) AND query LIKE 'UPDATE jobs SET progress = $3,%'
"""


async def wait_for_a_held_progress_report(conn, timeout: float = 180) -> None:
    """Until one of the worker's progress reports waits behind the row lock `conn` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        await conn.execute("SELECT pg_stat_clear_snapshot()")  # a transaction sees one snapshot otherwise
        if await conn.fetchval(HELD_PROGRESS_REPORTS):
            return
        assert asyncio.get_running_loop().time() < deadline, "the worker announced no stage of the job"
        await asyncio.sleep(0.05)


async def wait_until_dead(pid: int, timeout: float = 30) -> None:
    """Until process `pid` has exited (gone, or a zombie its parent has yet to reap)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return
        except FileNotFoundError:
            return
        assert asyncio.get_running_loop().time() < deadline, f"process {pid} still alive"
        await asyncio.sleep(0.02)


@pytest.mark.slow
async def test_killed_worker_job_is_rescued_and_completed(tmp_path, fixture_templates, empty_database):
    conn = await asyncpg.connect(empty_database)
    server = ServerProcess(str(tmp_path / "var"), "--workers", "1", "--no-seed",
                           env={"DATABASE_URL": empty_database})
    try:
        await server.wait_ready()
        product = await server.upload(fixture_templates["slow"], "Slow box")
        job = await server.submit(product["id"], SLOW)
        await server.wait_job(job["id"], statuses=("PROCESSING",))
        # Hold the job's row: no statement of the worker about it (progress, heartbeat,
        # completion) lands until we let go, so however fast it runs it cannot finish the job
        # before it is killed. Progress below 90: the worker waits for its report of 90 to land
        # before it stores the GLB and completes, so it has not begun to.
        held = conn.transaction()
        await held.start()
        running = await conn.fetchrow("SELECT status, progress, worker_id, lease_id FROM jobs "
                                      "WHERE id = $1::uuid FOR UPDATE", job["id"])
        assert running["status"] == "PROCESSING" and running["progress"] < 90, dict(running)
        # Kill it once it announces a stage of its Blender work (apply, export, or done),
        # its progress report waiting behind our lock.
        await wait_for_a_held_progress_report(conn)
        killed = worker_pid(dict(running))
        os.kill(killed, signal.SIGKILL)
        await wait_until_dead(killed)
        await held.rollback()  # its held statements land now, or find the lease gone
        done = await server.wait_job(job["id"], timeout=240)
        assert done["status"] == "COMPLETED", done
        assert done["retry_count"] == 1 and done["error_code"] is None, done
        assert done["progress"] == 100 and done["result_url"], done
        assert worker_pid(done) != killed  # a restarted worker finished it
    finally:
        await conn.close()  # first: a held row would stall the shutdown
        server.stop()


@pytest.mark.slow
async def test_job_over_the_time_limit_fails_with_timeout(tmp_path, fixture_templates, empty_database):
    server = ServerProcess(str(tmp_path / "var"), "--workers", "1", "--no-seed", env={
        "DATABASE_URL": empty_database, "BLENDER_TIMEOUT_SECONDS": "2", "JOB_MAX_RETRIES": "1"})
    try:
        await server.wait_ready()
        product = await server.upload(fixture_templates["slow"], "Slow box")
        job = await server.submit(product["id"], SLOW)
        done = await server.wait_job(job["id"], timeout=240)
        assert (done["status"], done["error_code"], done["retry_count"]) == ("FAILED", "TIMEOUT", 1), done
        # The supervisor replaced the killed worker: the next job runs.
        quick = await server.submit(product["id"], {"detail": 0})
        assert (await server.wait_job(quick["id"]))["status"] == "COMPLETED"
    finally:
        server.stop()


@pytest.mark.slow
async def test_database_restart_mid_run_loses_no_job(tmp_path, fixture_templates, cluster_dir):
    cluster = EmbeddedPostgres(os.path.join(cluster_dir, "data"), fast=True)
    server = ServerProcess(str(tmp_path / "var"), "--workers", "2", "--no-seed",
                           env={"DATABASE_URL": cluster.start()})
    try:
        await server.wait_ready()
        product = await server.upload(fixture_templates["valid"], "Box")
        jobs = [await server.submit(product["id"], {"width": 0.3 + i * 0.02}) for i in range(20)]
        await asyncio.sleep(0.5)
        await asyncio.to_thread(cluster.restart)
        finished = [await server.wait_job(job["id"], timeout=180) for job in jobs]
        assert [j["status"] for j in finished] == ["COMPLETED"] * 20, [j["error_code"] for j in finished]
    finally:
        server.stop()
        cluster.stop()


async def test_sigterm_lets_the_running_job_finish(tmp_path, fixture_templates, empty_database):
    database = empty_database
    server = ServerProcess(str(tmp_path / "var"), "--workers", "1", "--no-seed", env={"DATABASE_URL": database})
    try:
        await server.wait_ready()
        product = await server.upload(fixture_templates["slow"], "Slow box")
        job = await server.submit(product["id"], {"detail": 8})
        await server.wait_job(job["id"], statuses=("PROCESSING",))
    finally:
        code = server.stop(timeout=120)
    assert code == 0, server.log()
    conn = await asyncpg.connect(database)
    try:
        row = await conn.fetchrow("SELECT status, error_code FROM jobs WHERE id = $1::uuid", job["id"])
    finally:
        await conn.close()
    assert row["status"] == "COMPLETED", dict(row)



@pytest.mark.slow
async def test_engine_processes_recycle_after_their_job_count(tmp_path, fixture_templates, empty_database):
    server = ServerProcess(str(tmp_path / "var"), "--workers", "1", "--no-seed",
                           env={"DATABASE_URL": empty_database, "WORKER_RECYCLE_JOBS": "2"})
    try:
        await server.wait_ready()
        product = await server.upload(fixture_templates["valid"], "Box")
        finished = []
        for i in range(5):  # one after another, so each recycle happens between jobs
            job = await server.submit(product["id"], {"width": 0.4 + i * 0.1})
            finished.append(await server.wait_job(job["id"]))
    finally:
        server.stop()
    assert [j["status"] for j in finished] == ["COMPLETED"] * 5
    assert [j["retry_count"] for j in finished] == [0] * 5  # recycling loses and repeats nothing
    # A recycled engine process starts cold: its first job loads the template again.
    loaded = [j["timings"]["load_ms"] > 0 for j in finished]
    assert loaded == [True, False, True, False, True], [j["timings"] for j in finished]


def _rss_mb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            return next(int(line.split()[1]) for line in handle if line.startswith("VmRSS")) // 1024
    except (OSError, StopIteration):
        return 0


@pytest.mark.slow
async def test_bombs_fail_with_their_codes_while_another_client_is_served(tmp_path, fixture_templates,
                                                                        empty_database, tmp_path_factory):
    """A memory bomb and a time bomb end FAILED with MEMORY_LIMIT and TIMEOUT, each tried
    twice at most, while another client's job completes; the API's memory stays flat. Each
    limit is tried where only it can end the job, so a busy machine cannot make the other fire
    first: the memory bomb under a time limit it never reaches, then (the same database and
    blobs, a server started again) the slow box (about 4 s of Blender work in 1.6 GB on an idle
    machine here) under a 1 s limit and no lower memory limit than the default's 4 GB (under a
    3 s limit an idle CI machine once finished it)."""
    bombs_dir = tmp_path_factory.mktemp("bombs")
    image = bombs_dir / "unused.png"
    image.write_bytes(b"")
    done = processes.run_python(os.path.join(processes.ROOT, "tests", "bomb_templates.py"), str(bombs_dir),
                                str(image), check=True, env={"PYTHONPATH": os.path.join(processes.ROOT, "tests")})
    doubling = processes.last_json_line(done)["doubling"]
    var_dir = str(tmp_path / "var")
    server = ServerProcess(var_dir, "--workers", "2", "--no-seed", env={
        "DATABASE_URL": empty_database, "ENGINE_MEMORY_LIMIT_MB": "2048", "BLENDER_TIMEOUT_SECONDS": "120"})
    api_rss = []
    sampling = True

    async def sample_api():
        while sampling:
            api_rss.append(_rss_mb(server.process.pid))
            await asyncio.sleep(0.05)

    try:
        await server.wait_ready()
        conn = await asyncpg.connect(empty_database)
        try:
            other_id = await conn.fetchval("INSERT INTO clients (name) VALUES ('Other') RETURNING id")
            other = bearer(await new_admin_key(conn, other_id))
        finally:
            await conn.close()
        grid = await server.upload(doubling, "Doubling grid")
        slow = await server.upload(fixture_templates["slow"], "Slow box")
        with open(fixture_templates["valid"], "rb") as handle:
            form = aiohttp.FormData()
            form.add_field("name", "Box")
            form.add_field("template", handle, filename="template.blend")
            status, box = await server.request("POST", "/api/v1/products", data=form, headers=other)
        assert status == 201, box
        sampler = asyncio.create_task(sample_api())
        memory_bomb = await server.submit(grid["id"], {"doublings": 40})
        status, job = await server.request("POST", "/api/v1/jobs", headers=other,
                                           json={"product_id": box["id"], "config_data": {"width": 0.9}})
        assert status == 202, job
        served = await server.wait_job(job["id"], timeout=120, headers=other)
        out_of_memory = await server.wait_job(memory_bomb["id"], timeout=240)
        sampling = False
        await sampler
    finally:
        sampling = False
        server.stop()
    server = ServerProcess(var_dir, "--workers", "1", "--no-seed", env={
        "DATABASE_URL": empty_database, "BLENDER_TIMEOUT_SECONDS": "1"})
    try:
        await server.wait_ready()
        time_bomb = await server.submit(slow["id"], SLOW)
        out_of_time = await server.wait_job(time_bomb["id"], timeout=120)
    finally:
        server.stop()
    assert served["status"] == "COMPLETED", (served["error_code"], served["error_message"])
    assert [(j["status"], j["error_code"], j["retry_count"]) for j in (out_of_memory, out_of_time)] == [
        ("FAILED", "MEMORY_LIMIT", 1), ("FAILED", "TIMEOUT", 1)], [
        j["error_message"] for j in (out_of_memory, out_of_time)]
    assert max(api_rss) - api_rss[0] < 100, api_rss  # the API never holds what the engines build
