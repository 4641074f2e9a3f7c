"""Load generator: N concurrent shoppers for T seconds against a real `serve --workers W`.

Shoppers act as the web app does for a visitor who is not logged in: they read the storefront
key from the served page (`<meta name="configurator-storefront-key">` at `/`), send it as
`Authorization: Bearer pk_…` with the page's Origin, and follow jobs over the WebSocket with
`?access_key=pk_…` (polling GET /api/v1/jobs/{id} if the socket fails). Each shopper loops:
list products, open the kitchen cabinet, change its options a few times (a share `--new-ratio`
of new configurations, Blender runs them; the rest repeat ones already completed, the result
cache answers them), for each: submit, follow to COMPLETED, fetch the GLB (result_url);
sometimes save the configuration and read it back. No think time: a closed loop.

All shoppers share 127.0.0.1, so the storefront's per-address and per-key limits and the
client's job submission limit would answer 429 within seconds: the service this benchmark
starts gets them raised through its environment (STOREFRONT_KEY_RATE/BURST,
STOREFRONT_IP_RATE/BURST, JOB_SUBMIT_RATE/BURST, see LIMITS). Against `--url` of a running
server the server's own limits apply: a 429 (or 503) is counted under errors by status and
the shopper waits its Retry-After (at most RETRY_AFTER_MAX_SECONDS) before going on.

Prints, per endpoint: count, errors by status, p50/p95/p99 ms; jobs/s completed; the share of
submissions answered from the cache; the load average during the run.
Writes bench/results/load.json.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import random
import re
import sys
import time

import aiohttp

import bench_common as bc
import service_common as sc

LIMITS = {"STOREFRONT_KEY_RATE": "100000", "STOREFRONT_KEY_BURST": "100000",
          "STOREFRONT_IP_RATE": "100000", "STOREFRONT_IP_BURST": "100000",
          "JOB_SUBMIT_RATE": "100000", "JOB_SUBMIT_BURST": "100000"}
ENDPOINTS = {
    "list": "GET /api/v1/products",
    "product": "GET /api/v1/products/{id}",
    "submit": "POST /api/v1/jobs",
    "job": "job followed to COMPLETED",  # submit → the terminal event, jobs not answered at submit
    "cached": "job answered COMPLETED at submit (cache)",
    "glb": "GET result_url (GLB)",
    "save": "POST /api/v1/configurations",
    "saved": "GET /api/v1/configurations/{id}",
}
POLL = {"job_poll": "GET /api/v1/jobs/{id} (polling fallback)"}
LABELS = {**ENDPOINTS, **POLL}
META = re.compile(r'<meta\s+name="configurator-storefront-key"\s+content="([^"]+)"')
CHANGES_PER_VISIT = (2, 5)
SAVE_SHARE = 0.3
REQUEST_TIMEOUT_SECONDS = 30
RETRY_AFTER_MAX_SECONDS = 5.0


class Failed(Exception):
    """A request answered with an error status (or not at all): counted, the visit goes on."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class Stats:
    def __init__(self):
        self.latencies = collections.defaultdict(list)
        self.errors = collections.defaultdict(collections.Counter)
        self.submitted = self.cached = self.new = self.repeats = 0
        self.completed: set[str] = set()
        self.five_xx: list[str] = []
        self.missed: list[dict] = []

    def ok(self, endpoint: str, started: float) -> None:
        self.latencies[endpoint].append((time.perf_counter() - started) * 1000)

    def error(self, endpoint: str, status, detail: str = "") -> None:
        self.errors[endpoint][str(status)] += 1
        if isinstance(status, int) and status >= 500 and len(self.five_xx) < 20:
            self.five_xx.append(f"{LABELS[endpoint]}: {status} {detail[:200]}")


