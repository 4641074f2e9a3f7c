"""Soak: many jobs through one worker, and nothing may grow.

The service runs as production runs its workers: `serve --workers 1`, a supervisor with one
worker process, which keeps one confined engine process (Blender) warm beside it and
recycles it after WORKER_RECYCLE_JOBS jobs (1000 by default). Jobs are submitted through the
API, a few at a time, each followed to COMPLETED: nine in ten are new cabinet
configurations (width in 1 mm steps times height, depth, shelves and door style: the
result cache cannot answer, Blender runs), one in ten comes from a small mix of every sample
product (new the first time, then answered by the cache), so the engine switches templates.

Every `--sample-every` jobs it samples, from /proc: the resident size (VmRSS) and open file
descriptors of the supervisor (which also serves the API), of the worker process and of its
engine process; and the engine's datablock counts by kind, from the worker's last `job
completed` log line. After `--warmup` jobs it reports first, last and max of each and the
slope of the worker's RSS (least squares, MB per 1000 jobs). An engine process's RSS is
reported per engine process (each is recycled after its job count and starts small again),
the worker's across the whole run.

    .venv/bin/python bench/soak.py                 # 10,000 jobs
    .venv/bin/python bench/soak.py --jobs 2000     # what fits a busy afternoon

Writes bench/results/soak.json (or `--output PATH`). Exit status 1 if, after warm-up, the
worker's or engine's RSS moved by more than ±50 MB (per engine process for the engine), a
descriptor count grew, or the datablock counts changed.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import sys
import time

import bench_common as bc
import service_common as sc
from configurator_addon.engine.config_validation import validate_config

JOBS = 10_000
SAMPLE_EVERY = 100
WARMUP_JOBS = 500
IN_FLIGHT = 6  # jobs followed at once: enough to keep one worker busy between its claims
REPEAT_EVERY = 10  # every 10th job comes from the small mix of every product (mostly cache hits)
RSS_BOUND_MB = 50
# Submissions far above the client's default limits (20/s, bursts of 200): a soak, not a storm.
LIMITS = {"JOB_SUBMIT_RATE": "1000", "JOB_SUBMIT_BURST": "100000"}
HEIGHTS, DEPTHS, SHELVES = (0.7, 0.8, 0.87, 0.9), (0.5, 0.58, 0.65), (0, 1, 2, 3)


# -- what runs -----------------------------------------------------------------------------
def distinct_cabinet_configs(schema: dict):
    """Endless distinct valid cabinet configurations: every width in 1 mm steps, then the next
    combination of height, depth, shelves and door style (96 combinations of ~900 widths)."""
    props = schema["properties"]
    low_mm, high_mm = round(props["width"]["minimum"] * 1000), round(props["width"]["maximum"] * 1000)
    combinations = itertools.product(props["door_style"]["enum"], SHELVES, DEPTHS, HEIGHTS)
    for door_style, shelves, depth, height in combinations:
        for mm in range(low_mm, high_mm + 1):
            yield validate_config(schema, {"width": mm / 1000, "height": height, "depth": depth,
                                           "shelf_count": shelves, "door_style": door_style,
                                           "door_count": 2 if mm > 900 else 1})


async def workload(api: sc.Api, count: int) -> list[tuple[str, dict]]:
    """(product id, configuration) of each job in order."""
    _, listing = await api.get("/api/v1/products?limit=100")
    products = [(await api.get(f"/api/v1/products/{p['id']}"))[1] for p in listing["items"]]
    cabinet = next(p for p in products if p["name"] == sc.CABINET)
    # Products take turns in the mix, so every template is loaded within the first few dozen jobs.
    mixes = [[(p["id"], config) for config in bc.config_mix(p["config_schema"], size=8)] for p in products]
    mix = [entry for turn in itertools.zip_longest(*mixes) for entry in turn if entry is not None]
    distinct = distinct_cabinet_configs(cabinet["config_schema"])
    return [mix[(i // REPEAT_EVERY) % len(mix)] if i % REPEAT_EVERY == REPEAT_EVERY - 1
            else (cabinet["id"], next(distinct)) for i in range(count)]


# -- what is sampled -------------------------------------------------------------------------
def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().decode(errors="replace").split("\0")
    except OSError:
        return []


def rss_mb(pid: int | None) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as handle:
            return next(int(line.split()[1]) for line in handle if line.startswith("VmRSS")) / 1024
    except (OSError, StopIteration, TypeError):
        return None


def fd_count(pid: int | None) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except (OSError, TypeError):
        return None


def worker_processes(supervisor: int) -> tuple[int | None, int | None]:
    """(worker pid, its engine process's pid) under the supervisor."""
    worker = next((p for p in children(supervisor) if "worker" in cmdline(p)), None)
    engine = next((p for p in children(worker) if "engine-host" in cmdline(p)), None) if worker else None
    return worker, engine


class LogFollower:
    """The datablock counts of the last `job completed` line in the server's log."""

    def __init__(self, path: str):
        self.path = path
        self.offset = 0
        self.datablocks: dict | None = None
        self.completed = 0

    def read(self) -> dict | None:
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        self.offset += data.rfind(b"\n") + 1  # a half-written last line is read next time
        for line in data[:data.rfind(b"\n") + 1].splitlines():
            if line.startswith(b"{") and b'"job completed"' in line:
                with contextlib.suppress(ValueError):
                    self.datablocks = json.loads(line).get("datablocks", self.datablocks)
                    self.completed += 1
        return self.datablocks


def sample(done: int, supervisor: int, follower: LogFollower) -> dict:
    worker, engine = worker_processes(supervisor)
    return {"jobs": done, "t": time.monotonic(), "worker_pid": worker, "engine_pid": engine,
            "supervisor_rss_mb": rss_mb(supervisor), "worker_rss_mb": rss_mb(worker), "engine_rss_mb": rss_mb(engine),
            "supervisor_fds": fd_count(supervisor), "worker_fds": fd_count(worker), "engine_fds": fd_count(engine),
            "datablocks": follower.read()}


# -- the run -----------------------------------------------------------------------------------
async def soak(count: int, sample_every: int, env: dict) -> dict:
    async with sc.running_service("--workers", "1", env={**LIMITS, **env}) as service:
        api = sc.Api(service.url, service.admin_key())
        try:
            jobs = await workload(api, count)
            follower = LogFollower(service.log_path)
            samples = [sample(0, service.process.pid, follower)]
            done, cache_hits, next_job = 0, 0, iter(enumerate(jobs))
            started = time.monotonic()

            async def lane():
                nonlocal done, cache_hits
                for _, (product_id, config) in next_job:
                    job = await api.submit(product_id, config)
                    cache_hits += job["status"] == "COMPLETED"
                    status = job["status"] if job["status"] in sc.TERMINAL else await api.wait(job["id"])
                    if status != "COMPLETED":
                        raise RuntimeError(f"job {job['id']} ended {status}: {await api.job(job['id'])}")
                    done += 1
                    if done % sample_every == 0:
                        samples.append(sample(done, service.process.pid, follower))
                        if done % (10 * sample_every) == 0:
                            last = samples[-1]
                            bc.log(f"{done} jobs, {done / (time.monotonic() - started):.1f}/s; RSS worker "
                                   f"{last['worker_rss_mb']:.0f} MB, engine {last['engine_rss_mb'] or 0:.0f} MB; "
                                   f"fds {last['worker_fds']}/{last['engine_fds']}; load {os.getloadavg()[0]:.1f}")

            await asyncio.gather(*(lane() for _ in range(IN_FLIGHT)))
            elapsed = time.monotonic() - started
        finally:
            await api.close()
    return {"jobs": count, "cache_hits": cache_hits, "elapsed_s": round(elapsed, 1),
            "jobs_per_s": round(count / elapsed, 2), "samples": samples}


def slope_per_1000(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (jobs, MB), in MB per 1000 jobs."""
    n = len(points)
    if n < 2:
        return 0.0
    mean_x, mean_y = sum(x for x, _ in points) / n, sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return 1000 * sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0


def curve(values: list[float]) -> dict:
    return {"first": values[0], "last": values[-1], "max": max(values), "min": min(values)} if values else {}


def analyse(run: dict, warmup: int) -> dict:
    """First/last/max after warm-up, per process; whether anything grew."""
    after = [s for s in run["samples"] if s["jobs"] >= warmup and s["worker_rss_mb"] is not None]
    worker = [s["worker_rss_mb"] for s in after]
    engines = {}
    for s in after:
        if s["engine_rss_mb"] is not None:
            engines.setdefault(s["engine_pid"], []).append((s["jobs"], s["engine_rss_mb"]))
    per_engine = [{"pid": pid, "from_job": points[0][0], "samples": len(points),
                   **curve([mb for _, mb in points])} for pid, points in engines.items()]
    # An engine's drift within its own life (it starts small again after a recycle).
    engine_drift = max((e["max"] - e["first"] for e in per_engine if e["samples"] > 1), default=0.0)
    fds = {name: curve([s[f"{name}_fds"] for s in after if s[f"{name}_fds"] is not None])
           for name in ("supervisor", "worker", "engine")}
    datablocks = [s["datablocks"] for s in after if s["datablocks"] is not None]
    # Counts are flat per engine process: a recycled engine holds only the templates it has
    # loaded since. A group's first sample may still carry the previous engine's last job.
    by_engine: dict = {}
    for s in after:
        if s["datablocks"] is not None:
            by_engine.setdefault(s["engine_pid"], []).append(s["datablocks"])
    flat = bool(by_engine) and all(all(d == counts[-1] for d in counts[1:]) for counts in by_engine.values())
    return {
        "warmup_jobs": warmup, "samples_after_warmup": len(after),
        "worker_rss_mb": curve(worker), "worker_rss_slope_mb_per_1000_jobs": round(slope_per_1000(
            [(s["jobs"], s["worker_rss_mb"]) for s in after]), 3),
        "supervisor_rss_mb": curve([s["supervisor_rss_mb"] for s in after]),
        "engine_processes": per_engine, "engine_rss_drift_mb": engine_drift,
        "worker_pids": sorted({s["worker_pid"] for s in after}),
        "fds": fds, "datablocks_first": datablocks[0] if datablocks else None,
        "datablocks_last": datablocks[-1] if datablocks else None,
        "datablocks_per_engine": {str(pid): sum(counts[-1].values()) for pid, counts in by_engine.items()},
        "datablocks_flat": flat,
        "worker_rss_within_bound": bool(worker) and max(worker) - min(worker) <= 2 * RSS_BOUND_MB
        and abs(worker[-1] - worker[0]) <= RSS_BOUND_MB,
        "engine_rss_within_bound": engine_drift <= RSS_BOUND_MB,
        # The worker's and the engine's: the API beside the supervisor opens and closes connections.
        "fds_flat": all(c and c["last"] <= c["first"] and c["max"] - c["first"] <= 2
                        for c in (fds["worker"], fds["engine"])),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--jobs", type=int, default=JOBS)
    parser.add_argument("--sample-every", type=int, default=SAMPLE_EVERY)
    parser.add_argument("--warmup", type=int, default=WARMUP_JOBS)
    parser.add_argument("--recycle-jobs", type=int, help="WORKER_RECYCLE_JOBS of the worker (default: the service's)")
    parser.add_argument("--output", help="write the results here instead of bench/results/soak.json")
    parser.add_argument("--reanalyse", metavar="JSON", help="no run: analyse the samples of an earlier results file")
    args = parser.parse_args()
    env = {"WORKER_RECYCLE_JOBS": str(args.recycle_jobs)} if args.recycle_jobs else {}
    load_before = os.getloadavg()[0]
    if args.reanalyse:
        with open(args.reanalyse, encoding="utf-8") as handle:
            earlier = json.load(handle)
        run = {k: earlier[k] for k in ("jobs", "cache_hits", "elapsed_s", "jobs_per_s", "samples")}
        load_before, args.jobs, args.warmup = earlier["load_average_before"], earlier["jobs"], earlier["warmup_jobs"]
    else:
        run = asyncio.run(soak(args.jobs, args.sample_every, env))
    result = analyse(run, args.warmup)
    w, fds = result["worker_rss_mb"], result["fds"]
    bc.print_table(f"Soak: {run['jobs']} jobs through one worker ({run['jobs_per_s']} jobs/s, "
                   f"{run['cache_hits']} from the cache), after {args.warmup} jobs of warm-up",
                   ["process", "RSS first MB", "RSS last MB", "RSS max MB", "fds first", "fds last", "fds max"],
                   [["supervisor + API", *(result["supervisor_rss_mb"].get(k) for k in ("first", "last", "max")),
                     *(fds["supervisor"].get(k) for k in ("first", "last", "max"))],
                    ["worker", w.get("first"), w.get("last"), w.get("max"),
                     *(fds["worker"].get(k) for k in ("first", "last", "max"))],
                    *[[f"engine {e['pid']} (from job {e['from_job']})", e["first"], e["last"], e["max"],
                       "", "", ""] for e in result["engine_processes"]]])
    print(f"worker RSS slope: {result['worker_rss_slope_mb_per_1000_jobs']:+.2f} MB per 1000 jobs; "
          f"engine drift within a process: {result['engine_rss_drift_mb']:.1f} MB; datablocks flat within each "
          f"engine process: {result['datablocks_flat']} (totals by engine: {result['datablocks_per_engine']})")
    passed = result["worker_rss_within_bound"] and result["engine_rss_within_bound"] and result["fds_flat"] \
        and result["datablocks_flat"]
    summary = [
        bc.summary_row("soak jobs through one worker", f"{run['jobs']} at {run['jobs_per_s']} jobs/s"),
        bc.summary_row("worker RSS first/last/max after warm-up",
                       f"{w.get('first', 0):.0f}/{w.get('last', 0):.0f}/{w.get('max', 0):.0f} MB",
                       f"±{RSS_BOUND_MB} MB", result["worker_rss_within_bound"]),
        bc.summary_row("worker RSS slope", result["worker_rss_slope_mb_per_1000_jobs"], unit=" MB/1000 jobs"),
        bc.summary_row("engine RSS drift within one engine process", result["engine_rss_drift_mb"],
                       f"≤ {RSS_BOUND_MB} MB", result["engine_rss_within_bound"], unit=" MB"),
        bc.summary_row("open descriptors (worker, engine) do not grow",
                       f"{fds['worker'].get('first')}→{fds['worker'].get('last')}, "
                       f"{fds['engine'].get('first')}→{fds['engine'].get('last')}", "no growth", result["fds_flat"]),
        bc.summary_row("datablock counts flat within each engine process", str(result["datablocks_flat"]), "flat",
                       result["datablocks_flat"]),
    ]
    data = {"jobs": run["jobs"], "cache_hits": run["cache_hits"], "elapsed_s": run["elapsed_s"],
            "jobs_per_s": run["jobs_per_s"], "load_average_before": round(load_before, 2), **result,
            "samples": [{k: v for k, v in s.items() if k != "t"} for s in run["samples"]]}
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            json.dump({**data, "summary": summary, "passed": passed}, handle, indent=1)
        bc.print_summary("soak: summary", summary)
    else:
        bc.save_results("soak", summary, {**data, "passed": passed}, quick=args.jobs < JOBS, digits=2)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
