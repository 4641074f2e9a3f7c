"""Run N worker processes: start them, restart any that die, and stop them cleanly. A
worker that dies mid-job (crashed, or killed from outside) has its job handed back to the
queue at once, from the status file it keeps. Limits and recycling are the engine
process's, inside each worker (`sandbox/sandboxed_engine.py`)."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import time
import uuid

from ..errors import WorkerDied
from ..observability import metrics
from .queue import JobQueue, Lease
from .retrying import until_it_lands

log = logging.getLogger("configurator.supervisor")
RESTART_BACKOFF_SECONDS = (0.0, 0.5, 1.0, 2.0, 5.0)


class Supervisor:
    def __init__(self, settings, queue: JobQueue, command: list[str], count: int, env: dict | None = None):
        self.settings = settings
        self.queue = queue
        self.command = command
        self.count = count
        self.env = {**os.environ, **(env or {})}
        self.run_dir = os.path.join(settings.var_dir, "run")
        os.makedirs(self.run_dir, exist_ok=True)
        self.processes: dict[int, asyncio.subprocess.Process] = {}
        self._stopping = asyncio.Event()

    def status_file(self, slot: int) -> str:
        return os.path.join(self.run_dir, f"worker-{slot}-{os.getpid()}.json")

    async def run(self) -> None:
        await asyncio.gather(*(self._keep_running(slot) for slot in range(self.count)))

    async def stop(self, grace_seconds: float | None = None) -> None:
        """SIGTERM every worker (each finishes its job), then SIGKILL what is left."""
        self._stopping.set()
        for process in self.processes.values():
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        grace = self.settings.job_timeout_seconds if grace_seconds is None else grace_seconds
        waits = [p.wait() for p in self.processes.values()]
        if waits:
            _, pending = await asyncio.wait([asyncio.ensure_future(w) for w in waits], timeout=grace)
            for process in self.processes.values():
                if process.returncode is None:
                    process.kill()
            for task in pending:
                await task

    async def _keep_running(self, slot: int) -> None:
        failures = 0
        while not self._stopping.is_set():
            started = time.monotonic()
            env = {**self.env, "CONFIGURATOR_WORKER_STATUS_FILE": self.status_file(slot)}
            process = await asyncio.create_subprocess_exec(*self.command, env=env, stdin=asyncio.subprocess.DEVNULL)
            self.processes[slot] = process
            code = await process.wait()
            metrics.process_exited(process.pid)
            await self._hand_back_job(slot, code)
            if self._stopping.is_set():
                return
            # Exit 0 is a clean stop; anything else is a death.
            failures = 0 if code == 0 or time.monotonic() - started > 30 else failures + 1
            if code != 0:
                log.warning("worker exited; restarting", extra={"slot": slot, "exit_code": code})
            await asyncio.sleep(RESTART_BACKOFF_SECONDS[min(failures, len(RESTART_BACKOFF_SECONDS) - 1)])
            metrics.worker_restarted()

    async def _hand_back_job(self, slot: int, exit_code: int) -> None:
        path = self.status_file(slot)
        try:
            with open(path) as handle:
                status = json.load(handle)
        except (OSError, ValueError):
            return
        finally:
            if os.path.exists(path):
                os.unlink(path)
        # Time and memory limits end the engine process, not the worker (sandbox/): a worker
        # that dies mid-job crashed or was killed from outside.
        error = WorkerDied(f"the worker exited with code {exit_code} during the job")
        lease = Lease(uuid.UUID(status["job_id"]), uuid.UUID(status["lease_id"]))
        try:
            row = await until_it_lands(lambda: self.queue.release(lease, error), attempts=30)
            if row is not None:
                metrics.job_finished(row["status"])
        except Exception as exc:  # the lease-timeout rescue will find the job instead
            log.error("could not hand back the job of a dead worker; the lease timeout will rescue it: %s", exc,
                      extra={"slot": slot, "job_id": status["job_id"]})