class Configs:
    """New configurations are drawn in order from a pool of distinct ones; repeats from the
    configurations that already completed (so the result cache holds them)."""

    def __init__(self, schema: dict, done: list[dict]):
        props = schema["properties"]
        self.schema = schema
        self.widths = round(props["width"]["maximum"] * 1000) - round(props["width"]["minimum"] * 1000) + 1
        self.low_mm = round(props["width"]["minimum"] * 1000)
        self.pool: list[dict] = []
        self.shift = 0
        self.next = 0
        self.done = list(done)
        self.known = {bc.canonical_json(c) for c in done}
        self.exhausted = False

    def _grow(self) -> bool:
        """Another sweep of every width; each start shifts which height, depth, shelves and door
        style go with a width, so 12 sweeps give distinct configurations."""
        if self.shift >= 12:
            return False
        self.pool += sc.cabinet_configs(self.schema, self.widths, start_mm=self.low_mm + self.shift)
        self.shift += 1
        return True

    def pick(self, new_ratio: float, rng: random.Random) -> tuple[dict, bool]:
        if self.done and rng.random() >= new_ratio:
            return rng.choice(self.done), False
        while self.next < len(self.pool) or self._grow():
            config, self.next = self.pool[self.next], self.next + 1
            if bc.canonical_json(config) not in self.known:
                self.known.add(bc.canonical_json(config))
                return config, True
        self.exhausted = True  # every configuration asked for: only repeats from here
        return rng.choice(self.done), False

    def completed(self, config: dict) -> None:
        self.done.append(config)


