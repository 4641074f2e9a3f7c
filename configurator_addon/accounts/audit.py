"""The audit log of security events: logins, keys, users, clients, templates. One row each,
written in the same transaction as the change it records where there is one."""
from __future__ import annotations

import os

from ..db.queries import load_queries

SQL = load_queries(os.path.join(os.path.dirname(__file__), "audit.sql"))


async def record(connection, action: str, *, client_id=None, actor: str = "anonymous", target: str = "",
                 detail: dict | None = None, ip: str = "") -> None:
    """`connection` is a pool or a connection (inside the caller's transaction)."""
    await connection.execute(SQL.record_event, client_id, actor, action, target, detail or {}, ip)


async def client_events(connection, client_id, *, before_id: int | None = None, limit: int = 50) -> list:
    return await connection.fetch(SQL.client_events, client_id, before_id, limit)


async def event_page(connection, client_id, *, before_id: int | None = None,
                     limit: int = 50) -> tuple[list[dict], int | None]:
    """A page of `client_id`'s events, newest first, and the `before_id` of the next page
    (None on the last)."""
    rows = await client_events(connection, client_id, before_id=before_id, limit=limit + 1)
    events = [dict(row) for row in rows[:limit]]
    return events, (events[-1]["id"] if len(rows) > limit else None)
