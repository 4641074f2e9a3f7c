"""Faults under load: shoppers (`shoppers.py`) run against a real `serve --workers W` on a
PostgreSQL cluster and an Azurite of this run's own, while one fault at a time strikes —

- `kills`: a worker process SIGKILLed every `--kill-every` s for `--kill-for` s (one the
  database says is mid-job, when there is one);
- `postgres`: the cluster stopped (fast shutdown) and started again on the same port;
- `storage`: Azurite stopped for `--outage` s and started again on the same port and data.

After each fault the shoppers stop, the queue drains (no job left PENDING, QUEUED or
PROCESSING), and the run is judged from the database, the blob store and the server's
structured log (`audit`): every job a shopper submitted exists and is terminal; none
completed twice (the worker's "job completed" event, one per completion, counted per job
id; a job born COMPLETED from the result cache has none, nor one whose worker was killed
between its COMPLETE and its log line); every completed job's GLB is in the store; no
shopper saw a 5xx other than 503, nor a 503 outside the fault's window (plus
`GRACE_SECONDS`); and a fresh job completes afterwards.

tests/test_faults_under_load.py runs the same faults, shorter, with this module's parts.

Prints per fault: submitted, completed, failed, lost, duplicated, 5xx other than 503, 503
count, drain time (after the shoppers stopped; `drained_after_fault_s` in the JSON counts from the
fault's end). Writes bench/results/faults.json.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field

import aiohttp
import asyncpg

import bench_common as bc
import service_common as sc
from configurator_addon.db.embedded import EmbeddedPostgres
from configurator_addon.storage import AzureBlobStore
from shoppers import LIMITS, Configs, Stats, shop, storefront_key, warm_up

AZURITE_BLOB = os.path.join(bc.ROOT, "tests", "node", "node_modules", ".bin", "azurite-blob")
# Azurite's well-known development account (public, documented by Microsoft).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
CONTAINER = "configurator"  # the service's default AZURE_STORAGE_CONTAINER
START_TIMEOUT_SECONDS = 30
# A 503 answered just after a fault ended was decided while it lasted (a request that
# waited on a connection, a shopper's last Retry-After): counted as inside the window.
GRACE_SECONDS = 5.0
DRAIN_TIMEOUT_SECONDS = 240
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")
# A job every attempt of which was killed under it ends FAILED with the worker's death as
# its error, once its retries are spent: the queue did what it promises. No other failure
# is acceptable under these faults (the shoppers' configurations are all valid).
WORKER_DEATH_CODES = ("WORKER_CRASHED", "WORKER_LOST")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Azurite:
    """Azurite's blob service on a fixed port with its data on disk (`--location`), so it can
    be killed and started again as the same service with the same blobs."""

    def __init__(self, folder: str):
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.connection_string = ("DefaultEndpointsProtocol=http;"
                                  f"AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
                                  f"BlobEndpoint=http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT};")

    def start(self) -> None:
        if not os.access(AZURITE_BLOB, os.X_OK):
            raise RuntimeError(f"Azurite is not installed ({AZURITE_BLOB}); run `make node-tools`")
        with open(os.path.join(self.folder, "azurite.log"), "ab") as log:
            self.process = subprocess.Popen(
                [AZURITE_BLOB, "--location", self.folder, "--skipApiVersionCheck", "--blobHost", "127.0.0.1",
                 "--blobPort", str(self.port), "--silent", "--disableTelemetry"],
                cwd=self.folder, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not _accepts_connections(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Azurite did not listen on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM: the port closes at once. Not SIGKILL: Azurite acknowledges a write before
        its metadata file is saved (every few seconds), so a killed Azurite forgets blobs it
        had stored — measured here, three completed jobs' GLBs gone — which Azure Storage,
        durable once it answers, never does."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(START_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Rig:
    """A PostgreSQL cluster, an Azurite and `serve --workers W` using both, each of this rig's
    own (in one world-traversable folder: as root the cluster runs as `postgres`)."""

    def __init__(self, workers: int = 2):
        self.workers = workers
        self.folder = tempfile.mkdtemp(prefix="configurator-faults-")
        os.chmod(self.folder, 0o755)
        os.makedirs(os.path.join(self.folder, "azurite"))
        self.cluster = EmbeddedPostgres(os.path.join(self.folder, "pg", "data"), fast=True)
        self.azurite = Azurite(os.path.join(self.folder, "azurite"))
        self.service: sc.Service | None = None
        self.dsn = ""
        self.admin_key = ""

    async def start(self) -> None:
        self.dsn = await asyncio.to_thread(self.cluster.start)
        await asyncio.to_thread(self.azurite.start)
        self.service = sc.Service("--workers", str(self.workers), env={
            **LIMITS, "DATABASE_URL": self.dsn, "AZURE_STORAGE_CONNECTION_STRING": self.azurite.connection_string})
        await self.service.wait_ready()
        self.admin_key = await asyncio.to_thread(self.service.admin_key)

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
        self.azurite.stop()
        with contextlib.suppress(Exception):
            self.cluster.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def url(self) -> str:
        return self.service.url

    async def busy_worker_pids(self) -> list[int]:
        """The worker processes the database says are running a job now (worker_id is
        host:pid:start)."""
        conn = await asyncpg.connect(self.dsn)
        try:
            ids = await conn.fetch("SELECT worker_id FROM jobs WHERE status = 'PROCESSING'")
        finally:
            await conn.close()
        return [int(row["worker_id"].split(":")[1]) for row in ids if row["worker_id"]]

    def worker_pids(self) -> list[int]:
        """The supervisor's worker processes: its children started as `serve --role worker`."""
        pid = self.service.process.pid
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            children = [int(c) for c in handle.read().split()]
        workers = []
        for child in children:
            with contextlib.suppress(OSError), open(f"/proc/{child}/cmdline", "rb") as handle:
                if b"\0--role\0worker\0" in handle.read():
                    workers.append(child)
        return workers

    def server_log(self) -> str:
        with open(self.service.log_path, errors="replace") as handle:
            return handle.read()


