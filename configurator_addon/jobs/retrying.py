"""Queue updates that must land (a job's completion, a dead worker's job handed back) are
retried through a database restart, with a capped exponential backoff."""
from __future__ import annotations

import asyncio

from ..errors import ConfiguratorError

BACKOFF_BASE_SECONDS = 0.2
BACKOFF_CAP_SECONDS = 2.0


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
