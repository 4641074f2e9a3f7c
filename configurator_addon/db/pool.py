"""The asyncpg connection pool, and which database failures are worth a retry.

Pool connections read and write `json`/`jsonb` as Python objects: pass a dict, get a
dict back (a `str` argument is stored as a JSON string, not parsed).

`is_transient(exc)` says whether an exception means "the database is unavailable right
now" (refused/lost connection, server restarting, too many connections, a serialization
failure or deadlock); `translate_transient_errors()` turns those into `DatabaseError`,
which the API answers with 503 and the job queue retries.
"""
from __future__ import annotations

import asyncio
import contextlib
import json

import asyncpg

from ..errors import DatabaseError

JSON_TYPES = ("json", "jsonb")

TRANSIENT_ERRORS = (
    OSError,  # refused, reset, unreachable, DNS; TimeoutError is one too
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08, ConnectionDoesNotExistError
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.AdminShutdownError,  # server stopped or restarted under us
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    # Not outages, but the same remedy: run the transaction again.
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    # "cannot switch to state N; another operation is in progress": raised once by a
    # pooled connection the server terminated while the loop was busy (asyncpg #784,
    # #1069); the next attempt gets a fresh connection.
    asyncpg.exceptions.InternalClientError,
)


def is_transient(exc: BaseException) -> bool:
    """Whether retrying the same work later may succeed."""
    if isinstance(exc, TRANSIENT_ERRORS):
        return True
    # asyncpg raises its generic InterfaceError for use of a connection the server closed;
    # other InterfaceErrors are programming mistakes.
    return isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc)


@contextlib.contextmanager
def translate_transient_errors(action: str = "database operation"):
    """Re-raise transient failures inside the block as `DatabaseError` (recoverable)."""
    try:
        yield
    except Exception as exc:
        if isinstance(exc, DatabaseError) or not is_transient(exc):
            raise
        raise DatabaseError(
            f"{action} failed, the database is unavailable: {type(exc).__name__}: {exc}"
        ) from exc


async def register_json_codecs(connection: asyncpg.Connection) -> None:
    for type_name in JSON_TYPES:
        await connection.set_type_codec(type_name, encoder=json.dumps, decoder=json.loads,
                                        schema="pg_catalog")


class PooledConnection(asyncpg.Connection):
    """Released without asyncpg's reset query (UNLISTEN, RESET ALL, advisory unlock, CLOSE
    ALL: a round trip per release). Nothing here leaves such state on a pooled connection:
    LISTEN and advisory locks use connections of their own; open transactions are still
    rolled back by asyncpg."""

    def get_reset_query(self) -> str:
        return ""


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10, init=None,
                      **kwargs) -> asyncpg.Pool:
    """An asyncpg pool with JSON codecs on every connection; `init` (optional) runs after
    them. A database that cannot be reached raises `DatabaseError`."""

    async def init_connection(connection: asyncpg.Connection) -> None:
        await register_json_codecs(connection)
        if init is not None:
            await init(connection)

    with translate_transient_errors("connecting the pool"):
        return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size,
                                         init=init_connection, connection_class=PooledConnection, **kwargs)
