"""What tracing costs a request: the same request loop against an API process with tracing off
and one with tracing on (OTLP/HTTP to a receiver on this machine), side by side.

The setup, one database for all:
- `serve --workers 1` (its own embedded PostgreSQL, the seeded samples, one supervised worker):
  it makes the one GLB the cached submissions are answered from, and owns the database.
- three `serve --role api --no-seed` processes on that database and var dir, alike in
  everything but the environment: "off" and "off again" have no exporter configured (no
  OpenTelemetry module is even imported), "on" has OTEL_EXPORTER_OTLP_ENDPOINT set to the
  receiver, with the SDK's default batching (a batch every 5 s, or at 512 spans) as it would
  run in production. "off again" is the A/A control: how far two identical processes differ
  by themselves on this machine; what tracing costs is what "on" adds beyond that.
- the receiver: a process of its own (`--receive-on PORT`), an aiohttp endpoint that decodes
  each `ExportTraceServiceRequest` and counts its spans, as a collector would; its work is not
  done by any API process, so none pays for it.
Requests, one at a time, each side on one keep-alive connection, the three sides in turn
(which goes first rotates every round) so all see the same machine:
- GET /health (no database, no credential: the middleware's own cost shows most),
- GET /api/v1/products (authenticated, a database read),
- GET /api/v1/jobs/{id} (a completed job),
- POST /api/v1/jobs answered 200 from the result cache (validation, the insert that stores
  the request's traceparent on the job row).
ROUNDS of each (`--quick`: QUICK_ROUNDS), after WARMUP rounds not counted. Reported per request:
p50 and p95 of each side, the ratios of the p50s to "off" (on / off, and off again / off), and
the medians of the paired differences within a round. At the end the API processes are
stopped (SIGTERM: "on" flushes) and the spans the receiver got are compared with the requests
sent to "on". The 1-minute load average at the start is in the results.

`--on-env NAME=VALUE` (repeatable) adds to the "on" process's environment, to see where the
cost is: `OTEL_TRACES_SAMPLER=always_off` (spans made but not recorded), or a batch delay and
sizes no run reaches (`OTEL_BSP_SCHEDULE_DELAY=600000 OTEL_BSP_MAX_QUEUE_SIZE=1000000
OTEL_BSP_MAX_EXPORT_BATCH_SIZE=1000000`: recorded, exported only at the end).

Usage: .venv/bin/python bench/tracing_overhead.py [--quick] [--on-env NAME=VALUE]...
Writes bench/results/tracing_overhead.json (with --on-env: tracing_overhead_variant.json).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time

import aiohttp

import bench_common as bc
import service_common as sc
from configurator_addon.db.embedded import EmbeddedPostgres

ROUNDS, QUICK_ROUNDS = 1500, 200
WARMUP = 50
SIDES = ("off", "off again", "on")  # "off again": the A/A control
UNLIMITED = str(10**9)
TRACING_VARIABLES = ("OTEL_", "APPLICATIONINSIGHTS_")
TARGET_RATIO = 1.10  # tracing on may add at most a tenth to a request's p50


# -- the receiver (its own process) --------------------------------------------------------------
def receive(port: int) -> None:
    from aiohttp import web
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    counted = {"spans": 0, "exports": 0}

    async def traces(request: web.Request) -> web.Response:
        export = ExportTraceServiceRequest.FromString(await request.read())
        counted["spans"] += sum(len(scope.spans) for resource in export.resource_spans
                                for scope in resource.scope_spans)
        counted["exports"] += 1
        return web.Response(body=b"", content_type="application/x-protobuf")

    async def count(request: web.Request) -> web.Response:
        return web.json_response(counted)

    app = web.Application(client_max_size=64 << 20)
    app.router.add_post("/v1/traces", traces)
    app.router.add_get("/count", count)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


class Receiver:
    def __init__(self):
        self.port = sc.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--receive-on", str(self.port)],
                                        cwd=bc.ROOT)

    async def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                await self.count()
                return
            except aiohttp.ClientError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                await asyncio.sleep(0.1)

    async def count(self) -> dict:
        async with aiohttp.ClientSession() as session:
            async with session.get(self.url + "/count") as response:
                return await response.json()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


class ApiProcess(sc.Service):
    """`serve --role api --no-seed` on the service's database and var dir (its own log and
    port); stopped with SIGTERM, as an orchestrator stops it (the "on" side flushes its spans
    on the way out), leaving the var dir to the service."""

    def __init__(self, service: sc.Service, dsn: str, name: str, env: dict):
        self.var_dir, self.port = service.var_dir, sc.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(service.var_dir, f"api-{name}.log")
        environment = {k: v for k, v in service.environment.items() if not k.startswith(TRACING_VARIABLES)}
        environment.update({"PORT": str(self.port), "DATABASE_URL": dsn, "JOB_SUBMIT_RATE": UNLIMITED,
                            "JOB_SUBMIT_BURST": UNLIMITED, **env})
        self.environment = environment
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen([bc.PYTHON, bc.SERVER_ENTRY, "serve", "--role", "api", "--no-seed"],
                                        cwd=bc.ROOT, env=environment, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def stop(self, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        code = self.process.wait(timeout)
        self._log.close()
        return code


# -- the loop ------------------------------------------------------------------------------------
async def timed(session: aiohttp.ClientSession, method: str, url: str, expected: int, **kwargs) -> float:
    started = time.perf_counter()
    async with session.request(method, url, **kwargs) as response:
        await response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != expected:
        raise RuntimeError(f"{method} {url}: {response.status}, expected {expected}")
    return elapsed


async def run_loop(urls: dict[str, str], key: str, product_id: str, config: dict, job_id: str,
                   rounds: int) -> tuple[dict, int]:
    requests = {
        "GET /health": ("GET", "/health", 200, {}),
        "GET /api/v1/products": ("GET", "/api/v1/products", 200, {}),
        "GET /api/v1/jobs/{id}": ("GET", f"/api/v1/jobs/{job_id}", 200, {}),
        "POST /api/v1/jobs (cached)": ("POST", "/api/v1/jobs", 200,
                                       {"json": {"product_id": product_id, "config_data": config}}),
    }
    sessions = {side: aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1),
                                            headers={"Authorization": f"Bearer {key}"}) for side in SIDES}
    samples = {name: {side: [] for side in SIDES} for name in requests}
    sent_on = 0
    try:
        for number in range(WARMUP + rounds):
            shift = number % len(SIDES)
            order = SIDES[shift:] + SIDES[:shift]
            for name, (method, path, expected, kwargs) in requests.items():
                for side in order:
                    elapsed = await timed(sessions[side], method, urls[side] + path, expected, **kwargs)
                    sent_on += side == "on"
                    if number >= WARMUP:
                        samples[name][side].append(elapsed)
    finally:
        for session in sessions.values():
            await session.close()
    return samples, sent_on


def figures(samples: dict) -> dict:
    out = {}
    for name, sides in samples.items():
        off = sides["off"]
        entry = {"count": len(off)}
        for side, values in sides.items():
            entry[f"{side} p50_ms"] = bc.p50(values)
            entry[f"{side} p95_ms"] = bc.p95(values)
            if side != "off":
                entry[f"{side}/off p50"] = bc.p50(values) / bc.p50(off)
                entry[f"{side} paired_added_ms"] = statistics.median(b - a for a, b in zip(off, values, strict=True))
        out[name] = entry
    return out


async def main(quick: bool, on_env: dict[str, str]) -> int:
    rounds = QUICK_ROUNDS if quick else ROUNDS
    receiver = Receiver()
    await receiver.wait_ready()
    try:
        async with sc.running_service("--workers", "1") as service:
            key = await asyncio.to_thread(service.admin_key)
            dsn = EmbeddedPostgres(os.path.join(service.var_dir, "postgres")).start(join_running=True)
            api = sc.Api(service.url, key)
            try:
                product = await api.product(sc.CABINET)
                config = sc.cabinet_configs(product["config_schema"], 1)[0]
                _, job = await api.run_job(product["id"], config)  # the result the cached submissions get
            finally:
                await api.close()
            sides = {"off": ApiProcess(service, dsn, "off", {}), "off again": ApiProcess(service, dsn, "off-again", {}),
                     "on": ApiProcess(service, dsn, "on", {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, **on_env})}
            try:
                for side in sides.values():
                    await side.wait_ready()
                load = os.getloadavg()[0]
                bc.log(f"{rounds} rounds of 4 requests per side, load average {load:.2f}")
                samples, sent_on = await run_loop({side: process.url for side, process in sides.items()}, key,
                                                  product["id"], config, job["id"], rounds)
            finally:
                codes = {side: process.stop() for side, process in sides.items()}
            if set(codes.values()) != {0}:
                raise RuntimeError(f"API processes exited {codes}")
    finally:
        counted = await receiver.count()
        receiver.stop()

    results = figures(samples)
    rows = [[name, *(bc.fmt(f[f"{side} p50_ms"], 3) for side in SIDES),
             bc.fmt(f["on/off p50"], 3), bc.fmt(f["off again/off p50"], 3),
             bc.fmt(f["on paired_added_ms"], 3), bc.fmt(f["off again paired_added_ms"], 3),
             bc.fmt(f["off p95_ms"], 3), bc.fmt(f["on p95_ms"], 3)]
            for name, f in results.items()]
    bc.print_table(f"tracing off vs on, {rounds} rounds (load average {load:.2f} at the start)",
                   ["request", "off p50 ms", "off again p50 ms", "on p50 ms", "on/off p50", "A/A p50",
                    "on added ms (paired)", "A/A added ms", "off p95 ms", "on p95 ms"], rows)
    worst = max(f["on/off p50"] for f in results.values())
    worst_aa = max(abs(f["off again/off p50"] - 1) for f in results.values())
    summary = [bc.summary_row("worst on/off p50 ratio", round(worst, 3), f"<= {TARGET_RATIO}", worst <= TARGET_RATIO),
               bc.summary_row("worst A/A p50 difference", f"{worst_aa:.1%}"),
               bc.summary_row("spans received / requests traced", f"{counted['spans']} / {sent_on}", "all",
                              None if on_env else counted["spans"] >= sent_on)]  # a variant may not record
    bc.save_results("tracing_overhead_variant" if on_env else "tracing_overhead", summary,
                    {"rounds": rounds, "on_env": on_env, "warmup": WARMUP, "load_average_at_start": load,
                     "requests": results,
                     "spans_received": counted["spans"], "exports_received": counted["exports"],
                     "requests_traced": sent_on}, quick=quick)
    return 0 if bc.all_passed(summary) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--on-env", action="append", default=[], metavar="NAME=VALUE",
                        help="add to the environment of the process with tracing on")
    parser.add_argument("--receive-on", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receive_on:
        receive(args.receive_on)
    else:
        sys.exit(asyncio.run(main(args.quick, dict(v.split("=", 1) for v in args.on_env))))
