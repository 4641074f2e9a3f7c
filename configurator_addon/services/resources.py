"""What a process of the service runs on, opened and closed in one place.

- `database(settings)`: the database to use, migrated. With no `DATABASE_URL`, an embedded
  PostgreSQL cluster under `var/` is started first and stopped on leaving.
- `open_resources(settings)`: the pool, the blob store and the job queue, and the services
  built on them. The HTTP app (its cleanup context), workers, seeding and the supervisor
  all open them here, and so do the test fixtures.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
from collections.abc import AsyncIterator, Iterator

import asyncpg

from ..db.embedded import EmbeddedPostgres
from ..db.migrator import migrate
from ..db.pool import create_pool
from ..jobs.queue import JobQueue
from ..settings import Settings
from ..storage import BlobStore, create_blob_store
from .configurations import ConfigurationService
from .jobs import JobService
from .products import ProductService
from .template_inspection import TemplateInspector

log = logging.getLogger("configurator.resources")


@contextlib.contextmanager
def database(settings: Settings) -> Iterator[Settings]:
    """`settings` naming a migrated database (an embedded one when none is configured)."""
    cluster = None
    if not settings.database_url:
        cluster = EmbeddedPostgres(os.path.join(settings.var_dir, "postgres"))
        settings = dataclasses.replace(settings, database_url=cluster.start())
        log.info("embedded PostgreSQL started", extra={"data_dir": cluster.data_dir, "port": cluster.port})
    try:
        asyncio.run(migrate(settings.database_url))
        yield settings
    finally:
        if cluster is not None:
            cluster.stop()


@dataclasses.dataclass
class Resources:
    pool: asyncpg.Pool
    store: BlobStore
    queue: JobQueue
    products: ProductService
    configurations: ConfigurationService
    jobs: JobService


@contextlib.asynccontextmanager
async def open_resources(settings: Settings, *, pool_size: int = 10, inspector=None) -> AsyncIterator[Resources]:
    """`inspector` inspects uploaded templates (default: a short-lived Blender process each)."""
    pool = await create_pool(settings.database_url, max_size=pool_size)
    store = create_blob_store(settings)
    try:
        queue = JobQueue(pool, retry_base_delay_seconds=settings.retry_base_delay_seconds)
        inspector = inspector or TemplateInspector(settings)
        products = ProductService(pool, store, inspector)
        configurations = ConfigurationService(pool, products)
        jobs = JobService(queue, products, configurations, max_retries=settings.job_max_retries)
        try:
            yield Resources(pool, store, queue, products, configurations, jobs)
        finally:
            await products.stop_rendering()
            await configurations.stop_rendering()
    finally:
        await store.close()
        await pool.close()
