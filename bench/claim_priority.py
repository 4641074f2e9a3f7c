"""What job priority costs a claim: `claim_job` now (live before background, fair within each)
beside the claim before priority existed (its SQL read from git at `--before`, default the
commit before 0012_job_priority), on one queue of one embedded PostgreSQL.

The queue is keda_query.py's (`--due` due jobs over `--clients` clients, as many waiting for
their backoff, `--terminal` finished), a tenth of the due ones at background priority. Each
claim runs in a transaction rolled back, so every round sees the same queue. The two claims
need different indexes: the rounds alternate in blocks of 50, the old claim's index
`(client_id, run_after, created_at)` made for its blocks and dropped for the new one's. Prints
p50/p95 of both and their ratio with the load average; writes bench/results/claim_priority.json.

    .venv/bin/python bench/claim_priority.py [--rounds 400] [--before 4c8e898^]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import tempfile
import time

import bench_common as bc
import keda_query
from configurator_addon.db import EmbeddedPostgres, migrate
from configurator_addon.db.pool import create_pool
from configurator_addon.db.queries import load_queries
from configurator_addon.jobs.queue import BACKGROUND_AGEING_SECONDS, SQL

BLOCK = 50
OLD_INDEX = "CREATE INDEX claim_bench_old ON jobs (client_id, run_after, created_at) WHERE status = 'QUEUED'"


def old_queries(ref: str):
    text = subprocess.run(["git", "show", f"{ref}:configurator_addon/jobs/queries.sql"], cwd=bc.ROOT, check=True,
                          capture_output=True, text=True).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(text)
    try:
        return load_queries(handle.name)
    finally:
        os.unlink(handle.name)


async def timed_claims(conn, count: int, sql: str, *args) -> list[float]:
    out = []
    for _ in range(count):
        claim = conn.transaction()
        await claim.start()
        started = time.perf_counter()
        row = await conn.fetchrow(sql, *args)
        out.append((time.perf_counter() - started) * 1000)
        await claim.rollback()
        assert row is not None
    return out


async def measure(dsn: str, args, old) -> tuple[list[float], list[float]]:
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        await keda_query.fill(pool, args.due, args.clients, args.terminal)
        await pool.execute("UPDATE jobs SET priority = 'background' WHERE status = 'QUEUED' AND random() < 0.1")
        await pool.execute("VACUUM ANALYZE jobs")
        before, now = [], []
        async with pool.acquire() as conn:
            for _ in range(max(1, args.rounds // BLOCK)):
                await conn.execute("DROP INDEX IF EXISTS claim_bench_old")
                await conn.execute("ANALYZE jobs")
                now += await timed_claims(conn, BLOCK, SQL.claim_job, "bench", BACKGROUND_AGEING_SECONDS)
                await conn.execute(OLD_INDEX)
                await conn.execute("ANALYZE jobs")
                before += await timed_claims(conn, BLOCK, old.claim_job, "bench")
    finally:
        await pool.close()
    return before, now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--terminal", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--before", default="4c8e898^", help="the commit whose claim_job is compared")
    args = parser.parse_args()
    old = old_queries(args.before)
    folder = tempfile.mkdtemp(prefix="configurator-bench-claim-")
    os.chmod(folder, 0o755)
    cluster = EmbeddedPostgres(os.path.join(folder, "data"), fast=True)
    load = os.getloadavg()[0]
    try:
        dsn = cluster.start()
        asyncio.run(migrate(dsn))
        before, now = asyncio.run(measure(dsn, args, old))
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    p50_before, p50_now = bc.p50(before), bc.p50(now)
    print(f"queue: {args.due} due over {args.clients} clients (a tenth background), {args.due} waiting, "
          f"{args.terminal} finished; load average {load:.2f}")
    print(f"claim before priority ({args.before}): p50 {p50_before:.2f} ms, p95 {bc.p95(before):.2f} ms")
    print(f"claim with priority:               p50 {p50_now:.2f} ms, p95 {bc.p95(now):.2f} ms")
    rows = [bc.summary_row("claim before priority p50", p50_before, unit=" ms"),
            bc.summary_row("claim with priority p50", p50_now, unit=" ms"),
            bc.summary_row("with / before at p50", p50_now / p50_before)]
    bc.save_results("claim_priority", rows, {
        "due": args.due, "clients": args.clients, "terminal": args.terminal, "rounds": args.rounds,
        "before": args.before, "load_average_1m": load,
        "before_p50_ms": p50_before, "before_p95_ms": bc.p95(before),
        "now_p50_ms": p50_now, "now_p95_ms": bc.p95(now), "now_over_before_p50": p50_now / p50_before,
    }, quick=args.rounds < 400)


if __name__ == "__main__":
    main()
