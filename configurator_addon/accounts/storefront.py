"""What a fresh installation needs to be used at once (docs/accounts.md, "First start"):

- the server's own **storefront key**: a publishable key of the demo client, allowed from the
  server's own origin (`self`), that the web app at `/` uses while nobody is logged in. Its
  plaintext is kept in `service_secrets` (a publishable key is public: it is written into
  every page the server serves), so every API process of an installation serves the same one;
  revoking it makes the next start issue another.
- a **first password for the demo admin**, generated, set only while the user has none, and
  returned once for the operator to read in the server's output.
"""
from __future__ import annotations

import asyncio
import os
import secrets

from ..db.queries import load_queries
from . import api_keys, audit
from .clients import OPERATOR, in_transaction
from .passwords import hash_password

SQL = load_queries(os.path.join(os.path.dirname(__file__), "storefront.sql"))
STOREFRONT_SECRET = "storefront_key"
STOREFRONT_KEY_NAME = "This server's storefront"
FIRST_PASSWORD_BYTES = 12  # 16 characters of URL-safe base64


async def storefront_key(db) -> str | None:
    """The server's storefront key, while it can be used; None when there is none."""
    return await db.fetchval(SQL.storefront_key, STOREFRONT_SECRET)


async def ensure_storefront_key(pool, client_id) -> str:
    """The storefront key, issued for `client_id` when there is none that can be used."""
    async with in_transaction(pool) as connection:
        await connection.execute(SQL.lock_storefront)  # one issuer among concurrent starts
        key = await storefront_key(connection)
        if key is None:
            made = await api_keys.create_key(connection, client_id, kind="publishable", name=STOREFRONT_KEY_NAME,
                                             origins=[api_keys.SELF_ORIGIN])
            key = made["key"]
            await connection.execute(SQL.save_storefront_key, STOREFRONT_SECRET, key.encode())
    return key


async def ensure_first_password(pool, user_id) -> tuple[str, str] | None:
    """(email, password) when this call gave the user its first password; None when the
    user has one (or does not exist)."""
    password = secrets.token_urlsafe(FIRST_PASSWORD_BYTES)
    password_hash = await asyncio.to_thread(hash_password, password)
    async with in_transaction(pool) as connection:
        row = await connection.fetchrow(SQL.set_first_password, user_id, password_hash)
        if row is None:
            return None
        await audit.record(connection, "password.generated", client_id=row["client_id"], actor=OPERATOR,
                           target=f"user:{row['id']}")
    return row["email"], password
