"""The worker: claim a job, run it through the engine, store the GLB, complete the job —
heart-beating all along, honouring cancel between stages, and handing every failure back to
the queue so no job is lost.

The engine is a `SandboxedEngine` (a confined engine process beside this one: the service
runs so) or an `InProcessEngine` (Blender in this process: the authoring GUI, tests); both
`await engine.generate(path, config, draco=, version=, before_stage=)`."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import threading
import time
import uuid

from .. import logs
from ..db.listen import listen_forever
from ..errors import ConfiguratorError, GenerationError, JobCancelled
from ..files import write_atomically
from ..observability import metrics, tracing
from ..storage import RESULT_CONTENT_TYPES, glb_blob_path
from ..storage.textures import RecentTextureWrites, store_textures
from .queue import QUEUED_CHANNEL, JobQueue, Lease
from .retrying import through_storage_outage, until_it_lands
from .template_files import TemplateFiles

log = logging.getLogger("configurator.worker")

STAGE_PROGRESS = {"apply": 30, "export": 60, "upload": 90}
PROGRESS_AFTER_SECONDS = 0.2


def templates_dir(settings) -> str:
    """Where a worker keeps the templates it fetched (the only folder its engine may read)."""
    return os.path.join(settings.var_dir, "worker-templates")


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    def __init__(self, settings, queue: JobQueue, store, engine, *, worker_id: str | None = None,
                 status_file: str | None = None):
        self.settings = settings
        self.queue = queue
        self.store = store
        self.engine = engine
        self.worker_id = worker_id or new_worker_id()
        self.status_file = status_file
        self.templates = TemplateFiles(store, templates_dir(settings))
        self.recent_textures = RecentTextureWrites()  # not written again with every GLB (storage/textures.py)
        self._wake = asyncio.Event()

    # -- the loop ------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set."""
        # LISTEN for queued jobs: a hint to claim now instead of at the next poll.
        listener = asyncio.create_task(listen_forever(self.settings.database_url, QUEUED_CHANNEL,
                                                      lambda *_: self._wake.set()))
        last_rescue = 0.0
        try:
            while not stop.is_set():
                try:
                    if time.monotonic() - last_rescue > self.settings.heartbeat_seconds:
                        last_rescue = time.monotonic()
                        await self.queue.rescue_abandoned(self.settings.lease_timeout_seconds)
                        await self.queue.queue_stale_pending()
                    self._wake.clear()  # a job announced from now on wakes the sleep below
                    row = await self.queue.claim(self.worker_id)
                except Exception as exc:  # database away: keep trying, it may come back
                    log.warning("claim failed: %s", exc)
                    await self._sleep(stop, 0.5)
                    continue
                if row is None:
                    await self._sleep(stop, 1.0)
                    continue
                await self.process(row)
        finally:
            listener.cancel()

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        waiters = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()

    # -- one job ---------------------------------------------------------------------------
    async def process(self, row) -> None:
        lease = Lease(row["id"], row["lease_id"])
        log_context = logs.job_id.set(str(lease.job_id))  # every log line of this job carries its id
        stop_requested = threading.Event()
        loop = asyncio.get_running_loop()
        heartbeat = asyncio.create_task(self._heartbeat(lease, stop_requested))

        job_started = time.monotonic()
        spans = tracing.job_trace(row, self.worker_id)  # in the trace of the request that submitted it
        outcome, failure = "LEASE_LOST", None

        def before_stage(stage: str) -> None:  # between engine stages (on the main thread in process)
            if stop_requested.is_set():
                raise JobCancelled(stage)
            spans.stage(stage)
            # Progress is for jobs long enough to watch; a quick job would only pay for it.
            if time.monotonic() - job_started > PROGRESS_AFTER_SECONDS:
                loop.call_soon_threadsafe(self._progress, lease, STAGE_PROGRESS[stage], stop_requested)

        try:
            spans.stage("load")
            path = await self.templates.path_for(row["template_blob_path"], row["template_version"])
            self._write_status(row)
            options = row["options"]
            file_format = options.get("file_format", "glb")  # a USDZ is stored and served as one (AR Quick Look)
            result = await self.engine.generate(path, row["config_data"], draco=bool(options.get("draco")),
                                                morph=bool(options.get("morph")), file_format=file_format,
                                                version=row["template_version"], before_stage=before_stage)
            metrics.template_cache_entries(result.templates_warm)
            spans.stage("upload")
            # One round trip reports progress and tells whether the job is still wanted.
            if await until_it_lands(lambda: self.queue.report_progress(lease, STAGE_PROGRESS["upload"])) is not False:
                raise JobCancelled("upload")
            started = time.perf_counter()
            blob_path = glb_blob_path(str(row["client_id"]), row["cache_key"], file_format)
            content_type = RESULT_CONTENT_TYPES[file_format]
            stored, textured_at = result.glb, self.recent_textures.clock()
            if file_format == "glb":  # its images become shared texture blobs (a USDZ keeps its own)
                stored, _ = await through_storage_outage(
                    lambda: store_textures(self.store, row["client_id"], result.glb, self.recent_textures),
                    stop_requested=stop_requested.is_set)
            await through_storage_outage(lambda: self.store.put(blob_path, stored, content_type),
                                         stop_requested=stop_requested.is_set)
            if stored is not result.glb and self.recent_textures.clock() - textured_at >= self.recent_textures.window:
                # Stored long after its textures were last written (an outage): write them again.
                await through_storage_outage(lambda: store_textures(self.store, row["client_id"], result.glb),
                                             stop_requested=stop_requested.is_set)
            url = await self.store.url(blob_path, self.settings.public_base_url)
            timings = {**result.timings, "upload_ms": round((time.perf_counter() - started) * 1000, 3)}
            completed = await until_it_lands(lambda: self.queue.complete(
                lease, blob_path=blob_path, result_url=url, timings=timings, byte_size=len(stored)))
            if completed is None:
                log.warning("lease lost before completion; result dropped")
            else:
                outcome = "COMPLETED"
                log.info("job completed", extra={"timings": timings, "bytes": len(stored),
                                                 "datablocks": result.datablocks})
                metrics.job_finished("COMPLETED")
                metrics.job_stages(completed["timings"] or {})
        except JobCancelled as cancelled:
            failure = cancelled
            if await until_it_lands(lambda: self.queue.cancel_processing(lease)) is not None:
                outcome = "CANCELLED"
                metrics.job_finished("CANCELLED")
        except ConfiguratorError as error:
            failure = error
            outcome = await self._hand_back(lease, error)
        except Exception as exc:  # Blender or anything else: recoverable, retried with backoff
            log.exception("job failed")
            failure = exc  # the span records where it was raised
            outcome = await self._hand_back(lease, GenerationError(f"{type(exc).__name__}: {exc}"))
        finally:
            spans.finish(outcome, failure)
            heartbeat.cancel()
            self._write_status(None)
            logs.job_id.reset(log_context)

    async def _hand_back(self, lease: Lease, error: ConfiguratorError) -> str:
        """Retry later or fail, as the error and the attempts left decide; the status the job
        was left in (QUEUED for a retry), or LEASE_LOST."""
        row = await until_it_lands(lambda: self.queue.release(lease, error))
        if row is None:
            return "LEASE_LOST"
        metrics.job_finished(row["status"])
        return row["status"]

    async def _heartbeat(self, lease: Lease, stop_requested: threading.Event) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_seconds)
            try:
                state = await self.queue.heartbeat(lease)
            except Exception:
                continue  # database away; the lease timeout is generous
            if state is None or state:
                stop_requested.set()

    def _progress(self, lease: Lease, progress: int, stop_requested: threading.Event) -> None:
        async def report():
            try:
                state = await self.queue.report_progress(lease, progress)
            except Exception:
                return
            if state is None or state:
                stop_requested.set()
        asyncio.ensure_future(report())

    def _write_status(self, row) -> None:
        """Tell the supervisor which job is running, so a killed worker's job is handed back at once."""
        if not self.status_file:
            return
        if row is None:
            if os.path.exists(self.status_file):
                os.unlink(self.status_file)
            return
        status = {"job_id": str(row["id"]), "lease_id": str(row["lease_id"])}
        write_atomically(self.status_file, json.dumps(status).encode())
