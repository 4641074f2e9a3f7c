"""Job throughput of `serve --workers 1` and `serve --workers 2`, side by side: 500 distinct
cabinet configurations (width in 1 mm steps, so the result cache never answers; `--quick`:
100), all submitted at once, then waited for until every one is COMPLETED. Throughput =
jobs / (first submit → last completion seen by the client); the server's own span (first
created_at → last completed_at) is given beside it, and the engine share: the workers' time in
Blender and storage (total_ms + upload_ms) ÷ (span × workers). Scaling = jobs/s with 2 workers ÷ with 1.
No fixed target: on this 2-CPU machine the API, PostgreSQL and the client share the CPUs
with the workers. Each worker count gets a fresh service (database and cache); workers are
warmed with a few jobs first. Writes bench/results/service_throughput.json.
"""
from __future__ import annotations

import asyncio
import sys
import time

import bench_common as bc
import service_common as sc

JOBS, QUICK_JOBS = 500, 100
WORKER_COUNTS = (1, 2)
SUBMIT_CONCURRENCY = 8
RUN_TIMEOUT_SECONDS = 900


async def submit_all(api: sc.Api, product_id: str, configs: list[dict]) -> list[dict]:
    """Submit every configuration, `SUBMIT_CONCURRENCY` requests in flight; jobs in config order."""
    gate = asyncio.Semaphore(SUBMIT_CONCURRENCY)

    async def one(config):
        async with gate:
            return await api.submit(product_id, config)

    return await asyncio.gather(*(one(c) for c in configs))


async def wait_all(api: sc.Api, jobs: list[dict], deadline: float) -> None:
    """Poll the jobs in submission order (about the order they are claimed) until all are done."""
    for job in jobs:
        status = await api.wait_polling(job["id"], timeout=max(1.0, deadline - time.monotonic()), every=0.05)
        if status != "COMPLETED":
            raise RuntimeError(f"job {job['id']} ended {status}: {await api.job(job['id'])}")


async def fetch_all(api: sc.Api, jobs: list[dict]) -> list[dict]:
    gate = asyncio.Semaphore(8)

    async def one(job):
        async with gate:
            return await api.job(job["id"])

    return await asyncio.gather(*(one(j) for j in jobs))


async def run_with(workers: int, count: int) -> dict:
    async with sc.running_service("--workers", str(workers)) as service:
        api = sc.Api(service.url, service.admin_key())
        try:
            cabinet = await api.product(sc.CABINET)
            schema = cabinet["config_schema"]
            warm = sc.cabinet_configs(schema, 6 * workers, start_mm=1200 - 6 * workers + 1)
            await sc.warm_workers(api, cabinet["id"], warm, workers)
            configs = sc.cabinet_configs(schema, count, start_mm=300)
            bc.log(f"{workers} worker(s): submitting {count} jobs")
            started = time.perf_counter()
            jobs = await submit_all(api, cabinet["id"], configs)
            submitted = time.perf_counter()
            await wait_all(api, jobs, time.monotonic() + RUN_TIMEOUT_SECONDS)
            finished = time.perf_counter()
            rows = await fetch_all(api, jobs)
        finally:
            await api.close()
    wall = finished - started
    server_span = (max(sc.parse_time(r["completed_at"]) for r in rows)
                   - min(sc.parse_time(r["created_at"]) for r in rows)).total_seconds()
    per_worker: dict[str, int] = {}
    for row in rows:
        per_worker[row["worker_id"]] = per_worker.get(row["worker_id"], 0) + 1
    blender_ms = sum(r["timings"]["total_ms"] + r["timings"]["upload_ms"] for r in rows)
    return {"workers": workers, "jobs": count, "cache_hits": sum(1 for r in rows if r["timings"].get("cached")),
            "wall_s": round(wall, 3), "submit_s": round(submitted - started, 3),
            "jobs_per_s": round(count / wall, 2), "server_span_s": round(server_span, 3),
            "server_jobs_per_s": round(count / server_span, 2),
            # The workers' time spent generating and storing GLBs; the rest is the queue's round trips.
            "engine_share": round(blender_ms / 1000 / (server_span * workers), 3),
            "jobs_per_worker": sorted(per_worker.values()),
            "server_timings_p50_ms": sc.median_timings(rows)}


def main() -> int:
    args = bc.parse_args(__doc__)
    count = QUICK_JOBS if args.quick else JOBS
    runs = [asyncio.run(run_with(workers, count)) for workers in WORKER_COUNTS]
    one, two = runs
    scaling = two["jobs_per_s"] / one["jobs_per_s"]
    timing_names = list(one["server_timings_p50_ms"])
    headers = ["workers", "jobs", "submit s", "wall s", "jobs/s", "server span s", "server jobs/s", "engine share",
               *[f"{n} p50" for n in timing_names]]
    bc.print_table(f"Throughput, {count} distinct cabinet jobs submitted at once (scaling 2:1 = {scaling:.2f}x)",
                   headers, [[r["workers"], r["jobs"], r["submit_s"], r["wall_s"], r["jobs_per_s"], r["server_span_s"],
                              r["server_jobs_per_s"], r["engine_share"],
                              *[r["server_timings_p50_ms"].get(n) for n in timing_names]] for r in runs])
    summary = [
        bc.summary_row("service throughput, 1 worker", f"{one['jobs_per_s']:.1f} jobs/s"),
        bc.summary_row("service throughput, 2 workers", f"{two['jobs_per_s']:.1f} jobs/s"),
        bc.summary_row("service scaling 2 workers ÷ 1", f"{scaling:.2f}x"),
    ]
    bc.save_results("service_throughput", summary, {"jobs": count, "runs": runs, "scaling_2_over_1": round(scaling, 3)},
                    quick=args.quick, digits=2)
    return 0 if all(r["cache_hits"] == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
