"""Clients (the tenants): created, listed, disabled and enabled by the platform operator.

A disabled client keeps all its data; its users and keys lose access until it is enabled
again. Each change is audited in its own transaction. `db` is a pool or a connection (a
caller's open transaction then holds the change and its audit row together).
"""
from __future__ import annotations

import contextlib
import os
import uuid

import asyncpg

from ..db.queries import load_queries
from ..errors import BadRequestError, NotFoundError
from . import audit

SQL = load_queries(os.path.join(os.path.dirname(__file__), "clients.sql"))
MAX_NAME_LENGTH = 200
OPERATOR = "operator"  # the audit actor of the platform operator's command line


@contextlib.asynccontextmanager
async def in_transaction(db):
    """A transaction on `db`: a pool (one of its connections is taken) or a connection."""
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as connection, connection.transaction():
            yield connection
    else:
        async with db.transaction():
            yield db


def parse_id(text, what: str = "client") -> uuid.UUID:
    """`text` as a UUID; anything else names no row (NotFoundError, like an unknown id)."""
    if isinstance(text, uuid.UUID):
        return text
    try:
        return uuid.UUID(str(text))
    except ValueError:
        raise NotFoundError(f"no {what} {text!r}") from None


def client_view(row) -> dict:
    return {"id": str(row["id"]), "name": row["name"], "disabled": row["disabled_at"] is not None}


def checked_name(name: str, what: str = "client") -> str:
    name = (name or "").strip()
    if not name:
        raise BadRequestError(f"a {what} needs a name")
    if len(name) > MAX_NAME_LENGTH:
        raise BadRequestError(f"a {what} name has at most {MAX_NAME_LENGTH} characters")
    return name


async def create_client(db, name: str, *, actor: str = OPERATOR, ip: str = "") -> dict:
    name = checked_name(name)
    async with in_transaction(db) as connection:
        row = await connection.fetchrow(SQL.create_client, name)
        await audit.record(connection, "client.created", client_id=row["id"], actor=actor,
                           target=f"client:{row['id']}", detail={"name": name}, ip=ip)
    return client_view(row)


async def get_client(db, client_id) -> dict:
    """The client, or NotFoundError."""
    client_id = parse_id(client_id)
    row = await db.fetchrow(SQL.get_client, client_id)
    if row is None:
        raise NotFoundError(f"no client {client_id}")
    return client_view(row)


async def list_clients(db) -> list[dict]:
    return [client_view(row) for row in await db.fetch(SQL.list_clients)]


async def set_disabled(db, client_id, disabled: bool, *, actor: str = OPERATOR, ip: str = "") -> dict:
    """Disable (`disabled_at` set, the first time kept) or enable (cleared) a client; the
    change is audited as client.disabled / client.enabled, a repeat changes nothing."""
    client_id = parse_id(client_id)
    async with in_transaction(db) as connection:
        row = await connection.fetchrow(SQL.disable_client if disabled else SQL.enable_client, client_id)
        if row is None:
            return await get_client(connection, client_id)  # unknown (NotFoundError) or unchanged
        await audit.record(connection, "client.disabled" if disabled else "client.enabled",
                           client_id=client_id, actor=actor, target=f"client:{client_id}", ip=ip)
    return client_view(row)