async def storefront_key(url: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(url + "/") as response:
        page = await response.text()
    match = META.search(page)
    if match is None:
        raise RuntimeError(f"no storefront key in the page at {url}/ (status {response.status}); "
                           "is the web app built (frontend/dist)?")
    return match.group(1)


class Shopper:
    def __init__(self, index: int, url: str, session: aiohttp.ClientSession, key: str, cabinet_id: str,
                 configs: Configs, stats: Stats, new_ratio: float, deadline: float):
        self.url, self.session, self.key, self.cabinet_id = url, session, key, cabinet_id
        self.configs, self.stats, self.new_ratio, self.deadline = configs, stats, new_ratio, deadline
        self.rng = random.Random(index)
        self.name = f"shopper {index}"

    async def call(self, endpoint: str, method: str, path: str, json_body=None, expect=(200,)) -> tuple[int, dict]:
        started = time.perf_counter()
        try:
            async with self.session.request(method, path if path.startswith("http") else self.url + path,
                                            json=json_body) as response:
                if endpoint == "glb":
                    body = await response.read()
                    if response.status in expect and not body.startswith(b"glTF"):
                        self.stats.error(endpoint, "not-glb")
                        raise Failed("not-glb")
                else:
                    body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.stats.error(endpoint, type(exc).__name__)
            raise Failed(type(exc).__name__) from exc
        if response.status not in expect:
            self.stats.error(endpoint, response.status, str(body))
            if response.status in (429, 503):  # as the web app does: wait as told (bounded), then go on
                with contextlib.suppress(ValueError):
                    await asyncio.sleep(min(float(response.headers.get("Retry-After", "1")), RETRY_AFTER_MAX_SECONDS))
            raise Failed(response.status)
        self.stats.ok(endpoint, started)
        return response.status, body

    async def follow(self, job_id: str) -> dict:
        """The terminal event over the WebSocket (storefront key in the query; it carries
        result_url), or the job row by polling if the socket fails."""
        ws_url = f"{self.url}/api/v1/jobs/{job_id}/events?access_key={self.key}"
        try:
            async with asyncio.timeout(sc.JOB_TIMEOUT_SECONDS):
                async with self.session.ws_connect(ws_url) as ws:
                    async for message in ws:
                        if message.type != aiohttp.WSMsgType.TEXT:
                            break
                        event = message.json()
                        if event["status"] in sc.TERMINAL:
                            return event
            raise RuntimeError("events ended before a terminal status")
        except (aiohttp.ClientError, RuntimeError) as exc:
            self.stats.errors["job"][f"ws:{type(exc).__name__}"] += 1
            bc.log(f"{self.name}: events failed for {job_id} ({exc!r}); polling")
        deadline = time.monotonic() + sc.JOB_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            _, job = await self.call("job_poll", "GET", f"/api/v1/jobs/{job_id}")
            if job["status"] in sc.TERMINAL:
                return job
            await asyncio.sleep(0.1)
        raise TimeoutError(f"job {job_id} not finished after {sc.JOB_TIMEOUT_SECONDS} s")

    async def change(self) -> None:
        config, new = self.configs.pick(self.new_ratio, self.rng)
        started = time.perf_counter()
        status, job = await self.call("submit", "POST", "/api/v1/jobs",
                                      {"product_id": self.cabinet_id, "config_data": config}, expect=(200, 202))
        self.stats.submitted += 1
        self.stats.new += new
        self.stats.repeats += not new
        if status == 200 and job["status"] == "COMPLETED":
            self.stats.cached += 1
            self.stats.ok("cached", started)
            final = job
        else:
            if not new and len(self.stats.missed) < 10:  # a repeat the cache did not answer: why
                self.stats.missed.append({"http_status": status, "job": {k: job.get(k) for k in
                                          ("id", "status", "progress", "requesters", "timings", "created_at")}})
            try:
                final = await self.follow(job["id"])
            except TimeoutError:
                self.stats.error("job", "timeout")
                return
            if final["status"] != "COMPLETED":
                self.stats.error("job", final["status"])
                return
            self.stats.ok("job", started)
        self.stats.completed.add(job["id"])
        if new:
            self.configs.completed(config)
        result_url = final.get("result_url")
        if not result_url:
            self.stats.error("job", "no-result_url")
            return
        await self.call("glb", "GET", result_url if result_url.startswith("http") else self.url + result_url)
        if self.rng.random() < SAVE_SHARE:
            _, saved = await self.call("save", "POST", "/api/v1/configurations",
                                       {"product_id": self.cabinet_id, "name": f"{self.name} {time.time():.3f}",
                                        "config_data": config}, expect=(201,))
            await self.call("saved", "GET", f"/api/v1/configurations/{saved['id']}")

    async def visit(self) -> None:
        _, listing = await self.call("list", "GET", "/api/v1/products?limit=24")
        if not any(p["id"] == self.cabinet_id for p in listing["items"]):
            self.stats.error("list", "cabinet-missing")
        await self.call("product", "GET", f"/api/v1/products/{self.cabinet_id}")
        for _ in range(self.rng.randint(*CHANGES_PER_VISIT)):
            if time.monotonic() >= self.deadline:
                return
            with contextlib.suppress(Failed):
                await self.change()

    async def run(self) -> None:
        while time.monotonic() < self.deadline:
            try:
                await self.visit()
            except Failed:
                await asyncio.sleep(0.2)  # what a shopper does after an error page: wait, retry
            except Exception as exc:  # noqa: BLE001 - one odd answer must not end the run
                self.stats.error("list", type(exc).__name__, repr(exc))
                bc.log(f"{self.name}: {exc!r}")
                await asyncio.sleep(0.2)


async def sample_load(samples: list[float], every: float = 1.0) -> None:
    while True:
        samples.append(os.getloadavg()[0])
        await asyncio.sleep(every)


async def measure(url: str, admin_key: str, args) -> dict:
    admin = sc.Api(url, admin_key)
    try:
        cabinet = await admin.product(sc.CABINET)
        schema = cabinet["config_schema"]
        # Warm the workers with configurations of their own; they then seed the repeats.
        warm = sc.cabinet_configs(schema, 6 * args.workers, start_mm=1150)
        await sc.warm_workers(admin, cabinet["id"], warm, args.workers)
        for config in warm:  # warm_workers may stop before the last ones: every one is cached after this
            await admin.run_job(cabinet["id"], config)
    finally:
        await admin.close()
    key = await storefront_key(url)
    bc.log(f"storefront key {key[:10]}…; {args.shoppers} shoppers for {args.seconds} s, new ratio {args.new_ratio}")
    configs, stats = Configs(schema, warm), Stats()
    connector = aiohttp.TCPConnector(limit=4 * args.shoppers)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    loads: list[float] = []
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     headers={"Authorization": f"Bearer {key}", "Origin": url}) as session:
        sampler = asyncio.create_task(sample_load(loads))
        started = time.monotonic()
        deadline = started + args.seconds
        shoppers = [Shopper(i, url, session, key, cabinet["id"], configs, stats, args.new_ratio, deadline)
                    for i in range(args.shoppers)]
        await asyncio.gather(*(s.run() for s in shoppers))
        elapsed = time.monotonic() - started
        sampler.cancel()
    return {"stats": stats, "exhausted": configs.exhausted, "elapsed_s": elapsed, "loads": loads}


