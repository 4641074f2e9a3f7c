"""Queue updates that must land (a job's completion, a dead worker's job handed back) are
retried through a database restart, with a capped exponential backoff; a worker's GLB is
stored through a blob storage outage the same way, for a while."""
from __future__ import annotations

import asyncio
import itertools
import logging
import time

from ..errors import ConfiguratorError, JobCancelled, StorageError

log = logging.getLogger("configurator.worker")
BACKOFF_BASE_SECONDS = 0.2
BACKOFF_CAP_SECONDS = 2.0
# How long a worker holding a finished model waits for the storage to come back before it
# hands the job back to the queue. Its lease is kept meanwhile (the heartbeat goes on), so
# an outage of this length costs the job none of its retries: those are spent in seconds
# (1 s, 2 s, 4 s) and would fail every job in flight during an outage of half a minute.
STORAGE_OUTAGE_WAIT_SECONDS = 60.0
STORAGE_BACKOFF_CAP_SECONDS = 5.0


async def until_it_lands(operation, attempts: int = 60):
    """`await operation()` until it succeeds; our own errors (a decision, not an outage) and
    the last attempt's failure are raised."""
    for attempt in range(attempts):
        try:
            return await operation()
        except Exception as exc:
            if isinstance(exc, ConfiguratorError) or attempt == attempts - 1:
                raise
            await asyncio.sleep(min(BACKOFF_BASE_SECONDS * 2 ** attempt, BACKOFF_CAP_SECONDS))


async def through_storage_outage(operation, *, stop_requested=lambda: False, wait_seconds: float | None = None):
    """`await operation()` again while it raises a recoverable `StorageError`, backing off up
    to STORAGE_BACKOFF_CAP_SECONDS, for at most `wait_seconds`; then its error is raised (the
    queue retries the job later). `stop_requested()` true between tries (the job cancelled,
    its lease lost) raises `JobCancelled`: nobody wants the result any more. `wait_seconds`
    defaults to STORAGE_OUTAGE_WAIT_SECONDS."""
    began = time.monotonic()
    give_up_at = began + (STORAGE_OUTAGE_WAIT_SECONDS if wait_seconds is None else wait_seconds)
    for attempt in itertools.count():
        try:
            result = await operation()
        except StorageError as error:
            pause = min(BACKOFF_BASE_SECONDS * 2 ** attempt, STORAGE_BACKOFF_CAP_SECONDS)
            if not error.recoverable or time.monotonic() + pause > give_up_at:
                raise
            if attempt == 0:
                log.warning("blob storage unavailable; holding the result until it is back: %s", error)
        else:
            if attempt:
                log.info("result stored after a storage outage",
                         extra={"waited_ms": round((time.monotonic() - began) * 1000), "attempts": attempt + 1})
            return result
        await asyncio.sleep(pause)
        if stop_requested():
            raise JobCancelled("upload")
