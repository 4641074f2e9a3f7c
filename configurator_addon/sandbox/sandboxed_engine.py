"""The worker's side of its engine process: start it warm, send it jobs, hold it to its
limits.

One engine process per worker, started before the first job and kept warm between jobs.
The worker holds the secrets (database, storage) and the engine holds none: its environment
is built here from nothing (`engine_environment`). Limits are enforced from outside, where a
hostile template cannot reach them:
- time: no answer within the job time limit, the process is killed (`TIMEOUT`);
- memory: its size is sampled while it works and it is killed past the limit
  (`MEMORY_LIMIT`); the kernel's limit on its heap, at four times that, is the backstop (Blender
  survives a refused allocation, with a model it could not finish: the watch must come
  first);
- geometry: counted by the engine after evaluation (`GEOMETRY_LIMIT`).
A killed or crashed engine is started again for the next job, and recycled after
`worker_recycle_jobs` jobs or past `worker_recycle_rss_mb`.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
import time

from ..engine.generation_result import GenerationResult
from ..engine_process import child_command
from ..errors import (
    ConfiguratorError,
    EngineProcessError,
    JobCancelled,
    JobTimedOut,
    MemoryLimitExceeded,
)
from ..process_memory import memory_bytes
from .protocol import encode, read_message_async

log = logging.getLogger("configurator.engine")
MEMORY_SAMPLE_SECONDS = 0.02
START_TIMEOUT_SECONDS = 120.0


def engine_environment(scratch: str) -> dict[str, str]:
    """All the engine process sees of the world: no inherited variable, so no secret."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": scratch,
            "TMPDIR": scratch, "CONFIGURATOR_SCRATCH_DIR": scratch}


def scratch_parent() -> str | None:
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


class _EngineProcess:
    """One started engine process and its pipes."""

    def __init__(self, process, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, scratch: str):
        self.process = process
        self.reader = reader
        self.writer = writer
        self.scratch = scratch
        self.jobs = 0
        self.peak_memory_bytes = 0
        self.over_memory = False

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    async def send(self, header: dict) -> None:
        self.writer.write(encode(header))
        await self.writer.drain()

    async def stop(self, kill: bool = False) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()  # the engine's read ends: it exits on its own
        if kill and self.alive:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        try:
            await asyncio.wait_for(self.process.wait(), 10.0)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        shutil.rmtree(self.scratch, ignore_errors=True)


