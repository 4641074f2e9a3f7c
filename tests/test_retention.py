"""The retention sweep on a real PostgreSQL and real blob stores (local files; Azurite where a
test takes `blob_store`): rows and blobs are backdated, then exactly what is deleted and what
is kept is checked. Each test names the rule it guards."""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
import uuid

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from configurator_addon.engine.result_keys import template_version
from configurator_addon.errors import StorageError
from configurator_addon.jobs.queue import JobQueue
from configurator_addon.server.app import create_app
from configurator_addon.services.products import ProductService
from configurator_addon.services.retention import ADVISORY_LOCK_KEY, RetentionSweep, sweep_periodically
from configurator_addon.storage import LocalBlobStore, glb_blob_path, template_blob_path
from configurator_addon.storage.bakes import bake_blob_path, bake_record_path
from fixtures_api import api_settings

SCHEMA = {"type": "object", "properties": {}}
DAY = 24.0  # hours
OLD = 48.0  # hours: past the sweep's 24 h grace


@pytest.fixture
def store(tmp_path):
    return LocalBlobStore(str(tmp_path / "blobs"))


def sweep(database, store, *, grace_hours: float = 24.0, **options) -> RetentionSweep:
    return RetentionSweep(database, store, job_retention_days=30, blob_grace_hours=grace_hours, **options)


# --- building a world ----------------------------------------------------------------------


async def add_client(pool, name: str = "Client") -> uuid.UUID:
    return await pool.fetchval("INSERT INTO clients (name) VALUES ($1) RETURNING id", name)


async def put_blob(store, path: str, hours_ago: float = OLD, data: bytes = b"x") -> str:
    """Store a blob last written `hours_ago` (local files only: Azure keeps the real time)."""
    await store.put(path, data, "application/octet-stream")
    if isinstance(store, LocalBlobStore):
        when = time.time() - hours_ago * 3600
        os.utime(store.local_file_path(path), (when, when))
    return path


async def add_product(pool, client_id, uploaded_days_ago: list[float], *, store=None, templates=None,
                      default_cache_key=None, version_rows=None) -> tuple[uuid.UUID, list[str]]:
    """A product whose template versions 1..n were uploaded the given days ago; the last is
    current. `templates` names each version's template (the same name, the same blob);
    `version_rows` which versions have a product_versions row (default: all)."""
    product_id = uuid.uuid4()
    names = templates or [f"t{n}" for n in range(1, len(uploaded_days_ago) + 1)]
    paths = [template_blob_path(client_id, product_id, name) for name in names]
    await pool.execute(
        "INSERT INTO products (id, client_id, name, template_blob_path, template_version, config_schema, "
        "schema_version, default_cache_key) VALUES ($1, $2, 'Product', $3, $4, $5, $6, $7)",
        product_id, client_id, paths[-1], names[-1], SCHEMA, len(names), default_cache_key)
    for version, days in enumerate(uploaded_days_ago, start=1):
        if version_rows is None or version in version_rows:
            await pool.execute(
                "INSERT INTO product_versions (product_id, schema_version, template_blob_path, template_version, "
                "config_schema, created_at) VALUES ($1, $2, $3, $4, $5, now() - make_interval(days => $6))",
                product_id, version, paths[version - 1], names[version - 1], SCHEMA, days)
    if store is not None:
        for path in sorted(set(paths)):
            await put_blob(store, path, hours_ago=1000 * DAY)
    return product_id, paths


async def add_job(pool, client_id, product_id, status: str, *, finished_days_ago: float | None = None,
                  updated_days_ago: float = 0, cache_key: str | None = None, result_blob_path: str | None = None,
                  template_blob_path: str = "unused/template.blend") -> uuid.UUID:
    return await pool.fetchval(
        "INSERT INTO jobs (client_id, product_id, template_blob_path, template_version, config_data, cache_key, "
        "status, result_blob_path, completed_at, updated_at, created_at) "
        "VALUES ($1, $2, $3, 'v', '{}', $4, $5, $6, now() - make_interval(days => $7), "
        "now() - make_interval(days => $8), now() - make_interval(days => greatest($7, $8))) RETURNING id",
        client_id, product_id, template_blob_path, cache_key or f"key-{uuid.uuid4().hex}", status,
        result_blob_path, finished_days_ago, updated_days_ago)


