"""Shared parts of the service benchmarks (`service_*.py`): run `server_entry.py serve` as a
real process in a throw-away var dir (embedded PostgreSQL, seeded samples) on a free port,
and talk to it over HTTP: submit jobs, wait for them (WebSocket events, polling as fallback),
and make distinct cabinet configurations from the product's JSON Schema.

Statistics, tables, summaries and results files come from `bench_common`.
All traffic goes to 127.0.0.1; every wait is bounded in time.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import aiohttp

import bench_common as bc
from configurator_addon.db.embedded import EmbeddedPostgres
from configurator_addon.engine.config_validation import validate_config
from configurator_addon.services.seeding import DEMO_CLIENT_ID

CABINET = "Kitchen base cabinet"
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")
READY_TIMEOUT_SECONDS = 240
JOB_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 150


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    """One `serve` process with its own var dir (and so its own embedded database)."""

    def __init__(self, *args: str, env: dict | None = None, root: str = bc.ROOT):
        """`root`: the checkout whose server runs (another one, e.g. a worktree of an older
        commit, to compare against it side by side)."""
        # Under /tmp, world-traversable: as root the embedded cluster runs as `postgres`.
        self.var_dir = tempfile.mkdtemp(prefix="configurator-bench-")
        os.chmod(self.var_dir, 0o755)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(self.var_dir, "server.log")
        environment = {k: v for k, v in os.environ.items()
                       if k not in ("DATABASE_URL", "AZURE_STORAGE_CONNECTION_STRING")}
        environment.update({"PORT": str(self.port), "HOST": "127.0.0.1", "CONFIGURATOR_VAR_DIR": self.var_dir,
                            "LOG_FORMAT": "json", **(env or {})})
        self.environment = environment
        self._log = open(self.log_path, "w")
        # A session of its own, so that the server and its workers can be stopped as one group.
        self.process = subprocess.Popen([bc.PYTHON, os.path.join(root, "server_entry.py"), "serve", *args], cwd=root,
                                        env=environment, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def log_tail(self, chars: int = 4000) -> str:
        with open(self.log_path, errors="replace") as handle:
            return handle.read()[-chars:]

    async def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited early:\n{self.log_tail()}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(self.url + "/ready") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"server not ready after {timeout} s:\n{self.log_tail()}")

    def admin_key(self, client_id: str = str(DEMO_CLIENT_ID)) -> str:
        """A new admin key of `client_id`, made with the operator's command line."""
        done = subprocess.run([bc.PYTHON, bc.SERVER_ENTRY, "admin", "create-key", "--client", client_id,
                               "--kind", "secret", "--role", "admin"], cwd=bc.ROOT, env=self.environment,
                              capture_output=True, text=True, timeout=120, check=True)
        return json.loads(done.stdout)["key"]

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """SIGTERM (workers finish their current job), then SIGKILL the server's process group;
        an embedded cluster left behind by a killed server is stopped before the var dir goes."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                bc.log(f"server {self.process.pid} did not stop in {timeout} s: killing its process group")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()
        with contextlib.suppress(Exception):
            EmbeddedPostgres(os.path.join(self.var_dir, "postgres")).stop()
        shutil.rmtree(self.var_dir, ignore_errors=True)


@contextlib.asynccontextmanager
async def running_service(*args: str, env: dict | None = None, root: str = bc.ROOT):
    """`serve ARGS` (of the checkout at `root`) started, ready, and stopped (its var dir
    removed) on exit."""
    bc.log(f"starting serve {' '.join(args)}")
    service = Service(*args, env=env, root=root)
    try:
        await service.wait_ready()
        yield service
    finally:
        service.stop()


class Api:
    """The HTTP API of one service, over one aiohttp session."""

    def __init__(self, url: str, key: str, connections: int = 20):
        """`key`: the API key to act with (`Service.admin_key`)."""
        self.url = url
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections),
                                             headers={"Authorization": f"Bearer {key}"})

    async def close(self) -> None:
        await self.session.close()

    async def get(self, path: str) -> tuple[int, dict]:
        async with self.session.get(self.url + path) as response:
            return response.status, await response.json(content_type=None)

    async def product(self, name: str) -> dict:
        """The full product (with `config_schema`) named `name`."""
        _, listing = await self.get("/api/v1/products?limit=100")
        summary = next(p for p in listing["items"] if p["name"] == name)
        return (await self.get(f"/api/v1/products/{summary['id']}"))[1]

    async def upload(self, path: str, name: str) -> dict:
        with open(path, "rb") as handle:
            form = aiohttp.FormData()
            form.add_field("name", name)
            form.add_field("template", handle, filename=os.path.basename(path))
            async with self.session.post(self.url + "/api/v1/products", data=form) as response:
                body = await response.json(content_type=None)
        if response.status != 201:
            raise RuntimeError(f"upload failed: {response.status} {body}")
        return body

    async def submit(self, product_id: str, config: dict) -> dict:
        """The job as POST /api/v1/jobs answered it (202 QUEUED, or 200 COMPLETED from the cache)."""
        async with self.session.post(self.url + "/api/v1/jobs",
                                     json={"product_id": product_id, "config_data": config}) as response:
            body = await response.json(content_type=None)
        if response.status not in (200, 202):
            raise RuntimeError(f"submit failed: {response.status} {body}")
        return body

    async def job(self, job_id: str) -> dict:
        return (await self.get(f"/api/v1/jobs/{job_id}"))[1]

    async def wait_events(self, job_id: str, timeout: float = JOB_TIMEOUT_SECONDS) -> str:
        """Follow the job's WebSocket events until a terminal status; returns that status."""
        async with asyncio.timeout(timeout):
            async with self.session.ws_connect(f"{self.url}/api/v1/jobs/{job_id}/events") as ws:
                async for message in ws:
                    if message.type != aiohttp.WSMsgType.TEXT:
                        break
                    status = message.json()["status"]
                    if status in TERMINAL:
                        return status
        raise RuntimeError(f"events of job {job_id} ended before a terminal status")

    async def wait_polling(self, job_id: str, timeout: float = JOB_TIMEOUT_SECONDS, every: float = 0.02) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = (await self.job(job_id))["status"]
            if status in TERMINAL:
                return status
            await asyncio.sleep(every)
        raise TimeoutError(f"job {job_id} not finished after {timeout} s")

    async def wait(self, job_id: str, timeout: float = JOB_TIMEOUT_SECONDS) -> str:
        """Terminal status of the job: WebSocket events, or polling if the socket fails."""
        try:
            return await self.wait_events(job_id, timeout)
        except (aiohttp.ClientError, RuntimeError) as exc:
            bc.log(f"events failed for {job_id} ({exc!r}); polling")
            return await self.wait_polling(job_id, timeout)

    async def run_job(self, product_id: str, config: dict) -> tuple[float, dict]:
        """Submit and wait: (submit → COMPLETED latency in ms, the final job row)."""
        started = time.perf_counter()
        job = await self.submit(product_id, config)
        status = job["status"] if job["status"] in TERMINAL else await self.wait(job["id"])
        elapsed_ms = (time.perf_counter() - started) * 1000
        if status != "COMPLETED":
            raise RuntimeError(f"job {job['id']} ended {status}: {await self.job(job['id'])}")
        return elapsed_ms, job


