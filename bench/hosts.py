"""Job throughput by worker processes and hosts, side by side in one run: one host with 1, 2
and 4 worker processes, and two hosts with 1 and with 2 worker processes each.

A host is a network namespace of its own (`tests/netns.py`) running `serve --role worker
--workers N --no-seed`; PostgreSQL, Azurite and the API (`serve --role api`, which seeds the
samples) run in the root namespace and are the same for every shape, so the shapes differ
only in their workers. The one-host shapes run in a namespace too, so every job crosses the
same bridge. Each shape: its hosts started, every worker warmed with a few jobs, then
`--jobs` distinct cabinet configurations (never seen before in the run: the result cache
cannot answer, Blender runs every one) submitted at once and waited for until every one is
COMPLETED. Throughput = jobs / (first submit → last completion seen by the client); the
server's span (first created_at → last completed_at) beside it. Two rounds, the second in
reverse order, so that a load that drifts during the run (others share the machine) weighs
on every shape alike; each shape's mean over its rounds is compared with one host × 1.

All of it shares this machine's CPUs: the API, PostgreSQL, Azurite, the client and every
worker with its engine. With 2 CPUs, 4 worker processes cannot beat 2, and two hosts are
the same CPUs as one: the figures show the cost of the topology, not more capacity.

    .venv/bin/python bench/hosts.py            # 200 jobs per shape
    .venv/bin/python bench/hosts.py --quick    # 60

Needs root (network namespaces). Writes bench/results/hosts.json.
"""
from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time

import bench_common as bc
import service_common as sc
import service_throughput as st
from soak import distinct_cabinet_configs

sys.path.insert(0, os.path.join(bc.ROOT, "tests"))
from netns import HostNetwork, Services, WorkerHost  # noqa: E402

JOBS, QUICK_JOBS = 200, 60
# (hosts, worker processes per host)
SHAPES = ((1, 1), (1, 2), (1, 4), (2, 1), (2, 2))
ROUNDS = 2
LIMITS = {"JOB_SUBMIT_RATE": "1000", "JOB_SUBMIT_BURST": "100000"}
READY_TIMEOUT_SECONDS = 240
RUN_TIMEOUT_SECONDS = 900


def wait_engines(host: WorkerHost, count: int, timeout: float = READY_TIMEOUT_SECONDS) -> None:
    """Until `count` workers of the host have their engine process warm (they log it)."""
    deadline = time.monotonic() + timeout
    while host.log(10**8).count('"engine process started"') < count:
        if host.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"host {host.host} not ready:\n{host.log()}")
        time.sleep(0.2)


async def run_shape(network: HostNetwork, services: Services, api: sc.Api, cabinet: dict, configs,
                    hosts: int, workers: int, count: int, workdir: str) -> dict:
    label = f"{hosts} host{'s' if hosts > 1 else ''} × {workers}"
    bc.log(f"{label}: starting")
    started_hosts = [WorkerHost(network, host, os.path.join(workdir, f"{host}-{hosts}x{workers}"), workers=workers,
                                env=services.host_environment({"METRICS_PORT": ""}))
                     for host in network.hosts[:hosts]]
    try:
        for host in started_hosts:
            await asyncio.to_thread(wait_engines, host, workers)
        await sc.warm_workers(api, cabinet["id"], list(itertools.islice(configs, 8 * hosts * workers)),
                              hosts * workers)
        batch = list(itertools.islice(configs, count))
        bc.log(f"{label}: submitting {count} jobs")
        began = time.perf_counter()
        jobs = await st.submit_all(api, cabinet["id"], batch)
        submitted = time.perf_counter()
        await st.wait_all(api, jobs, time.monotonic() + RUN_TIMEOUT_SECONDS)
        finished = time.perf_counter()
        rows = await st.fetch_all(api, jobs)
    finally:
        for host in started_hosts:
            host.stop(timeout=60)
    wall = finished - began
    span = (max(sc.parse_time(r["completed_at"]) for r in rows)
            - min(sc.parse_time(r["created_at"]) for r in rows)).total_seconds()
    per_host = {h.host: sum(1 for r in rows if h.owns(r["worker_id"])) for h in started_hosts}
    per_worker: dict[str, int] = {}
    for row in rows:
        per_worker[row["worker_id"]] = per_worker.get(row["worker_id"], 0) + 1
    return {"shape": label, "hosts": hosts, "workers_per_host": workers, "workers": hosts * workers,
            "jobs": count, "cache_hits": sum(1 for r in rows if r["timings"].get("cached")),
            "wall_s": round(wall, 3), "submit_s": round(submitted - began, 3), "jobs_per_s": round(count / wall, 2),
            "server_span_s": round(span, 3), "server_jobs_per_s": round(count / span, 2),
            "jobs_per_host": per_host, "jobs_per_worker": sorted(per_worker.values()),
            "server_timings_p50_ms": sc.median_timings(rows)}