async def add_result(pool, client_id, cache_key: str, *, days_ago: float = 0, blob_path: str | None = None) -> str:
    blob_path = blob_path or glb_blob_path(client_id, cache_key)
    await pool.execute(
        "INSERT INTO results (client_id, cache_key, blob_path, byte_size, created_at) "
        "VALUES ($1, $2, $3, 1, now() - make_interval(days => $4))", client_id, cache_key, blob_path, days_ago)
    return blob_path


async def add_configuration(pool, client_id, product_id, schema_version: int) -> None:
    await pool.execute(
        "INSERT INTO configurations (client_id, product_id, name, config_data, product_schema_version) "
        "VALUES ($1, $2, 'Saved', '{}', $3)", client_id, product_id, schema_version)


async def blob_paths(store) -> set[str]:
    return {info.path async for info in store.list_blobs("")}


async def job_ids(pool) -> set:
    return {row["id"] for row in await pool.fetch("SELECT id FROM jobs")}


async def versions(pool, product_id) -> list[int]:
    return [row["schema_version"] for row in await pool.fetch(
        "SELECT schema_version FROM product_versions WHERE product_id = $1 ORDER BY 1", product_id)]


@pytest.fixture
async def world(pool):
    """Two clients and a product each."""
    a, b = await add_client(pool, "A"), await add_client(pool, "B")
    (product_a, _), (product_b, _) = await add_product(pool, a, [1]), await add_product(pool, b, [1])
    return a, b, product_a, product_b


# --- jobs ------------------------------------------------------------------------------------


async def test_finished_jobs_older_than_the_retention_period_are_deleted(pool, database, store, world):
    a, b, product, other_product = world
    old = {
        await add_job(pool, a, product, "COMPLETED", finished_days_ago=31),
        await add_job(pool, a, product, "FAILED", finished_days_ago=31),
        await add_job(pool, b, other_product, "CANCELLED", finished_days_ago=45),
        # No completed_at (never written by the queue, but possible): its last update counts.
        await add_job(pool, a, product, "CANCELLED", finished_days_ago=None, updated_days_ago=31),
    }
    kept = {
        await add_job(pool, a, product, "COMPLETED", finished_days_ago=29),
        await add_job(pool, b, other_product, "FAILED", finished_days_ago=1),
        # Finished recently, touched long ago: the finishing time counts.
        await add_job(pool, a, product, "COMPLETED", finished_days_ago=2, updated_days_ago=40),
        # Not finished, however old (a long backoff, a stuck lease): never deleted.
        await add_job(pool, a, product, "QUEUED", finished_days_ago=400, updated_days_ago=400),
        await add_job(pool, a, product, "PROCESSING", finished_days_ago=400, updated_days_ago=400),
        await add_job(pool, b, other_product, "PENDING", updated_days_ago=400),
    }

    report = await sweep(database, store).run()

    assert report.jobs == len(old)
    assert await job_ids(pool) == kept


async def test_jobs_are_deleted_in_batches_until_none_is_left(pool, database, store, world):
    a, _, product, _ = world
    for _ in range(7):
        await add_job(pool, a, product, "COMPLETED", finished_days_ago=31)
    young = await add_job(pool, a, product, "COMPLETED", finished_days_ago=1)

    report = await sweep(database, store, batch_size=2).run()

    assert report.jobs == 7
    assert await job_ids(pool) == {young}


# --- GLBs ------------------------------------------------------------------------------------


