"""How many jobs a client may submit: a token bucket per client, kept in PostgreSQL so that
it holds across every API process (`submission_limits.sql`).

Each submission takes a token; tokens come back at `job_submit_rate` per second up to
`job_submit_burst`. A submission without a token is refused with 429 `RATE_LIMITED` and a
Retry-After of the whole seconds until the next token (at least 1). A rate or burst of 0
turns the limit off.

The same buckets, by name, limit what a storefront writes per publishable key and per
shopper's address (`server/storefront_limits.py`).
"""
from __future__ import annotations

import math
import os

from ..db.queries import load_queries
from ..errors import RateLimitedError

SQL = load_queries(os.path.join(os.path.dirname(__file__), "submission_limits.sql"))


class RateLimiter:
    """A token bucket per name: `take(name)` or 429."""

    def __init__(self, pool, *, rate: float, burst: int):
        self.pool = pool
        self.rate = rate
        self.burst = burst

    @property
    def enabled(self) -> bool:
        return self.rate > 0 and self.burst >= 1

    async def take(self, name: str, refusal: str) -> None:
        """Take one of bucket `name`'s tokens, or raise `RateLimitedError` saying `refusal`
        (nothing else changes)."""
        if not self.enabled:
            return
        row = await self.pool.fetchrow(SQL.take_token, name, float(self.rate), int(self.burst))
        if row["taken"]:
            return
        wait = row["wait_seconds"] if row["wait_seconds"] is not None else 1.0 / self.rate
        error = RateLimitedError(f"{refusal} faster than {self.rate:g} per second (bursts of {self.burst}); "
                                 "try again after Retry-After seconds")
        error.retry_after_seconds = max(1, math.ceil(wait))
        raise error


async def limit_submissions(pool, settings, client_id) -> None:
    """A client's job submission takes a token of its bucket (`JOB_SUBMIT_RATE`/`_BURST`)."""
    await RateLimiter(pool, rate=settings.job_submit_rate, burst=settings.job_submit_burst).take(
        f"client:{client_id}", "this client submits jobs")