def admin_key(service: sc.Service, attempts: int = 3) -> str:
    """`service.admin_key()`, tried again after a failure (its output logged): a busy machine."""
    for attempt in range(attempts):
        try:
            return service.admin_key()
        except subprocess.CalledProcessError as exc:
            bc.log(f"admin create-key failed ({attempt + 1}/{attempts}): {exc.stderr[-1500:]}")
            if attempt == attempts - 1:
                raise
            time.sleep(2)
    raise AssertionError("unreachable")


async def run_all(count: int) -> list[dict]:
    workdir = tempfile.mkdtemp(prefix="configurator-bench-hosts-")
    os.chmod(workdir, 0o755)  # as root the cluster runs as `postgres`, which must reach it
    try:
        with HostNetwork(2) as network, Services(network, os.path.join(workdir, "shared")) as services:
            service = sc.Service("--role", "api", env={"DATABASE_URL": services.local_database_url,
                                                       "AZURE_STORAGE_CONNECTION_STRING": services.storage, **LIMITS})
            try:
                await service.wait_ready()
                api = sc.Api(service.url, admin_key(service))
                try:
                    cabinet = await api.product(sc.CABINET)
                    configs = distinct_cabinet_configs(cabinet["config_schema"])
                    # Rounds in alternating order (forward, backward, …): the machine's load drifts, and
                    # each shape then sees early and late parts of the run alike.
                    runs = []
                    for round_number in range(ROUNDS):
                        order = SHAPES if round_number % 2 == 0 else SHAPES[::-1]
                        for hosts, workers in order:
                            run = await run_shape(network, services, api, cabinet, configs, hosts, workers, count,
                                                  os.path.join(workdir, f"round{round_number}"))
                            runs.append({**run, "round": round_number, "load_average_1m": round(os.getloadavg()[0], 1)})
                    return runs
                finally:
                    await api.close()
            finally:
                service.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    args = bc.parse_args(__doc__)
    count = QUICK_JOBS if args.quick else JOBS
    load_before = os.getloadavg()[0]
    runs = asyncio.run(run_all(count))
    shapes = []
    for hosts, workers in SHAPES:
        mine = [r for r in runs if (r["hosts"], r["workers_per_host"]) == (hosts, workers)]
        shapes.append({"shape": mine[0]["shape"], "workers": hosts * workers,
                       "jobs_per_s_by_round": [r["jobs_per_s"] for r in mine],
                       "jobs_per_s": round(sum(r["jobs_per_s"] for r in mine) / len(mine), 2),
                       "load_by_round": [r["load_average_1m"] for r in mine]})
    base = shapes[0]["jobs_per_s"]
    for shape in shapes:
        shape["over_one_worker"] = round(shape["jobs_per_s"] / base, 3)
    bc.print_table(f"Throughput by shape, {count} distinct cabinet jobs each, submitted at once, {ROUNDS} rounds in "
                   f"alternating order (load average before {load_before:.1f}, {os.cpu_count()} CPUs)",
                   ["shape", "workers", "jobs/s by round", "mean jobs/s", "÷ 1 host × 1", "load by round"],
                   [[r["shape"], r["workers"], " ".join(f"{v:.1f}" for v in r["jobs_per_s_by_round"]), r["jobs_per_s"],
                     r["over_one_worker"], " ".join(f"{v:.1f}" for v in r["load_by_round"])] for r in shapes])
    summary = [bc.summary_row(f"jobs/s, {r['shape']}", f"{r['jobs_per_s']:.1f} jobs/s ({r['over_one_worker']:.2f}x)")
               for r in shapes]
    bc.save_results("hosts", summary, {"jobs": count, "rounds": ROUNDS, "load_average_before": round(load_before, 2),
                                       "shapes": shapes, "runs": runs},
                    quick=args.quick, digits=2)
    spread = all(all(n > 0 for n in r["jobs_per_host"].values()) for r in runs)
    return 0 if spread and all(r["cache_hits"] == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
