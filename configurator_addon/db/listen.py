"""LISTEN on a channel for as long as the caller wants, through database restarts.

Notifications are hints (workers and WebSockets also poll), so a lost connection is simply
made again a second later. The connection is its own: pooled ones are handed back without
the reset that would UNLISTEN.
"""
from __future__ import annotations

import asyncio
import logging

import asyncpg

log = logging.getLogger("configurator.db")
RECONNECT_SECONDS = 1.0


async def listen_forever(dsn: str, channel: str, callback) -> None:
    """Call `callback(connection, pid, channel, payload)` for each notification; runs until
    cancelled."""
    while True:
        connection = None
        try:
            connection = await asyncpg.connect(dsn)
            await connection.add_listener(channel, callback)
            while not connection.is_closed():
                await asyncio.sleep(RECONNECT_SECONDS)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.debug("listener on %s reconnecting: %s", channel, exc)
        finally:
            if connection is not None:
                connection.terminate()
        await asyncio.sleep(RECONNECT_SECONDS)