# -- faults ---------------------------------------------------------------------------------
@dataclass
class Window:
    """When a fault struck (wall clock), what it did, and how the API answered what was
    asked of it meanwhile (`probes`)."""

    started: float = 0.0
    ended: float = 0.0
    actions: list[str] = field(default_factory=list)
    probes: list[dict] = field(default_factory=list)
    killed: set[int] = field(default_factory=set)  # worker pids


async def kill_workers(rig: Rig, window: Window, *, every: float, lasting: float, seed: int = 12) -> None:
    """SIGKILL a worker every `every` s for `lasting` s (the supervisor restarts it): one
    running a job if the database names one (so the kills land mid-job), else any."""
    rng = random.Random(seed)
    window.started = time.time()
    end = time.monotonic() + lasting
    while time.monotonic() < end:
        workers, busy = rig.worker_pids(), []
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            busy = [pid for pid in await rig.busy_worker_pids() if pid in workers]
            workers = busy or workers
        if workers:
            victim = rng.choice(workers)
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
                window.killed.add(victim)
                window.actions.append(f"killed worker {victim}{' mid-job' if victim in busy else ''}")
        await asyncio.sleep(every)
    window.ended = time.time()


async def restart_postgres(rig: Rig, window: Window, *, down: float = 2.0) -> None:
    """Fast shutdown (every connection dropped), `down` s without a database, start again on
    the same port."""
    window.started = time.time()
    await asyncio.to_thread(rig.cluster.stop)
    window.actions.append("postgres stopped")
    await asyncio.sleep(down)
    await asyncio.to_thread(rig.cluster.start)
    window.actions.append("postgres started")
    window.ended = time.time()


async def storage_outage(rig: Rig, window: Window, *, lasting: float = 20.0) -> None:
    """Azurite stopped, `lasting` s without blob storage, started again on the same data.
    Meanwhile a product upload (which must store its template) is tried: it should be
    answered 503 STORAGE_UNAVAILABLE with Retry-After while the storage is still away."""
    window.started = time.time()
    await asyncio.to_thread(rig.azurite.stop)
    window.actions.append("azurite stopped")
    probe = asyncio.create_task(upload_probe(rig))
    await asyncio.sleep(lasting)
    await asyncio.to_thread(rig.azurite.start)
    window.actions.append("azurite started")
    window.ended = time.time()
    window.probes.append(await probe)


PROBE_TEMPLATE = os.path.join(bc.ROOT, "templates", "range_hood.blend")