def report(args, result: dict, target: str) -> dict:
    stats, elapsed = result["stats"], result["elapsed_s"]
    endpoints = {}
    rows = []
    for name, label in LABELS.items():
        values, errors = stats.latencies.get(name, []), dict(stats.errors.get(name, {}))
        if name == "job_poll" and not values and not errors:
            continue
        entry = {"count": len(values) + sum(v for k, v in errors.items() if not k.startswith("ws:")),
                 "ok": len(values), "errors": errors,
                 "p50_ms": bc.percentile(values, 50), "p95_ms": bc.percentile(values, 95),
                 "p99_ms": bc.percentile(values, 99), "max_ms": max(values, default=float("nan"))}
        endpoints[label] = entry
        shown = ", ".join(f"{k}×{v}" for k, v in sorted(errors.items())) or "—"
        rows.append([label, entry["count"], shown, entry["p50_ms"], entry["p95_ms"], entry["p99_ms"]])
    fresh_per_s = len(stats.latencies["job"]) / elapsed
    jobs_per_s = fresh_per_s + len(stats.latencies["cached"]) / elapsed
    cache_share = stats.cached / stats.submitted if stats.submitted else float("nan")
    loads = result["loads"] or [float("nan")]
    load = {"mean": sum(loads) / len(loads), "max": max(loads), "end": loads[-1]}
    bc.print_table(f"{args.shoppers} shoppers for {elapsed:.0f} s against {target} (ms)",
                   ["endpoint", "count", "errors by status", "p50", "p95", "p99"], rows)
    bc.print_table("Jobs", ["jobs/s completed", "of which followed/s", "submitted", "new asked",
                            "answered from cache", "repeats missed", "load avg 1m mean/max"],
                   [[jobs_per_s, fresh_per_s, stats.submitted, stats.new, f"{cache_share:.0%}",
                     stats.repeats - stats.cached,
                     f"{load['mean']:.2f}/{load['max']:.2f}"]])
    if stats.five_xx:
        print("5xx answers seen:\n  " + "\n  ".join(stats.five_xx), flush=True)
    list_p99 = endpoints[ENDPOINTS["list"]]["p99_ms"]
    five_xx = sum(v for e in stats.errors.values() for k, v in e.items() if k.isdigit() and int(k) >= 500)
    summary = [
        bc.summary_row("p99 GET /api/v1/products under load", list_p99, unit=" ms"),
        bc.summary_row("p99 job followed to COMPLETED under load", endpoints[ENDPOINTS["job"]]["p99_ms"], unit=" ms"),
        bc.summary_row("jobs/s completed under load", jobs_per_s),
        bc.summary_row("submissions answered from the cache", f"{cache_share:.0%}"),
        bc.summary_row("5xx answers under load", str(five_xx)),
    ]
    data = {"target": target, "shoppers": args.shoppers, "seconds": args.seconds, "elapsed_s": elapsed,
            "workers": args.workers, "new_ratio": args.new_ratio, "limits_raised": LIMITS if not args.url else None,
            "endpoints": endpoints, "jobs_completed": len(stats.completed), "jobs_per_s": jobs_per_s,
            "followed_jobs_per_s": fresh_per_s, "submitted": stats.submitted, "new_asked": stats.new,
            "repeats_asked": stats.repeats,
            # a repeat that was not a cache hit (the new-ratio share is of what is asked; the cache share is measured)
            "repeats_not_from_cache": stats.repeats - stats.cached,
            "repeats_not_from_cache_examples": stats.missed,
            "new_configurations_exhausted": result["exhausted"], "answered_from_cache": stats.cached,
            "cache_share": cache_share,
            "five_xx": stats.five_xx, "load_average_1m_during": load}
    return bc.save_results("load", summary, data, quick=args.quick, digits=2)


async def run(args) -> dict:
    if args.url:
        return report(args, await measure(args.url.rstrip("/"), args.key, args), args.url)
    async with sc.running_service("--workers", str(args.workers), env=LIMITS) as service:
        result = await measure(service.url, service.admin_key(), args)
        tail = service.log_tail(200_000)
    errors = [line for line in tail.splitlines() if '"level": "error"' in line or "Traceback" in line]
    if errors:
        bc.log(f"server log: {len(errors)} error lines, e.g. {errors[0][:300]}")
    return report(args, result, f"serve --workers {args.workers}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--shoppers", type=int, default=8, help="concurrent shoppers (default 8)")
    parser.add_argument("--seconds", type=float, default=60, help="how long they shop (default 60)")
    parser.add_argument("--workers", type=int, default=2, help="serve --workers W (default 2)")
    parser.add_argument("--new-ratio", type=float, default=0.3, help="share of new configurations (default 0.3)")
    parser.add_argument("--quick", action="store_true", help="4 shoppers for 15 s")
    parser.add_argument("--url", help="a running server instead of starting one")
    parser.add_argument("--key", help="with --url: an admin secret key (sk_…) of the client that owns the cabinet")
    args = parser.parse_args()
    if args.quick:
        args.shoppers, args.seconds = 4, 15
    if args.url and not args.key:
        parser.error("--url needs --key sk_…")
    return args


def main() -> int:
    args = parse_args()
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
