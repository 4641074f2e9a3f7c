"""What KEDA's scaler query costs the database (deploy/keda/claimable_jobs.sql), beside one claim.

The worker app's scale rule (deploy/main.bicep) runs the claimable-jobs count on every poll
(Container Apps: every 30 s, per revision). This bench makes a queue like a busy day's on an
embedded PostgreSQL: `--due` QUEUED jobs that are due, spread over `--clients` clients, as many
QUEUED retries not due yet, and `--terminal` finished jobs, then times, alternating, the count
and one claim (`jobs/queries.sql: claim_job`, in a transaction rolled back, so the queue stays
the same), `--rounds` times each. It prints p50/p95 of both, their ratio, the count's plan
(an index-only scan of the partial index `jobs_claimable` is expected), and writes
bench/results/keda_query.json.

    .venv/bin/python bench/keda_query.py [--due 50000] [--clients 10] [--terminal 100000] [--rounds 200]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time

import bench_common as bc
from configurator_addon.db import EmbeddedPostgres, migrate
from configurator_addon.db.pool import create_pool
from configurator_addon.jobs.queue import BACKGROUND_AGEING_SECONDS, SQL

QUERY_FILE = os.path.join(bc.ROOT, "deploy", "keda", "claimable_jobs.sql")


async def fill(pool, due: int, clients: int, terminal: int) -> None:
    for n in range(clients):
        client_id = await pool.fetchval("INSERT INTO clients (name) VALUES ($1) RETURNING id", f"Bench {n}")
        product_id = await pool.fetchval(
            "INSERT INTO products (client_id, name, template_blob_path, template_version, config_schema) "
            "VALUES ($1, 'Bench', 'x/templates/p/v.blend', 'v', '{\"type\": \"object\"}') RETURNING id", client_id)
        for count, status, run_after in ((due // clients, "QUEUED", "now() - interval '1 minute'"),
                                         (due // clients, "QUEUED", "now() + interval '1 hour'"),
                                         (terminal // clients, "COMPLETED", "now() - interval '1 day'")):
            await pool.execute(
                "INSERT INTO jobs (client_id, product_id, template_blob_path, template_version, config_data, "
                f"cache_key, status, run_after) SELECT $1, $2, 'p', 'v', '{{}}', 'key-' || gen_random_uuid(), $3, "
                f"{run_after} FROM generate_series(1, $4)", client_id, product_id, status, count)
    await pool.execute("VACUUM ANALYZE jobs")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(dsn: str, args) -> dict:
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        await fill(pool, args.due, args.clients, args.terminal)
        with open(QUERY_FILE, encoding="utf-8") as handle:
            query = handle.read()
        counted = await pool.fetchval(query)
        plan = "\n".join(r[0] for r in await pool.fetch("EXPLAIN " + query))
        count_ms, claim_ms = [], []
        async with pool.acquire() as conn:
            for _ in range(args.rounds):
                started = time.perf_counter()
                await conn.fetchval(query)
                count_ms.append((time.perf_counter() - started) * 1000)
                claim = conn.transaction()  # rolled back: every round sees the same queue
                await claim.start()
                started = time.perf_counter()
                claimed = await conn.fetchrow(SQL.claim_job, "bench", BACKGROUND_AGEING_SECONDS)
                claim_ms.append((time.perf_counter() - started) * 1000)
                await claim.rollback()
                assert claimed is not None
    finally:
        await pool.close()
    return {"counted": counted, "plan": plan, "count_ms": count_ms, "claim_ms": claim_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--terminal", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="configurator-bench-keda-")
    os.chmod(folder, 0o755)
    cluster = EmbeddedPostgres(os.path.join(folder, "data"), fast=True)
    load = os.getloadavg()[0]
    try:
        dsn = cluster.start()
        asyncio.run(migrate(dsn))
        result = asyncio.run(measure(dsn, args))
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    count_p50, claim_p50 = statistics.median(result["count_ms"]), statistics.median(result["claim_ms"])
    print(f"queue: {args.due} due over {args.clients} clients, {args.due} waiting, {args.terminal} finished; "
          f"load average {load:.2f}")
    count_p95 = percentile(result["count_ms"], 0.95)
    print(f"KEDA count = {result['counted']}: p50 {count_p50:.2f} ms, p95 {count_p95:.2f} ms")
    print(f"one claim:        p50 {claim_p50:.2f} ms, p95 {percentile(result['claim_ms'], 0.95):.2f} ms")
    print(f"count / claim at p50: {count_p50 / claim_p50:.2f}")
    print(result["plan"])
    rows = [bc.summary_row("KEDA count p50", count_p50, "< 100 ms (once per 30 s poll)", count_p50 < 100, " ms"),
            bc.summary_row("one claim p50", claim_p50, unit=" ms"),
            bc.summary_row("count / claim at p50", count_p50 / claim_p50)]
    bc.save_results("keda_query", rows, {
        "due": args.due, "clients": args.clients, "terminal": args.terminal, "rounds": args.rounds,
        "load_average_1m": load, "counted": result["counted"], "plan": result["plan"],
        "count_p50_ms": round(count_p50, 3), "count_p95_ms": round(percentile(result["count_ms"], 0.95), 3),
        "claim_p50_ms": round(claim_p50, 3), "claim_p95_ms": round(percentile(result["claim_ms"], 0.95), 3),
        "count_over_claim_p50": round(count_p50 / claim_p50, 3),
    }, quick=args.rounds < 200)


if __name__ == "__main__":
    main()