async def upload_probe(rig: Rig) -> dict:
    """POST /api/v1/products with a sample template: the status, code, Retry-After and time."""
    admin = sc.Api(rig.url, rig.admin_key)
    started = time.monotonic()
    try:
        with open(PROBE_TEMPLATE, "rb") as handle:
            form = aiohttp.FormData()
            form.add_field("name", f"Probe {uuid.uuid4().hex[:8]}")
            form.add_field("template", handle, filename="template.blend")
            async with admin.session.post(rig.url + "/api/v1/products", data=form) as response:
                body = await response.json(content_type=None)
                return {"status": response.status, "code": body.get("code"), "content_type": response.content_type,
                        "retry_after": response.headers.get("Retry-After"),
                        "seconds": round(time.monotonic() - started, 2)}
    finally:
        await admin.close()


FAULTS = {"kills": kill_workers, "postgres": restart_postgres, "storage": storage_outage}


# -- a run ----------------------------------------------------------------------------------
@dataclass
class Load:
    """What the shoppers need, made once per rig: the cabinet, the storefront key, and the
    configurations (shared by every run, so later runs' repeats are cached ones)."""

    cabinet: dict
    key: str
    configs: Configs

    @classmethod
    async def prepare(cls, rig: Rig) -> Load:
        cabinet, warm = await warm_up(rig.url, rig.admin_key, rig.workers)
        return cls(cabinet, await storefront_key(rig.url), Configs(cabinet["config_schema"], warm))


async def under_load(rig: Rig, load: Load, fault, *, shoppers: int, seconds: float, fault_after: float,
                     new_ratio: float = 0.3, **fault_options) -> dict:
    """Shoppers for `seconds`; `fault(rig, window, **fault_options)` strikes `fault_after` s in.
    Then the drain and the audit; returns the audit with the window and the drain time."""
    stats, window = Stats(), Window()

    async def strike():
        await asyncio.sleep(fault_after)
        await fault(rig, window, **fault_options)

    striking = asyncio.create_task(strike())
    # A shopper's job outlives no fault by much: past `linger` s after the deadline what a
    # shopper still waits for is abandoned (its submitted job stays in the audit).
    elapsed = await shop(rig.url, load.key, load.cabinet["id"], load.configs, stats, shoppers=shoppers,
                         seconds=seconds, new_ratio=new_ratio, job_timeout=90, linger=60)
    await striking  # a fault always ends (it may outlast the shoppers)
    drain_s = await drain(rig.dsn)
    drained_after_fault_s = time.time() - window.ended
    outcome = await audit(rig, stats, window)
    outcome.update({"shopped_s": round(elapsed, 1), "drain_s": round(drain_s, 2),
                    "drained_after_fault_s": round(drained_after_fault_s, 1), "actions": window.actions,
                    "probes": window.probes,
                    "window_s": round(window.ended - window.started, 1),
                    "fresh_job": await fresh_job(rig, load)})
    return outcome


async def drain(dsn: str, timeout: float = DRAIN_TIMEOUT_SECONDS) -> float:
    """Seconds until no job is left PENDING, QUEUED or PROCESSING (polling the database)."""
    started, left = time.monotonic(), "?"
    while True:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            conn = await asyncpg.connect(dsn)
            try:
                left = await conn.fetchval("SELECT count(*) FROM jobs WHERE status <> ALL($1::text[])",
                                           list(TERMINAL))
            finally:
                await conn.close()
            if left == 0:
                return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{left} jobs still not terminal {timeout} s after the shoppers stopped")
        await asyncio.sleep(0.25)


def job_events(server_log: str, message: str) -> collections.Counter:
    """Per job id, how many times a worker logged `message` ("job completed" is written once
    the fenced COMPLETE landed; "result stored after a storage outage" when a GLB was held
    through one)."""
    counts: collections.Counter = collections.Counter()
    for line in server_log.splitlines():
        if f'"{message}"' not in line:
            continue
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if entry.get("message") == message and entry.get("job_id"):
                counts[entry["job_id"]] += 1
    return counts