class SandboxedEngine:
    def __init__(self, settings, templates_dir: str, *, niceness: int = 0):
        self.settings = settings
        self.niceness = niceness
        self.templates_dir = os.path.abspath(templates_dir)
        self.memory_limit_bytes = settings.engine_memory_limit_mb << 20
        self._engine: _EngineProcess | None = None
        self._lock = asyncio.Lock()
        self.sandbox_abi = 0
        self.last_peak_memory_bytes = 0

    # -- lifetime ------------------------------------------------------------------------
    async def start(self) -> None:
        async with self._lock:
            await self._ensure_started()

    async def close(self) -> None:
        async with self._lock:
            if self._engine is not None:
                await self._engine.stop()
                self._engine = None

    async def _ensure_started(self) -> _EngineProcess:
        if self._engine is not None and self._engine.alive:
            return self._engine
        if self._engine is not None:
            await self._engine.stop()
        self._engine = await self._spawn()
        return self._engine

    async def _spawn(self) -> _EngineProcess:
        settings = self.settings
        os.makedirs(self.templates_dir, exist_ok=True)  # a rule needs the folder to exist
        scratch = tempfile.mkdtemp(prefix="configurator-engine-", dir=scratch_parent())
        requests_read, requests_write = os.pipe()
        answers_read, answers_write = os.pipe()
        args = ["engine-host", "--fd-in", str(requests_read), "--fd-out", str(answers_write),
                "--read", self.templates_dir, "--write", scratch, "--private", os.path.abspath(settings.var_dir),
                "--heap-limit-mb", str(4 * settings.engine_memory_limit_mb),
                "--max-vertices", str(settings.geometry_limit_vertices),
                "--max-faces", str(settings.geometry_limit_faces), "--niceness", str(self.niceness)]
        if not settings.engine_sandbox:
            args.append("--no-sandbox")
        try:
            process = await asyncio.create_subprocess_exec(
                *self.command(args), env=engine_environment(scratch),
                stdin=asyncio.subprocess.DEVNULL, pass_fds=(requests_read, answers_write))
        finally:
            os.close(requests_read)
            os.close(answers_write)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=1 << 20)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(answers_read, "rb", 0))
        transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin,
                                                            os.fdopen(requests_write, "wb", 0))
        engine = _EngineProcess(process, reader, asyncio.StreamWriter(transport, protocol, None, loop), scratch)
        try:
            header, _ = await asyncio.wait_for(read_message_async(reader), START_TIMEOUT_SECONDS)
        except (EOFError, TimeoutError):
            await engine.stop(kill=True)
            raise EngineProcessError(f"the engine process did not start (exit code {process.returncode})") from None
        if "error" in header:
            await engine.stop(kill=True)
            raise ConfiguratorError.from_dict(header["error"])
        self.sandbox_abi = header["ready"]["sandbox_abi"]
        log.info("engine process started", extra={"pid": process.pid, "sandbox_abi": self.sandbox_abi})
        return engine

    def command(self, args: list[str]) -> list[str]:
        return child_command(args, self.settings.blender_path)

    @property
    def pid(self) -> int | None:
        return self._engine.process.pid if self._engine is not None and self._engine.alive else None

    # -- jobs ----------------------------------------------------------------------------
    async def generate(self, path: str, config: dict, *, draco: bool = False, morph: bool = False,
                       file_format: str = "glb", version: str | None = None,
                       before_stage=None) -> GenerationResult:
        """The GLB of `config` (a morph GLB with `morph`, a USDZ with `file_format="usdz"`),
        made by the engine process;
        `before_stage(name)` may raise `JobCancelled` to stop before a stage."""
        async with self._lock:
            engine = await self._ensure_started()
            watch = asyncio.create_task(self._watch_memory(engine))
            started = time.monotonic()
            try:
                result = await asyncio.wait_for(
                    self._exchange(engine, {"op": "generate", "path": os.path.abspath(path), "config": config,
                                            "draco": draco, "morph": morph, "format": file_format,
                                            "version": version},
                                   before_stage),
                    self.settings.job_timeout_seconds)
            except TimeoutError:
                await engine.stop(kill=True)
                raise JobTimedOut(f"the job ran longer than {self.settings.job_timeout_seconds:g} s") from None
            except EOFError:
                await engine.stop(kill=True)
                # Killed by the watch, or by the kernel's heap limit while it was near the limit.
                if engine.over_memory or engine.peak_memory_bytes > self.memory_limit_bytes * 3 // 4:
                    raise MemoryLimitExceeded(
                        f"the engine process grew past {self.settings.engine_memory_limit_mb} MiB "
                        f"({engine.peak_memory_bytes >> 20} MiB seen) and was stopped after "
                        f"{time.monotonic() - started:.1f} s") from None
                raise EngineProcessError("the engine process died during the job "
                                         f"(exit code {engine.process.returncode})") from None
            finally:
                watch.cancel()
                self.last_peak_memory_bytes = engine.peak_memory_bytes
            engine.jobs += 1
            if self._worn_out(engine):
                await engine.stop()  # started again, fresh, for the next job
            return result

    def _worn_out(self, engine: _EngineProcess) -> bool:
        return (engine.jobs >= self.settings.worker_recycle_jobs
                or memory_bytes(engine.process.pid) > self.settings.worker_recycle_rss_mb << 20)

    async def _exchange(self, engine: _EngineProcess, request: dict, before_stage) -> GenerationResult:
        await engine.send(request)
        while True:
            header, payload = await read_message_async(engine.reader)
            if "stage" in header:
                try:
                    if before_stage is not None:
                        before_stage(header["stage"])
                except JobCancelled:
                    await engine.send({"go": False})
                else:
                    await engine.send({"go": True})
            elif "result" in header:
                return GenerationResult(glb=payload, **header["result"])
            else:
                raise ConfiguratorError.from_dict(header.get("error", {}))

    async def _watch_memory(self, engine: _EngineProcess) -> None:
        engine.peak_memory_bytes = 0
        pid = engine.process.pid
        while engine.alive:
            size = memory_bytes(pid)
            engine.peak_memory_bytes = max(engine.peak_memory_bytes, size)
            if size > self.memory_limit_bytes:
                engine.over_memory = True
                with contextlib.suppress(ProcessLookupError):
                    engine.process.kill()
                return
            await asyncio.sleep(MEMORY_SAMPLE_SECONDS)
