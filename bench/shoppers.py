"""Shoppers of the storefront, shared by the load run (`load.py`) and the fault runs
(`faults.py`, tests/test_faults_under_load.py).

A shopper acts as the web app does for a visitor who is not logged in: it reads the
storefront key from the served page (`<meta name="configurator-storefront-key">` at `/`),
sends it as `Authorization: Bearer pk_…` with the page's Origin, and follows jobs over the
WebSocket with `?access_key=pk_…` (polling GET /api/v1/jobs/{id} if the socket fails). Each
shopper loops: list products, open the kitchen cabinet, change its options a few times (a
share `new_ratio` of new configurations, Blender runs them; the rest repeat ones already
completed, the result cache answers them), for each: submit, follow to COMPLETED, fetch the
GLB (result_url); sometimes save the configuration and read it back. No think time.

`Stats` keeps latencies and errors per endpoint for the load report, and — for the fault
runs, which must say what happened when — every answer's status with its wall-clock time
(`answers`) and every job id a shopper was given at submit (`submitted_jobs`): so a run can
check that no answer but a 503 was a 5xx, that the 503s fell in the fault's window, and
that every job a shopper submitted ended terminal.
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import random
import re
import time
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Answer:
    """One answer a shopper got: when (wall clock, seconds since the epoch, so a fault's
    window can be compared with it), to what, and its HTTP status (an int) or, when there was
    no HTTP answer, the exception's name."""

    at: float
    endpoint: str
    status: int | str


class Stats:
    def __init__(self):
        self.latencies = collections.defaultdict(list)
        self.errors = collections.defaultdict(collections.Counter)
        self.submitted = self.cached = self.new = self.repeats = 0
        self.completed: set[str] = set()
        self.five_xx: list[str] = []
        self.missed: list[dict] = []
        self.answers: list[Answer] = []
        self.submitted_jobs: dict[str, float] = {}  # job id → when a shopper was given it

    def answered(self, endpoint: str, status: int | str) -> None:
        self.answers.append(Answer(time.time(), endpoint, status))

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
                 configs: Configs, stats: Stats, new_ratio: float, deadline: float,
                 job_timeout: float = sc.JOB_TIMEOUT_SECONDS):
        self.url, self.session, self.key, self.cabinet_id = url, session, key, cabinet_id
        self.configs, self.stats, self.new_ratio, self.deadline = configs, stats, new_ratio, deadline
        self.job_timeout = job_timeout
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
            self.stats.answered(endpoint, type(exc).__name__)
            self.stats.error(endpoint, type(exc).__name__)
            raise Failed(type(exc).__name__) from exc
        self.stats.answered(endpoint, response.status)
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
            async with asyncio.timeout(self.job_timeout):
                async with self.session.ws_connect(ws_url) as ws:
                    async for message in ws:
                        if message.type != aiohttp.WSMsgType.TEXT:
                            break
                        event = message.json()
                        if event["status"] in sc.TERMINAL:
                            return event
            raise RuntimeError("events ended before a terminal status")
        except aiohttp.WSServerHandshakeError as exc:  # the upgrade was answered with an error status
            self.stats.answered("events", exc.status)
            self.stats.errors["job"][f"ws:{exc.status}"] += 1
        except (aiohttp.ClientError, RuntimeError) as exc:
            self.stats.errors["job"][f"ws:{type(exc).__name__}"] += 1
            bc.log(f"{self.name}: events failed for {job_id} ({exc!r}); polling")
        deadline = time.monotonic() + self.job_timeout
        while time.monotonic() < deadline:
            try:
                _, job = await self.call("job_poll", "GET", f"/api/v1/jobs/{job_id}")
            except Failed as failed:  # told to wait (429, 503; call waited), or no answer: ask again
                if failed.status not in (429, 503) and isinstance(failed.status, int):
                    raise
                await asyncio.sleep(0.1)
                continue
            if job["status"] in sc.TERMINAL:
                return job
            await asyncio.sleep(0.1)
        raise TimeoutError(f"job {job_id} not finished after {self.job_timeout} s")

    async def change(self) -> None:
        config, new = self.configs.pick(self.new_ratio, self.rng)
        started = time.perf_counter()
        status, job = await self.call("submit", "POST", "/api/v1/jobs",
                                      {"product_id": self.cabinet_id, "config_data": config}, expect=(200, 202))
        self.stats.submitted_jobs[job["id"]] = time.time()
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


async def warm_up(url: str, admin_key: str, workers: int) -> tuple[dict, list[dict]]:
    """The cabinet (with its schema), and the configurations the workers were warmed with —
    completed, so the result cache holds them and shoppers' repeats start from them."""
    admin = sc.Api(url, admin_key)
    try:
        cabinet = await admin.product(sc.CABINET)
        warm = sc.cabinet_configs(cabinet["config_schema"], 6 * workers, start_mm=1150)
        await sc.warm_workers(admin, cabinet["id"], warm, workers)
        for config in warm:  # warm_workers may stop before the last ones: every one is cached after this
            await admin.run_job(cabinet["id"], config)
    finally:
        await admin.close()
    return cabinet, warm


async def shop(url: str, key: str, cabinet_id: str, configs: Configs, stats: Stats, *, shoppers: int,
               seconds: float, new_ratio: float, job_timeout: float = sc.JOB_TIMEOUT_SECONDS,
               linger: float | None = None) -> float:
    """`shoppers` shoppers for `seconds` (a closed loop each) on one session; returns the time
    they took. A shopper finishes what it is doing at the deadline; with `linger`, what is
    still going that many seconds later is abandoned (a job it submitted stays recorded)."""
    connector = aiohttp.TCPConnector(limit=4 * shoppers)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     headers={"Authorization": f"Bearer {key}", "Origin": url}) as session:
        started = time.monotonic()
        deadline = started + seconds
        crowd = [asyncio.ensure_future(Shopper(i, url, session, key, cabinet_id, configs, stats, new_ratio,
                                               deadline, job_timeout).run()) for i in range(shoppers)]
        _, pending = await asyncio.wait(crowd, timeout=None if linger is None else seconds + linger)
        for task in pending:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*crowd, return_exceptions=True)
        return time.monotonic() - started
