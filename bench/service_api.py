"""API speed, two parts.

(a) Capacity of one API process (`serve --role api`, its own embedded database): a fixed
    count of GET /api/v1/products (3000; `--quick` 500) over 20 concurrent keep-alive
    connections: requests/s, p50/p99. GET /health the same way, as the ceiling of aiohttp
    plus this Python client on this machine. No fixed target.
(b) Latency while the workers are busy (`serve --workers 2`): both workers on ~10 s jobs (the
    `slow.blend` test template at detail 9), meanwhile GET /health and GET /api/v1/products,
    one request at a time, each at 20 Hz (interleaved), 200 each (`--quick` 60). Target:
    p99 < 50 ms for both. The same sampling with idle workers first, for comparison.
Writes bench/results/service_api.json.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time

import aiohttp

import bench_common as bc
import service_common as sc

LOAD_REQUESTS, QUICK_LOAD_REQUESTS = 3000, 500
CONNECTIONS = 20
SAMPLES, QUICK_SAMPLES = 200, 60
SAMPLE_HZ = 20
SLOW_DETAIL = 9
SLOW_JOBS = 6  # 3 per worker: busy well past the sampling window
BUSY_TIMEOUT_SECONDS = 120
TARGET_P99_MS = 50.0
FIXTURES = os.path.join(bc.ROOT, "tests", "template_fixtures.py")


async def load(api: sc.Api, path: str, count: int) -> dict:
    """`count` GETs of `path` over `CONNECTIONS` concurrent connections."""
    remaining = iter(range(count))
    latencies: list[float] = []
    errors = 0

    async def connection():
        nonlocal errors
        for _ in remaining:
            started = time.perf_counter()
            async with api.session.get(api.url + path) as response:
                await response.read()
                errors += response.status != 200
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(connection() for _ in range(CONNECTIONS))), 300)
    elapsed = time.perf_counter() - started
    return {"requests": count, "errors": errors, "req_per_s": round(count / elapsed, 1),
            "p50_ms": bc.p50(latencies), "p99_ms": bc.percentile(latencies, 99)}


async def sample(api: sc.Api, paths: list[str], per_path: int) -> dict[str, list[float]]:
    """One request at a time, cycling through `paths`, each path at `SAMPLE_HZ`."""
    interval = 1 / (SAMPLE_HZ * len(paths))
    latencies: dict[str, list[float]] = {p: [] for p in paths}
    next_at = time.perf_counter()
    for i in range(per_path * len(paths)):
        path = paths[i % len(paths)]
        started = time.perf_counter()
        async with api.session.get(api.url + path, timeout=aiohttp.ClientTimeout(total=30)) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {path}: {response.status}")
        latencies[path].append((time.perf_counter() - started) * 1000)
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    return latencies


def stats(latencies: list[float]) -> dict:
    return {"n": len(latencies), "p50_ms": bc.p50(latencies), "p99_ms": bc.percentile(latencies, 99),
            "max_ms": max(latencies)}


def build_slow_template(directory: str) -> str:
    subprocess.run([bc.PYTHON, FIXTURES, os.path.join(directory, "out"), os.path.join(directory, "markers")],
                   check=True, capture_output=True, timeout=300)
    return os.path.join(directory, "out", "slow.blend")


async def processing(api: sc.Api, jobs: list[dict]) -> int:
    return sum([(await api.job(j["id"]))["status"] == "PROCESSING" for j in jobs])


async def capacity(count: int) -> dict:
    async with sc.running_service("--role", "api") as service:
        api = sc.Api(service.url, service.admin_key(), connections=CONNECTIONS)
        try:
            await load(api, "/api/v1/products", 100)  # warm-up
            return {"/api/v1/products": await load(api, "/api/v1/products", count),
                    "/health": await load(api, "/health", count)}
        finally:
            await api.close()


async def busy_latency(per_path: int) -> dict:
    paths = ["/health", "/api/v1/products"]
    with tempfile.TemporaryDirectory() as scratch:
        slow_path = build_slow_template(scratch)
        async with sc.running_service("--workers", "2", env={"BLENDER_TIMEOUT_SECONDS": "60"}) as service:
            api = sc.Api(service.url, service.admin_key())
            try:
                product = await api.upload(slow_path, "Slow box")
                cabinet = await api.product(sc.CABINET)  # started and warm, so "idle" is idle
                await sc.warm_workers(api, cabinet["id"], sc.cabinet_configs(cabinet["config_schema"], 8), 2)
                idle = await sample(api, paths, per_path)
                jobs = [await api.submit(product["id"], {"detail": SLOW_DETAIL, "width": 0.6 + k / 100})
                        for k in range(SLOW_JOBS)]
                deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
                while await processing(api, jobs) < 2:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the two workers never got busy")
                    await asyncio.sleep(0.2)
                started = time.perf_counter()
                busy = await sample(api, paths, per_path)
                window_s = time.perf_counter() - started
                busy_at_end = await processing(api, jobs)
                for job in jobs:  # queued ones stop at once; running ones at their next stage
                    await api.session.post(f"{api.url}/api/v1/jobs/{job['id']}/cancel")
            finally:
                await api.close()
    return {"idle": {p: stats(v) for p, v in idle.items()}, "busy": {p: stats(v) for p, v in busy.items()},
            "window_s": round(window_s, 1), "workers_busy_at_end": busy_at_end}


def main() -> int:
    args = bc.parse_args(__doc__)
    cap = asyncio.run(capacity(QUICK_LOAD_REQUESTS if args.quick else LOAD_REQUESTS))
    bc.print_table(f"(a) One API process, {CONNECTIONS} concurrent connections",
                   ["endpoint", "requests", "errors", "req/s", "p50 ms", "p99 ms"],
                   [[p, r["requests"], r["errors"], r["req_per_s"], r["p50_ms"], r["p99_ms"]] for p, r in cap.items()])
    busy = asyncio.run(busy_latency(QUICK_SAMPLES if args.quick else SAMPLES))
    rows = [[f"{p}, workers {state}", s["n"], s["p50_ms"], s["p99_ms"], s["max_ms"]]
            for state in ("idle", "busy") for p, s in busy[state].items()]
    bc.print_table(f"(b) Sequential latency at {SAMPLE_HZ} Hz per endpoint, `--workers 2`; busy window "
                   f"{busy['window_s']} s, {busy['workers_busy_at_end']} workers still busy at its end",
                   ["endpoint", "n", "p50 ms", "p99 ms", "max ms"], rows)
    products = cap["/api/v1/products"]
    summary = [
        bc.summary_row(f"API GET /api/v1/products, {CONNECTIONS} connections", f"{products['req_per_s']:.0f} req/s "
                       f"(p50 {products['p50_ms']:.1f}, p99 {products['p99_ms']:.1f} ms)"),
        *[bc.summary_row(f"API {p} p99, 2 workers busy", s["p99_ms"], f"< {TARGET_P99_MS:g} ms",
                         s["p99_ms"] < TARGET_P99_MS and busy["workers_busy_at_end"] == 2, " ms")
          for p, s in busy["busy"].items()],
    ]
    bc.save_results("service_api", summary, {"capacity": cap, "latency": busy}, quick=args.quick, digits=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
