"""How many jobs a client may submit: a token bucket per client, kept in PostgreSQL so that
it holds across every API process (`submission_limits.sql`).

Each submission takes a token; tokens come back at `job_submit_rate` per second up to
`job_submit_burst`. A submission without a token is refused with 429 `RATE_LIMITED` and a
Retry-After of the whole seconds until the next token (at least 1). A rate or burst of 0
turns the limit off.

`NamedLimiter` is the same bucket for any name: the storefront's requests are limited per
publishable key and per shopper's address (`server/storefront_limits.py`).
"""
from __future__ import annotations

import math
import os

from ..db.queries import load_queries
from ..errors import RateLimitedError

SQL = load_queries(os.path.join(os.path.dirname(__file__), "submission_limits.sql"))


class SubmissionLimiter:
    def __init__(self, pool, *, rate: float, burst: int):
        self.pool = pool
        self.rate = rate
        self.burst = burst

    @classmethod
    def from_settings(cls, pool, settings) -> SubmissionLimiter:
        return cls(pool, rate=settings.job_submit_rate, burst=settings.job_submit_burst)

    @property
    def enabled(self) -> bool:
        return self.rate > 0 and self.burst >= 1

    async def take(self, client_id) -> None:
        """Take one of the client's tokens, or raise `RateLimitedError` (nothing else changes)."""
        if not self.enabled:
            return
        row = await self.pool.fetchrow(SQL.take_submission_token, client_id, float(self.rate), int(self.burst))
        if row["taken"] or not row["known"]:
            return  # an unknown client has nothing to submit to: its request fails on its own
        wait = row["wait_seconds"] if row["wait_seconds"] is not None else 1.0 / self.rate
        raise _refusal(f"this client submits jobs faster than {self.rate:g} per second (bursts of {self.burst})",
                       wait)


class NamedLimiter(SubmissionLimiter):
    async def take(self, name: str, what: str = "this caller") -> None:
        """Take one of bucket `name`'s tokens, or raise `RateLimitedError` naming `what`."""
        if not self.enabled:
            return
        row = await self.pool.fetchrow(SQL.take_named_token, name, float(self.rate), int(self.burst))
        if row["taken"]:
            return
        wait = row["wait_seconds"] if row["wait_seconds"] is not None else 1.0 / self.rate
        raise _refusal(f"{what} makes requests faster than {self.rate:g} per second (bursts of {self.burst})", wait)


def _refusal(reason: str, wait_seconds: float) -> RateLimitedError:
    error = RateLimitedError(f"{reason}; try again after Retry-After seconds")
    error.retry_after_seconds = max(1, math.ceil(wait_seconds))
    return error