async def test_glbs_nothing_refers_to_are_collected_and_referenced_ones_kept(pool, database, blob_store):
    store = blob_store
    a, b = await add_client(pool, "A"), await add_client(pool, "B")
    product, template_paths = await add_product(pool, a, [1], store=store, default_cache_key="kpreview")
    await add_product(pool, b, [1])

    glb = glb_blob_path
    # Each kept GLB has exactly one reason to stay.
    await add_job(pool, a, product, "COMPLETED", finished_days_ago=1, cache_key="kother",
                  result_blob_path=glb(a, "kjobpath"))
    await add_job(pool, a, product, "QUEUED", cache_key="kinflight")  # a worker is making it
    await add_result(pool, a, "kresultother", blob_path=glb(a, "kresultpath"))
    await add_result(pool, a, "kresultkey", blob_path=glb(a, "kelsewhere"))
    await add_result(pool, a, "kusdz", blob_path=glb(a, "kusdz", "usdz"))  # AR results are results too
    kept = {
        glb(a, "kusdz", "usdz"),
        glb(a, "kjobpath"), glb(a, "kinflight"), glb(a, "kresultpath"), glb(a, "kresultkey"), glb(a, "kpreview"),
        *template_paths,  # templates are never collected, referenced or not
        f"{a}/templates/{uuid.uuid4()}/gone.blend",
        f"{a}/glb/notes.txt",  # not a GLB
        f"{a}/previews/kpreview.glb",  # not in a GLB folder
    }
    deleted = {
        glb(a, "korphan"), glb(a, "korphan", "usdz"),
        # Another client's references never keep a client's GLB.
        glb(b, "kinflight"), glb(b, "kpreview"), glb(b, "kresultkey"),
        glb(uuid.uuid4(), "kdeletedclient"),  # a client deleted since: nothing refers to it
        "not-a-client/glb/kinflight.glb",
    }
    for path in kept | deleted:
        if not await store.exists(path):
            await put_blob(store, path)

    # Azure keeps the real time: there every blob is just written, and only no grace at all
    # makes them old enough.
    grace = 24.0 if isinstance(store, LocalBlobStore) else 0.0
    report = await sweep(database, store, grace_hours=grace).run()

    assert await blob_paths(store) == kept
    assert report.glbs == len(deleted)


@pytest.mark.parametrize("hours_ago, kept", [(23.0, True), (25.0, False)])
async def test_an_unreferenced_glb_is_kept_for_the_grace_period(database, store, hours_ago, kept):
    path = await put_blob(store, glb_blob_path(uuid.uuid4(), "k"), hours_ago=hours_ago)
    report = await sweep(database, store, grace_hours=24).run()
    assert await store.exists(path) is kept
    assert report.glbs == (0 if kept else 1)


async def test_a_just_written_glb_is_kept_until_the_grace_period_is_over(database, blob_store):
    # A worker has uploaded it; its job is not completed yet (here: no row at all).
    path = await put_blob(blob_store, glb_blob_path(uuid.uuid4(), "k"), hours_ago=0)
    assert (await sweep(database, blob_store, grace_hours=1).run()).glbs == 0
    assert await blob_store.exists(path)
    assert (await sweep(database, blob_store, grace_hours=0).run()).glbs == 1
    assert not await blob_store.exists(path)


class RewritingStore(LocalBlobStore):
    """A worker writes each blob again just before the sweep deletes it."""

    async def delete(self, path, *, if_unmodified_since=None):
        await self.put(path, b"new", "model/gltf-binary")
        return await super().delete(path, if_unmodified_since=if_unmodified_since)


async def test_a_glb_written_again_after_it_was_listed_is_not_deleted(database, tmp_path):
    store = RewritingStore(str(tmp_path / "blobs"))
    path = await put_blob(store, glb_blob_path(uuid.uuid4(), "k"))
    report = await sweep(database, store).run()
    assert report.glbs == 0
    assert await store.get(path) == b"new"


# --- cached results ----------------------------------------------------------------------------


async def result_keys(pool) -> set[tuple]:
    return {(row["client_id"], row["cache_key"]) for row in await pool.fetch("SELECT * FROM results")}


async def test_cached_results_are_kept_while_made_used_or_shown_as_a_preview(pool, database, store):
    a, b = await add_client(pool, "A"), await add_client(pool, "B")
    product, _ = await add_product(pool, a, [1], default_cache_key="rpreview")
    await add_product(pool, b, [1])
    for client, key, days in [(a, "rold", 40), (a, "ryoung", 10), (a, "rjobkey", 40), (a, "rjobpath", 40),
                              (a, "rpreview", 40), (a, "rhit", 40), (a, "rexpiredjob", 40),
                              (b, "rjobkey", 40), (b, "rpreview", 40)]:
        await add_result(pool, client, key, days_ago=days)
    await add_job(pool, a, product, "COMPLETED", finished_days_ago=5, cache_key="rjobkey")
    await add_job(pool, a, product, "COMPLETED", finished_days_ago=5, cache_key="other",
                  result_blob_path=glb_blob_path(a, "rjobpath"))
    await add_job(pool, a, product, "COMPLETED", finished_days_ago=31, cache_key="rexpiredjob")
    # Used today: a submission answered from the cache is a job of its own.
    hit, created = await JobQueue(pool).submit(
        client_id=a, product_id=product, configuration_id=None, user_id=None, template_blob_path="p",
        template_version="v", config_data={}, options={}, cache_key="rhit", max_retries=3)
    assert created and hit["status"] == "COMPLETED"

    report = await sweep(database, store).run()

    assert await result_keys(pool) == {(a, "ryoung"), (a, "rjobkey"), (a, "rjobpath"), (a, "rpreview"),
                                       (a, "rhit")}
    # Old and unused; kept by nothing but its old job, deleted first; another client's job
    # or preview with the same key.
    assert report.results == 4