async def audit(rig: Rig, stats: Stats, window: Window) -> dict:
    """The run judged from the database, the blob store, the server's log and the answers."""
    conn = await asyncpg.connect(rig.dsn)
    try:
        rows = await conn.fetch("SELECT id::text AS id, status, error_code, retry_count, max_retries, "
                                "coalesce((timings->>'cached')::boolean, false) AS cached, result_blob_path, worker_id "
                                "FROM jobs WHERE id = ANY($1::uuid[])",
                                [uuid.UUID(i) for i in stats.submitted_jobs])
    finally:
        await conn.close()
    jobs = {row["id"]: row for row in rows}
    server_log = rig.server_log()
    events = job_events(server_log, "job completed")
    held = job_events(server_log, "result stored after a storage outage")
    lost = sorted(set(stats.submitted_jobs) - set(jobs))
    stuck = sorted(i for i, row in jobs.items() if row["status"] not in TERMINAL)
    completed = [row for row in jobs.values() if row["status"] == "COMPLETED"]
    failed = [row for row in jobs.values() if row["status"] == "FAILED"]
    unacceptable = [dict(id=row["id"], status=row["status"], error_code=row["error_code"],
                         retry_count=row["retry_count"])
                    for row in jobs.values()
                    if row["status"] == "CANCELLED"
                    or (row["status"] == "FAILED" and not (row["error_code"] in WORKER_DEATH_CODES
                                                           and row["retry_count"] >= row["max_retries"]))]
    computed = [row for row in completed if not row["cached"]]
    retried = [row for row in jobs.values() if row["retry_count"] > 0]
    duplicated = sorted(i for i, n in events.items() if n > 1)
    # A job computed by a worker whose completion was never logged would be one recorded
    # without a worker finishing it — unless that worker was killed between its COMPLETE
    # landing and its log line (seen once in 60 s of kills aimed at busy workers).
    unannounced = sorted(row["id"] for row in computed if events[row["id"]] == 0
                         and int(row["worker_id"].split(":")[1]) not in window.killed)
    killed_before_logging = sum(1 for row in computed if events[row["id"]] == 0) - len(unannounced)
    store = AzureBlobStore(rig.azurite.connection_string, CONTAINER)
    try:
        paths = {row["result_blob_path"] for row in completed}
        missing_blobs = sorted([p for p in paths if not p or not await store.exists(p)])
    finally:
        await store.close()
    # A job's socket that closed before its end (the shopper then polls): the follower gave up.
    dropped = sum(n for k, n in stats.errors["job"].items() if k.startswith("ws:") and not k[3:].isdigit())
    five_xx = [a for a in stats.answers if isinstance(a.status, int) and a.status >= 500]
    other_5xx = [a for a in five_xx if a.status != 503]
    in_window = (lambda a: window.started <= a.at <= window.ended + GRACE_SECONDS) if window.ended else (
        lambda a: False)
    outside = [a for a in five_xx if a.status == 503 and not in_window(a)]
    return {
        "submitted": len(stats.submitted_jobs), "completed": len(completed),
        "computed_by_workers": len(computed), "retried": len(retried), "failed": len(failed),
        "failed_by_code": dict(collections.Counter(row["error_code"] for row in failed)),
        "lost": lost, "stuck": stuck, "unacceptable": unacceptable, "duplicated": duplicated,
        "unannounced_completions": unannounced, "killed_before_logging": killed_before_logging,
        # completed jobs whose GLB the worker held through the outage (stored once it was back)
        "held_through_outage": len([i for i in held if i in jobs]),
        "missing_blobs": missing_blobs,
        "other_5xx": [f"{a.endpoint} {a.status} at {a.at:.1f}" for a in other_5xx],
        "503": len(five_xx) - len(other_5xx),
        "503_outside_window": [f"{a.endpoint} at {a.at - window.started:+.1f} s" for a in outside],
        "sockets_dropped": dropped, "answers": len(stats.answers),
        "answers_by_status": dict(collections.Counter(str(a.status) for a in stats.answers)),
    }


async def fresh_job(rig: Rig, load: Load) -> str:
    """A configuration nobody asked for yet, submitted after the fault: its final status."""
    config, new = load.configs.pick(1.0, random.Random(0))
    admin = sc.Api(rig.url, rig.admin_key)
    try:
        job = await admin.submit(load.cabinet["id"], config)
        status = job["status"] if job["status"] in TERMINAL else await admin.wait(job["id"])
    finally:
        await admin.close()
    if status == "COMPLETED":
        load.configs.completed(config)
    return status if new else f"{status} (not new: every configuration was used)"


