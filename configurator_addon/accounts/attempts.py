"""Throttling by email and address: logins (5 failures in 15 min) and password-reset
requests count their attempts here, one by one even when they arrive in parallel."""
from __future__ import annotations

import math
import os

from ..db.queries import load_queries
from ..errors import RateLimitedError

SQL = load_queries(os.path.join(os.path.dirname(__file__), "attempts.sql"))


async def count_attempt(pool, email: str, address: str, *, window_seconds: float, limit: int, refusal: str):
    """Record this attempt and return its mark (for `forget_attempt`), or raise 429 with
    Retry-After when `limit` attempts were made in the window already."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(SQL.lock_attempts, email, address)
        row = await connection.fetchrow(SQL.recent_attempts, email, address, float(window_seconds), limit)
        if row["attempts"] >= limit:
            error = RateLimitedError(refusal)
            error.retry_after_seconds = max(1, math.ceil(row["wait"].total_seconds())) if row["wait"] else 1
            raise error
        return await connection.fetchval(SQL.record_attempt, email, address)


async def forget_attempt(pool, email: str, address: str, mark) -> None:
    """An attempt that succeeded no longer counts."""
    await pool.execute(SQL.forget_attempt, email, address, mark)