async def test_the_glb_of_a_deleted_result_is_collected_by_the_next_sweep(pool, database, store, world):
    a, *_ = world
    path = await put_blob(store, await add_result(pool, a, "k", days_ago=40))

    first = await sweep(database, store).run()
    assert (first.results, first.glbs) == (1, 0)
    assert await store.exists(path), "a job that read the result just before may be recording it"

    second = await sweep(database, store).run()
    assert (second.results, second.glbs) == (0, 1)
    assert not await store.exists(path)


# --- template versions ---------------------------------------------------------------------------


async def test_an_unused_old_template_version_is_deleted_with_its_blob(pool, database, store, world):
    a, *_ = world
    product, (v1, _, v3) = await add_product(pool, a, [90, 60, 45], store=store)
    # A finished job needs no template: it does not keep its version.
    await add_job(pool, a, product, "COMPLETED", finished_days_ago=1, template_blob_path=v1)

    report = await sweep(database, store).run()

    assert await versions(pool, product) == [3]
    assert (report.template_versions, report.template_blobs) == (2, 2)
    assert await blob_paths(store) == {v3}


async def test_a_version_replaced_recently_is_kept_however_old_it_is(pool, database, store, world):
    a, *_ = world
    product, paths = await add_product(pool, a, [400, 29], store=store)
    report = await sweep(database, store).run()
    assert await versions(pool, product) == [1, 2]
    assert await blob_paths(store) == set(paths)
    assert report.template_versions == 0


async def test_a_version_a_configuration_was_saved_with_is_kept(pool, database, store, world):
    a, _, other_product, _ = world
    product, (_, v2, v3) = await add_product(pool, a, [90, 60, 45], store=store)
    await add_configuration(pool, a, product, 2)
    await add_configuration(pool, a, other_product, 1)  # another product's version 1

    await sweep(database, store).run()

    assert await versions(pool, product) == [2, 3]
    assert await blob_paths(store) == {v2, v3}


async def test_a_version_an_unfinished_job_reads_is_kept(pool, database, store, world):
    a, *_ = world
    queued, (q1, _, q3) = await add_product(pool, a, [90, 60, 45], store=store)
    await add_job(pool, a, queued, "QUEUED", template_blob_path=q1)  # e.g. waiting for a retry
    await add_job(pool, a, queued, "PROCESSING", template_blob_path=q3)  # the current template
    running, (r1, r2) = await add_product(pool, a, [90, 60], store=store)
    await add_job(pool, a, running, "PROCESSING", template_blob_path=r1)

    await sweep(database, store).run()

    assert await versions(pool, queued) == [1, 3]
    assert await versions(pool, running) == [1, 2]
    assert await blob_paths(store) == {q1, q3, r1, r2}


async def test_the_current_version_is_never_deleted(pool, database, store, world):
    a, *_ = world
    # Version rows that run ahead of their product (version 2 was never made current).
    product, (v1, v2) = await add_product(pool, a, [400, 300], store=store)
    await pool.execute("UPDATE products SET schema_version = 1, template_blob_path = $2 WHERE id = $1", product, v1)

    report = await sweep(database, store).run()

    assert await versions(pool, product) == [1, 2]
    assert await blob_paths(store) == {v1, v2}
    assert report.template_versions == 0


async def test_a_template_uploaded_again_keeps_its_blob_for_the_newer_version(pool, database, store, world):
    a, *_ = world
    # Templates A, B, A again, then C: the first A and B are long replaced, the second A recently.
    product, (a1, _, a3, c4) = await add_product(pool, a, [90, 80, 70, 5], store=store,
                                                  templates=["A", "B", "A", "C"])
    assert a1 == a3

    report = await sweep(database, store).run()

    assert await versions(pool, product) == [3, 4]
    assert await blob_paths(store) == {a3, c4}
    assert (report.template_versions, report.template_blobs) == (2, 1)


