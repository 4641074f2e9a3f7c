"""`/metrics` on a listener of its own (METRICS_HOST:METRICS_PORT), never on the public app.

Under a supervisor the figures are read from the files every process of this host writes
(prometheus_client's multiprocess mode, `metrics.enable_multiprocess`), so one scrape covers
the API and all `--workers N` worker processes; a single process serves its own registry.
The queue depth is read from the database at each scrape."""
from __future__ import annotations

import asyncio
import logging

import asyncpg
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from . import metrics

log = logging.getLogger("configurator.metrics")
QUEUE_DEPTH_SQL = "SELECT count(*) FROM jobs WHERE status = 'QUEUED'"
QUERY_TIMEOUT_SECONDS = 2.0


def _registry():
    directory = metrics.multiprocess_dir()
    if not directory:
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return registry


class MetricsListener:
    def __init__(self, settings):
        self.settings = settings
        self._pool: asyncpg.Pool | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        metrics.metrics()  # made now, so a scrape before the first job already lists them
        app = web.Application()
        app.router.add_get("/metrics", self._scrape)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.settings.metrics_host, self.settings.metrics_port).start()
        log.info("metrics", extra={"url": f"http://{self.settings.metrics_host}:{self.settings.metrics_port}/metrics"})

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._pool is not None:
            await self._pool.close()

    async def _queue_depth(self) -> None:
        try:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(self.settings.database_url, min_size=0, max_size=1)
            count = await self._pool.fetchval(QUEUE_DEPTH_SQL, timeout=QUERY_TIMEOUT_SECONDS)
        except Exception as exc:  # database away: keep the last figure, answer the rest
            log.warning("queue depth not read: %s", exc)
            return
        metrics.queue_depth(count)

    async def _scrape(self, request: web.Request) -> web.Response:
        await self._queue_depth()
        body = await asyncio.to_thread(generate_latest, _registry())
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def start_metrics(settings) -> MetricsListener | None:
    """The listener, when METRICS_PORT is set."""
    if settings.metrics_port is None:
        return None
    listener = MetricsListener(settings)
    await listener.start()
    return listener