async def warm_workers(api: Api, product_id: str, configs: list[dict], workers: int, max_rounds: int = 10) -> set:
    """Run rounds of `workers` concurrent jobs until every worker has done at least two; the
    configurations used here must not be reused by the measurement (the cache would answer)."""
    per_worker: dict[str, int] = {}
    pending = list(configs)
    for _ in range(max_rounds):
        if len(per_worker) >= workers and min(per_worker.values()) >= 2:
            break
        batch, pending = pending[:workers], pending[workers:]
        if not batch:
            raise RuntimeError("ran out of warm-up configurations")
        ran = await asyncio.gather(*(api.run_job(product_id, c) for c in batch))
        for _, job in ran:
            worker = (await api.job(job["id"]))["worker_id"]
            per_worker[worker] = per_worker.get(worker, 0) + 1
    bc.log(f"warm: jobs per worker {sorted(per_worker.values())}")
    return set(per_worker)


def cabinet_configs(schema: dict, count: int, start_mm: int = 300) -> list[dict]:
    """`count` distinct valid cabinet configurations: width in 1 mm steps from `start_mm`
    (wrapping within the schema's range), cycling height, depth, shelves and door style; two
    doors where the schema's rule needs them (wider than 0.9 m). Validated against `schema`."""
    props = schema["properties"]
    low_mm, high_mm = round(props["width"]["minimum"] * 1000), round(props["width"]["maximum"] * 1000)
    if count > high_mm - low_mm + 1:
        raise ValueError(f"only {high_mm - low_mm + 1} widths in 1 mm steps")
    heights, depths = (0.7, 0.8, 0.87, 0.9), (0.5, 0.58, 0.65)
    configs = []
    for i in range(count):
        mm = low_mm + (start_mm - low_mm + i) % (high_mm - low_mm + 1)
        config = {"width": mm / 1000, "height": heights[i % 4], "depth": depths[i % 3], "shelf_count": i % 4,
                  "door_style": props["door_style"]["enum"][i % 2], "door_count": 2 if mm > 900 else 1}
        configs.append(validate_config(schema, config))
    return configs


def parse_time(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def median_timings(jobs: list[dict]) -> dict:
    """Median of each `*_ms` field of the server's job `timings`."""
    names = sorted({k for job in jobs for k, v in job["timings"].items()
                    if k.endswith("_ms") and isinstance(v, (int, float))})
    return {name: round(bc.p50([j["timings"][name] for j in jobs if name in j["timings"]]), 2) for name in names}