async def test_the_template_a_product_names_is_kept_without_a_version_row(pool, database, store, world):
    a, *_ = world
    # Templates A, B, A again; the current version 3 has no row of its own (a product made by
    # hand), so only the product names the blob of version 1.
    product, (a1, b2, a3) = await add_product(pool, a, [90, 60, 50], store=store, templates=["A", "B", "A"],
                                              version_rows={1, 2})
    report = await sweep(database, store).run()
    assert await versions(pool, product) == [2]
    assert (report.template_versions, report.template_blobs) == (1, 0)
    assert await blob_paths(store) == {a3, b2}
    assert a1 == a3


async def test_a_template_blob_outside_its_products_folder_is_never_deleted(pool, database, store, world):
    a, b, _, _ = world
    product, (v1, v2) = await add_product(pool, a, [90, 60], store=store)
    foreign = await put_blob(store, template_blob_path(b, uuid.uuid4(), "theirs"))
    await pool.execute("UPDATE product_versions SET template_blob_path = $2 WHERE product_id = $1 "
                       "AND schema_version = 1", product, foreign)

    report = await sweep(database, store).run()

    assert await versions(pool, product) == [2]
    assert report.template_blobs == 0
    assert await blob_paths(store) == {v1, v2, foreign}


class FailingDeletes(LocalBlobStore):
    async def delete(self, path, *, if_unmodified_since=None):
        raise StorageError(f"could not delete blob {path}: the store is down")


async def test_a_failed_template_blob_delete_keeps_the_versions_for_the_next_sweep(pool, database, tmp_path, world):
    a, *_ = world
    failing = FailingDeletes(str(tmp_path / "blobs"))
    product, paths = await add_product(pool, a, [90, 60, 45], store=failing)

    with pytest.raises(StorageError):
        await sweep(database, failing).run()
    assert await versions(pool, product) == [1, 2, 3], "the batch is rolled back"
    assert await blob_paths(failing) == set(paths)

    working = LocalBlobStore(failing.root)
    assert (await sweep(database, working).run()).template_versions == 2
    assert await versions(pool, product) == [3]
    assert await blob_paths(working) == {paths[2]}


# --- one sweep at a time, every interval ---------------------------------------------------------


async def test_a_sweep_skips_its_turn_while_another_one_runs(pool, database, store, world):
    a, _, product, _ = world
    old = await add_job(pool, a, product, "COMPLETED", finished_days_ago=31)
    other_replica = await asyncpg.connect(database)
    try:
        assert await other_replica.fetchval("SELECT pg_try_advisory_lock($1)", ADVISORY_LOCK_KEY)
        assert await sweep(database, store).run() is None
        assert old in await job_ids(pool)
    finally:
        await other_replica.close()
    assert (await sweep(database, store).run()).jobs == 1
    assert await job_ids(pool) == set()


async def test_concurrent_sweeps_delete_everything_once(pool, database, store, world):
    a, _, product, _ = world
    for _ in range(20):
        await add_job(pool, a, product, "COMPLETED", finished_days_ago=31)
    reports = await asyncio.gather(*(sweep(database, store, batch_size=3).run() for _ in range(4)))
    assert sum(report.jobs for report in reports if report is not None) == 20
    assert await job_ids(pool) == set()


class ListingFailsOnce(LocalBlobStore):
    failures = 0

    async def list_blobs(self, prefix=""):
        if not self.failures:
            self.failures += 1
            raise StorageError("could not list blobs: the store is down")
        async for info in super().list_blobs(prefix):
            yield info


async def test_a_failed_sweep_is_logged_and_the_next_one_runs(database, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="configurator.retention")
    store = ListingFailsOnce(str(tmp_path / "blobs"))
    path = await put_blob(store, glb_blob_path(uuid.uuid4(), "k"))
    task = asyncio.create_task(sweep_periodically(sweep(database, store), 0.05))

    def logged(message):
        return [record for record in caplog.records if record.getMessage() == message]

    try:
        await wait_for(lambda: logged("retention sweep"))
    finally:
        task.cancel()
    (failed,) = logged("retention sweep failed")
    assert failed.exc_info and failed.deleted == {**failed.deleted, "glbs": 0}
    assert logged("retention sweep")[0].deleted["glbs"] == 1
    assert not os.path.exists(store.local_file_path(path))


