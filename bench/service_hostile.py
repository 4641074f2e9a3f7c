"""Another client's preview while one client floods the queue and sends bombs.

`serve --workers 2` on its own embedded database. Client A is the demo client (the seeded
samples); client B has its own cabinet. Three phases, B's cabinet job timed in each
(submit → COMPLETED):
1. idle: B alone;
2. flood: A submits 200 distinct cabinet jobs, then B one; also how many of A's jobs were
   still waiting when B's completed (fair claims serve B next);
3. bombs: A submits a memory bomb (a Repeat Zone doubling a grid 40 times) and a time bomb
   (a subdivided box that takes longer than the 5 s limit), then B one. The bombs must end
   FAILED with MEMORY_LIMIT and TIMEOUT.
The API's and the engine processes' resident memory is sampled every 20 ms throughout.

Targets: B's job during the flood completes within 2 s and before A's flood is half done;
the bombs end with their codes; the API's peak RSS stays within 100 MB of its idle RSS; no
engine process grows past its limit by more than 25%.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time

import asyncpg

import bench_common as bc
import service_common as sc
from configurator_addon.db.embedded import EmbeddedPostgres

FLOOD = 200
MEMORY_LIMIT_MB = 2048
TIME_LIMIT_SECONDS = 5
TARGET_FLOOD_LATENCY_MS = 2000.0


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as handle:
            return next(int(line.split()[1]) for line in handle if line.startswith("VmRSS")) / 1024
    except (OSError, StopIteration):
        return 0.0


def _engine_pids() -> list[int]:
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as handle:
                    if b"engine-host" in handle.read():
                        pids.append(int(name))
            except OSError:
                pass
    return pids


class MemorySampler:
    def __init__(self, api_pid: int):
        self.api_pid = api_pid
        self.api_peak = self.engine_peak = 0.0
        self.api_idle = _rss_mb(api_pid)
        self._task = None

    async def _run(self) -> None:
        while True:
            self.api_peak = max(self.api_peak, _rss_mb(self.api_pid))
            for pid in _engine_pids():
                self.engine_peak = max(self.engine_peak, _rss_mb(pid))
            await asyncio.sleep(0.02)

    def __enter__(self):
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc) -> None:
        self._task.cancel()


def _bomb_templates(folder: str) -> str:
    image = os.path.join(folder, "unused.png")
    open(image, "wb").close()
    subprocess.run([bc.PYTHON, os.path.join(bc.ROOT, "tests", "bomb_templates.py"), folder, image], check=True,
                   env={**os.environ, "PYTHONPATH": os.path.join(bc.ROOT, "tests")}, capture_output=True)
    return os.path.join(folder, "doubling.blend")


async def _timed(api: sc.Api, product_id: str, config: dict) -> tuple[float, dict]:
    started = time.perf_counter()
    job = await api.submit(product_id, config)
    await api.wait_polling(job["id"])
    return (time.perf_counter() - started) * 1000, await api.job(job["id"])


async def run(scratch: str) -> dict:
    doubling = _bomb_templates(scratch)
    slow_box = os.path.join(scratch, "slow.blend")
    subprocess.run([bc.PYTHON, "-c", "import sys; sys.path.insert(0, 'tests'); import template_fixtures as t; "
                    f"t.build_slow({slow_box!r})"], cwd=bc.ROOT, check=True, capture_output=True)
    with EmbeddedPostgres(os.path.join(scratch, "postgres")) as cluster:
        env = {"DATABASE_URL": cluster.dsn, "ENGINE_MEMORY_LIMIT_MB": str(MEMORY_LIMIT_MB),
               "BLENDER_TIMEOUT_SECONDS": str(TIME_LIMIT_SECONDS), "JOB_SUBMIT_BURST": str(FLOOD * 2)}
        async with sc.running_service("--workers", "2", env=env) as service:
            conn = await asyncpg.connect(cluster.dsn)
            try:
                client_b = str(await conn.fetchval("INSERT INTO clients (name) VALUES ('Client B') RETURNING id"))
            finally:
                await conn.close()
            a, b = sc.Api(service.url, service.admin_key()), sc.Api(service.url, service.admin_key(client_b))
            try:
                cabinet_a = await a.product(sc.CABINET)
                cabinet_b = await b.upload(next(s.path for s in bc.load_samples()
                                                if s.slug == "kitchen_base_cabinet"), sc.CABINET)
                configs = sc.cabinet_configs(cabinet_a["config_schema"], FLOOD + 17)
                warm, idle_configs, b_flood, b_bombs = (configs[FLOOD:FLOOD + 10], configs[FLOOD + 10:FLOOD + 15],
                                                        configs[FLOOD + 15], configs[FLOOD + 16])
                grid = await a.upload(doubling, "Doubling grid")
                slow = await a.upload(slow_box, "Slow box")
                await sc.warm_workers(b, cabinet_b["id"], warm, workers=2)
                with MemorySampler(service.process.pid) as memory:
                    idle = [(await _timed(b, cabinet_b["id"], c))[0] for c in idle_configs]
                    flood = [await a.submit(cabinet_a["id"], c) for c in configs[:FLOOD]]
                    during_flood, _ = await _timed(b, cabinet_b["id"], b_flood)
                    waiting = sum([(await a.job(j["id"]))["status"] == "QUEUED" for j in flood])
                    for job in flood:
                        await a.wait_polling(job["id"], timeout=600)
                    bombs = [await a.submit(grid["id"], {"doublings": 40}), await a.submit(slow["id"], {"detail": 9})]
                    during_bombs, _ = await _timed(b, cabinet_b["id"], b_bombs)
                    for job in bombs:
                        await a.wait_polling(job["id"], timeout=300)
                    ended = [await a.job(job["id"]) for job in bombs]
            finally:
                await a.close()
                await b.close()
    return {"idle_p50_ms": bc.p50(idle), "during_flood_ms": during_flood, "flood_jobs": FLOOD,
            "flood_still_queued_at_b": waiting, "during_bombs_ms": during_bombs,
            "bombs": [{"status": j["status"], "error_code": j["error_code"], "retry_count": j["retry_count"],
                       "error_message": j["error_message"]} for j in ended],
            "api_rss_idle_mb": memory.api_idle, "api_rss_peak_mb": memory.api_peak,
            "engine_rss_peak_mb": memory.engine_peak, "engine_memory_limit_mb": MEMORY_LIMIT_MB}


def main() -> int:
    args = bc.parse_args(__doc__)
    scratch = tempfile.mkdtemp(prefix="configurator-bench-hostile-")
    os.chmod(scratch, 0o755)  # as root the embedded cluster runs as `postgres`
    try:
        data = asyncio.run(run(scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    codes = [(b["status"], b["error_code"]) for b in data["bombs"]]
    summary = [
        bc.summary_row("client B's job, idle p50", data["idle_p50_ms"], unit=" ms"),
        bc.summary_row(f"client B's job during A's flood of {FLOOD}", data["during_flood_ms"],
                       f"<= {TARGET_FLOOD_LATENCY_MS:g} ms", data["during_flood_ms"] <= TARGET_FLOOD_LATENCY_MS,
                       " ms"),
        bc.summary_row("A's flood jobs still queued then", f"{data['flood_still_queued_at_b']}/{FLOOD}",
                       f">= {FLOOD // 2}", data["flood_still_queued_at_b"] >= FLOOD // 2),
        bc.summary_row("client B's job during the bombs", data["during_bombs_ms"], unit=" ms"),
        bc.summary_row("bombs end", ", ".join(f"{s} {c}" for s, c in codes), "FAILED MEMORY_LIMIT, FAILED TIMEOUT",
                       codes == [("FAILED", "MEMORY_LIMIT"), ("FAILED", "TIMEOUT")]),
        bc.summary_row("API RSS idle → peak", f"{data['api_rss_idle_mb']:.0f} → {data['api_rss_peak_mb']:.0f} MB",
                       "+100 MB at most", data["api_rss_peak_mb"] - data["api_rss_idle_mb"] <= 100),
        bc.summary_row("engine process peak RSS", data["engine_rss_peak_mb"],
                       f"<= {MEMORY_LIMIT_MB * 1.25:.0f} MB", data["engine_rss_peak_mb"] <= MEMORY_LIMIT_MB * 1.25,
                       " MB"),
    ]
    bc.save_results("service_hostile", summary, data, quick=args.quick)
    return 0 if bc.all_passed(summary) else 1


if __name__ == "__main__":
    sys.exit(main())
