"""API and worker in one process with Blender itself: the artist's server in Blender's GUI
(`ui/server_control.py`), where asyncio runs in a daemon thread and Blender work runs on the
main thread through the executor, which a persistent timer drains. The service never runs
so: its workers give untrusted templates to a confined engine process
(`sandbox/sandboxed_engine.py`)."""
from __future__ import annotations

import asyncio
import logging
import threading

from aiohttp import web

from ..server.app import create_app
from ..services.resources import open_resources

log = logging.getLogger("configurator.serve")


async def start_site(app: web.Application, settings) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port).start()
    log.info("serving", extra={"url": f"http://{settings.host}:{settings.port}"})
    return runner


class InProcessEngine:
    """The worker's engine as Blender in this process, on the main thread via `executor`.
    No time limit: an artist's Blender must never be ended for a job."""

    def __init__(self, executor, engine):
        self.executor = executor
        self.engine = engine

    async def generate(self, path: str, config: dict, *, draco: bool = False, morph: bool = False,
                       file_format: str = "glb", version: str | None = None, before_stage=None):
        return await self.executor.run(self.engine.generate, path, config, draco=draco, morph=morph,
                                       file_format=file_format, version=version, before_stage=before_stage)


class InProcessServer:
    def __init__(self, settings, executor, engine):
        self.settings = settings
        self.executor = executor
        self.engine = engine
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._thread_main, name="configurator-asyncio", daemon=True)
        self.error: BaseException | None = None

    def start(self, timeout: float = 30.0) -> None:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the server thread did not start in time")
        if self.error is not None:
            raise self.error

    def request_stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _thread_main(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to whoever waits for start()
            self.error = exc
            log.exception("server thread failed")
        finally:
            self._ready.set()
            self.executor.stop()  # the main thread's driver returns once the loop is done

    async def _main(self) -> None:
        from ..jobs.worker import Worker

        settings = self.settings
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        runner = await start_site(create_app(settings, role="all", executor=self.executor), settings)
        try:
            async with open_resources(settings, pool_size=4) as resources:
                worker = Worker(settings, resources.queue, resources.store,
                                InProcessEngine(self.executor, self.engine))
                self._ready.set()
                await worker.run(self._stop)
        finally:
            await runner.cleanup()