async def wait_for(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_the_api_process_sweeps_every_interval(pool, database, tmp_path, world, caplog):
    caplog.set_level(logging.INFO, logger="configurator.retention")
    a, _, product, _ = world
    settings = api_settings(database, str(tmp_path / "var"), retention_interval_seconds=0.2)
    async with TestClient(TestServer(create_app(settings, role="api"))) as client:
        assert (await client.get("/health")).status == 200  # served
        old = await add_job(pool, a, product, "COMPLETED", finished_days_ago=31)
        young = await add_job(pool, a, product, "COMPLETED", finished_days_ago=1)
        await wait_for(lambda: job_ids_are(pool, {young}))
        sweeps = sum(record.getMessage() == "retention sweep" for record in caplog.records)
        await wait_for(lambda: sum(record.getMessage() == "retention sweep" for record in caplog.records) > sweeps)
    assert old not in await job_ids(pool)
    stopped = sum(record.getMessage() == "retention sweep" for record in caplog.records)
    await asyncio.sleep(0.5)
    assert sum(record.getMessage() == "retention sweep" for record in caplog.records) == stopped, \
        "the sweep stops with the app"


async def job_ids_are(pool, expected: set) -> bool:
    return await job_ids(pool) == expected


async def test_only_processes_serving_the_api_sweep(pool, database, tmp_path, world):
    a, _, product, _ = world
    settings = api_settings(database, str(tmp_path / "var"), retention_interval_seconds=0.1)
    old = await add_job(pool, a, product, "COMPLETED", finished_days_ago=31)
    async with TestClient(TestServer(create_app(settings, role="worker"))):
        await asyncio.sleep(0.6)
    assert old in await job_ids(pool)


def test_a_negative_retention_period_is_refused(store):
    with pytest.raises(ValueError):
        RetentionSweep("postgresql://unused", store, job_retention_days=-1, blob_grace_hours=24)


# --- template bakes (step 5) ---------------------------------------------------------------------


async def put_bake(store, client_id, version: str, hours_ago: float = OLD, data: bytes = b"x") -> set[str]:
    """A version's bake as a publish stores it: the baked template, then its record."""
    await put_blob(store, bake_blob_path(client_id, version), hours_ago=hours_ago, data=data)
    record = {"sha256": hashlib.sha256(data).hexdigest(), "baked": [], "bake_ms": 1.0}
    await put_blob(store, bake_record_path(client_id, version), hours_ago=hours_ago, data=json.dumps(record).encode())
    return {bake_blob_path(client_id, version), bake_record_path(client_id, version)}


async def test_bakes_no_product_of_their_client_has_are_collected(pool, database, store, world):
    a, b, *_ = world
    await add_product(pool, a, [1], templates=["in-use"])
    kept = await put_bake(store, a, "in-use")
    unused = await put_bake(store, a, "unused")
    # Client b's version of the same name keeps nothing of a's: references stay in their client.
    await add_product(pool, b, [1], templates=["b-only"])
    theirs_elsewhere = await put_bake(store, a, "b-only")
    young = await put_bake(store, a, "young", hours_ago=1)
    orphan = await put_blob(store, bake_blob_path(a, "cut-short"))  # a bake without its record
    # Only {client id}/bakes/{version}.json|.blend is a bake: nothing else is ever a candidate.
    not_bakes = {await put_blob(store, path) for path in (
        "not-a-client/bakes/stray.json", f"{str(a).upper()}/bakes/stray.blend", f"{a}/bakes/deeper/stray.json",
        f"{a}/bakes/stray.txt", f"elsewhere/{a}/bakes/stray.blend")}

    report = await sweep(database, store).run()

    assert report.bakes == 3
    left = await blob_paths(store)
    assert kept <= left and young <= left and not_bakes <= left
    assert not (unused | theirs_elsewhere | {orphan}) & left


async def test_a_version_deleted_by_the_sweep_frees_its_bake_in_the_same_sweep(pool, database, store, world):
    a, *_ = world
    product, _ = await add_product(pool, a, [90, 60, 45], store=store, templates=["r1", "r2", "r3"])
    retired, current = await put_bake(store, a, "r1"), await put_bake(store, a, "r3")

    report = await sweep(database, store).run()

    assert await versions(pool, product) == [3]
    assert report.bakes == 1  # r1's and r2's rows went, and r1's bake (r2 had none) with them
    left = await blob_paths(store)
    assert current <= left and not retired & left


class Inspector:
    """Inspects as `TemplateInspector` does (one child answers, baking on request), for a
    template without parameters. `reusing` (an inspection without a bake: a record was found)
    is set, then the inspection waits for `resume`: the publish has read the record."""

    bakes = True

    def __init__(self, *, pause: bool):
        self.reusing, self.resume = asyncio.Event(), asyncio.Event()
        if not pause:
            self.resume.set()

    async def inspect(self, template: bytes, bake: bool = False) -> dict:
        inspection = {"schema": SCHEMA, "parameters": []}
        if bake:
            return {**inspection, "bake": {"template": b"baked", "baked": [], "bake_ms": 1.0}}
        self.reusing.set()
        await self.resume.wait()
        return inspection


class TemplateStoreWaits(LocalBlobStore):
    """The store a publish writes its template to inside the transaction of its rows:
    `storing` is set, then the write waits for `resume` (the row is in, not committed)."""

    def __init__(self, root: str):
        super().__init__(root)
        self.storing, self.resume = asyncio.Event(), asyncio.Event()

    async def put(self, path: str, data: bytes, content_type: str) -> None:
        if "/templates/" in path:
            self.storing.set()
            await self.resume.wait()
        await super().put(path, data, content_type)


async def publish_while_sweeping(database, store, publish, paused: asyncio.Event, resume: asyncio.Event):
    """Start `publish`, run a sweep once it is `paused`, then let it finish; the sweep's report
    and the publish's row."""
    task = asyncio.create_task(publish)
    await asyncio.wait_for(paused.wait(), 10)
    try:
        report = await sweep(database, store).run()
    finally:
        resume.set()
    return report, await asyncio.wait_for(task, 10)


async def assert_baked(store, client_id, version: str) -> None:
    """The version's bake record is there, and names the baked template that is there too."""
    record = json.loads(await store.get(bake_record_path(client_id, version)))
    assert record["sha256"] == hashlib.sha256(await store.get(bake_blob_path(client_id, version))).hexdigest()


async def test_a_publish_that_reused_a_bake_the_sweep_collected_meanwhile_bakes_it_again(pool, database, store,
                                                                                          world):
    # Paused between reading the record and the transaction of its row: the sweep may take the
    # bake, and the publish, checking under the bake lock, finds it gone and bakes again.
    a, *_ = world
    template = b"published twice"
    await put_bake(store, a, template_version(template), data=b"the old bake")  # old, in no product
    inspector = Inspector(pause=True)
    products = ProductService(pool, store, inspector)

    report, row = await publish_while_sweeping(
        database, store, products.create(a, "Reuser", "", template, render_thumbnails=False),
        inspector.reusing, inspector.resume)

    assert report.bakes == 1 and products.bakes.bakes_run == 1
    await assert_baked(store, a, row["template_version"])
    assert await store.get(bake_blob_path(a, row["template_version"])) == b"baked"
    assert (await sweep(database, store).run()).bakes == 0  # in use now (and young)


@pytest.mark.parametrize("replace", [False, True], ids=["create", "replace_template"])
async def test_a_publish_reusing_a_bake_keeps_it_from_a_sweep_running_before_its_row_commits(
        pool, database, store, world, tmp_path, replace):
    # Paused inside the transaction of its row (inserted, not committed): the sweep must not
    # take the bake the row will rely on.
    a, _, product, _ = world
    template = b"published twice"
    version = template_version(template)
    reused = await put_bake(store, a, version, data=b"the old bake")  # old, in no product yet
    waits = TemplateStoreWaits(str(tmp_path / "blobs"))
    products = ProductService(pool, waits, Inspector(pause=False))
    publish = (products.replace_template(a, product, template) if replace
               else products.create(a, "Reuser", "", template, render_thumbnails=False))

    report, row = await publish_while_sweeping(database, store, publish, waits.storing, waits.resume)

    assert report.bakes == 0 and products.bakes.bakes_run == 0
    assert row["template_version"] == version and reused <= await blob_paths(store)
    await assert_baked(store, a, version)
    assert (await sweep(database, store).run()).bakes == 0  # in use now
    assert reused <= await blob_paths(store)
