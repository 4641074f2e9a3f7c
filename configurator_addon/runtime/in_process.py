"""API and worker in one process: asyncio runs in a daemon thread, Blender work runs on the
main thread through the executor. Headless, the main thread blocks in `executor.run_forever`;
in Blender's GUI a persistent timer calls `executor.drain` (`ui/server_control.py`)."""
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


class InProcessServer:
    def __init__(self, settings, executor, engine, *, with_api: bool = True, recycle: bool = False,
                 status_file: str | None = None, time_limit: bool = True):
        self.settings = settings
        self.executor = executor
        self.engine = engine
        self.with_api = with_api
        self.recycle = recycle
        self.status_file = status_file
        self.time_limit = time_limit
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
        runner = None
        if self.with_api:
            runner = await start_site(create_app(settings, role="all", executor=self.executor), settings)
        try:
            async with open_resources(settings, pool_size=4) as resources:
                worker = Worker(settings, resources.queue, resources.store, self.executor, self.engine,
                                status_file=self.status_file, time_limit=self.time_limit)
                self._ready.set()
                await worker.run(self._stop, max_jobs=settings.worker_recycle_jobs if self.recycle else None,
                                 max_rss_bytes=settings.worker_recycle_rss_mb << 20 if self.recycle else None)
        finally:
            if runner is not None:
                await runner.cleanup()