def problems(outcome: dict) -> list[str]:
    """What a run must not show, in words (empty: the run passed)."""
    checks = {"lost": "jobs lost", "stuck": "jobs not terminal after the drain",
              "unacceptable": "jobs failed or cancelled for no reason the fault gives",
              "duplicated": "jobs completed twice", "unannounced_completions": "completions nobody logged",
              "missing_blobs": "completed jobs without their GLB", "other_5xx": "5xx answers other than 503",
              "503_outside_window": "503 answers outside the fault's window"}
    found = [f"{label}: {outcome[name][:5]}" for name, label in checks.items() if outcome[name]]
    for probe in outcome["probes"]:
        if probe["status"] != 503 or probe["code"] != "STORAGE_UNAVAILABLE" or not probe["retry_after"]:
            found.append(f"what needs storage was not answered 503 STORAGE_UNAVAILABLE with Retry-After: {probe}")
    if not outcome["fresh_job"].startswith("COMPLETED"):
        found.append(f"a fresh job after the fault ended {outcome['fresh_job']}")
    return found


# -- the bench ------------------------------------------------------------------------------
async def run(args) -> dict:
    plans = {
        "kills": dict(seconds=args.kill_for + 10, fault_after=5, every=args.kill_every, lasting=args.kill_for),
        "postgres": dict(seconds=args.seconds, fault_after=args.seconds / 3),
        "storage": dict(seconds=args.outage + 20, fault_after=5, lasting=args.outage),
    }
    rig = Rig(args.workers)
    results = {}
    loads: list[float] = []
    try:
        await rig.start()
        load = await Load.prepare(rig)
        for name in args.faults:
            bc.log(f"fault {name}: {args.shoppers} shoppers, {plans[name]}")
            before = os.getloadavg()[0]
            results[name] = await under_load(rig, load, FAULTS[name], shoppers=args.shoppers, **plans[name])
            results[name]["load_average_1m"] = {"before": before, "after": os.getloadavg()[0]}
            loads.append(os.getloadavg()[0])
            results[name]["problems"] = problems(results[name])
            bc.log(f"fault {name}: {json.dumps({k: v for k, v in results[name].items() if k != 'actions'})}")
    finally:
        rig.stop()
    rows = [[name, r["submitted"], r["completed"], r["failed"], len(r["lost"]), len(r["duplicated"]),
             len(r["other_5xx"]), r["503"], r["drain_s"], "yes" if not r["problems"] else "NO"]
            for name, r in results.items()]
    bc.print_table(f"Faults under load: {args.shoppers} shoppers, serve --workers {args.workers}",
                   ["fault", "submitted", "completed", "failed", "lost", "duplicated", "5xx not 503", "503",
                    "drain s", "passed"], rows)
    for name, r in results.items():
        for problem in r["problems"]:
            print(f"{name}: {problem}", flush=True)
    summary = [bc.summary_row(f"{name}: lost / duplicated / 5xx other than 503",
                              f"{len(r['lost'])} / {len(r['duplicated'])} / {len(r['other_5xx'])}")
               for name, r in results.items()]
    summary += [bc.summary_row(f"{name}: drain after the fault", r["drain_s"], unit=" s")
                for name, r in results.items()]
    data = {"shoppers": args.shoppers, "workers": args.workers, "kill_every_s": args.kill_every,
            "kill_for_s": args.kill_for, "outage_s": args.outage, "postgres_run_s": args.seconds,
            "grace_s": GRACE_SECONDS, "faults": results, "load_average_1m_after_each": loads}
    return bc.save_results("faults", summary, data, quick=args.quick, digits=2)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--shoppers", type=int, default=8, help="concurrent shoppers (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="serve --workers W (default 2)")
    parser.add_argument("--kill-every", type=float, default=3.0, help="seconds between worker kills (default 3)")
    parser.add_argument("--kill-for", type=float, default=60.0, help="seconds of worker kills (default 60)")
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="seconds of shopping around the PostgreSQL restart (default 30)")
    parser.add_argument("--outage", type=float, default=20.0, help="seconds without Azurite (default 20)")
    parser.add_argument("--faults", nargs="+", choices=list(FAULTS), default=list(FAULTS))
    parser.add_argument("--quick", action="store_true", help="4 shoppers, kills for 20 s, a 10 s outage")
    args = parser.parse_args()
    if args.quick:
        args.shoppers, args.kill_for, args.outage, args.seconds = 4, 20.0, 10.0, 20.0
    return args


def main() -> int:
    results = asyncio.run(run(parse_args()))
    return 0 if all(not r["problems"] for r in results["faults"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
