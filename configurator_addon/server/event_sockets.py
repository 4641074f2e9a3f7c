"""WebSockets that follow one thing (a job, a product) and send its state each time it
changes: woken by the database's notifications (`EventHub`), and polling as well, since
notifications are hints. Through a database outage a socket stays open: a read that fails
for it is tried again at the next poll.

A browser cannot send headers with a WebSocket: the session cookie comes along (then the
page's Origin must be this site's or one of `CORS_ORIGINS`, or another site's page could
follow what the visitor may see), or a publishable key as `?access_key=` (whose own allowed
origins were checked when it was identified)."""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..db.pool import is_transient
from ..errors import DatabaseError
from . import keys
from .authorization import require_credential
from .cors import require_allowed_origin

HEARTBEAT_SECONDS = 20


async def follow(request: web.Request, subject_id: uuid.UUID, read: Callable[[], Awaitable],
                 render: Callable[[object], Awaitable[str]], *, finished: Callable[[object], bool] = lambda _: False,
                 poll_seconds: float) -> web.WebSocketResponse:
    """`read()` the subject (its NotFoundError answers before the upgrade), send `render(row)`
    whenever it differs from the last message, until `finished(row)` or the client leaves."""
    caller = require_credential(request)
    if caller.kind != "publishable_key":
        require_allowed_origin(request, request.app[keys.SETTINGS].cors_origins)
    hub = request.app[keys.EVENT_HUB]
    events = hub.subscribe(str(subject_id))  # before the first read, so no change falls in between
    try:
        row = await read()
    except BaseException:
        hub.unsubscribe(str(subject_id), events)
        raise
    socket = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS)
    await socket.prepare(request)
    reader = asyncio.create_task(_read_until_closed(socket, events))
    try:
        last = None
        while True:
            message = await render(row)
            if message != last:
                await socket.send_str(message)
                last = message
            if finished(row):
                break
            try:
                await asyncio.wait_for(events.get(), poll_seconds)
            except TimeoutError:
                pass
            if socket.closed:
                break
            try:
                row = await read()
            except Exception as exc:
                if not database_away(exc):
                    raise
                # The database restarts: the socket stays open, the last state stands, and
                # the next notification or poll reads again (the hub listens again by itself).
                continue
    finally:
        reader.cancel()
        hub.unsubscribe(str(subject_id), events)
        if not socket.closed:
            await socket.close()
    return socket


def database_away(exc: BaseException) -> bool:
    return isinstance(exc, DatabaseError) and exc.recoverable or is_transient(exc)


async def _read_until_closed(socket: web.WebSocketResponse, events: asyncio.Queue) -> None:
    """The client sends nothing we need, but its close must be read to be answered at once
    (not after the client's close timeout); then the loop above is woken to end."""
    async for _ in socket:
        pass
    if not events.full():
        events.put_nowait(None)
