"""Saved configurations: validated against their product's schema before anything is stored.

Each records who made it: a user, or an API key (a storefront's publishable key, an
integration's secret key). Which of a client's configurations a caller sees is its
`Visibility` (server/authorization.py chooses it from the credential): all of them, a user's
own, or those made with one key. One it does not see is not found (404), as another
client's."""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

from ..db.queries import load_queries
from ..engine.config_validation import validate_config
from .rows import found

SQL = load_queries(os.path.join(os.path.dirname(__file__), "configurations.sql"))


@dataclass(frozen=True)
class Visibility:
    """Narrows a client's configurations to a user's (`user_id`) or a key's (`api_key_id`)."""
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None


EVERY = Visibility()


@dataclass(frozen=True)
class Maker:
    """Who makes a configuration: a user, or an API key."""
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None


class ConfigurationService:
    def __init__(self, pool, products):
        self.pool = pool
        self.products = products

    async def list(self, client_id, product_id, limit: int, offset: int, visible: Visibility = EVERY):
        scope = (client_id, visible.user_id, visible.api_key_id, product_id)
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(SQL.list_configurations, *scope, limit, offset)
            total = await conn.fetchval(SQL.count_configurations, *scope)
        return rows, total

    async def get(self, client_id, configuration_id, visible: Visibility = EVERY):
        row = await self.pool.fetchrow(SQL.get_configuration, client_id, visible.user_id, visible.api_key_id,
                                       configuration_id)
        return found(row, f"no configuration {configuration_id}")

    async def create(self, client_id, maker: Maker, product_id, name: str, config_data: dict):
        product = await self.products.get(client_id, product_id)
        complete = validate_config(product["config_schema"], config_data)
        return await self.pool.fetchrow(SQL.insert_configuration, client_id, maker.user_id, maker.api_key_id,
                                        product_id, name, complete, product["schema_version"])

    async def rename(self, client_id, configuration_id, name: str, visible: Visibility = EVERY):
        row = await self.pool.fetchrow(SQL.rename_configuration, client_id, visible.user_id, visible.api_key_id,
                                       configuration_id, name)
        return found(row, f"no configuration {configuration_id}")

    async def delete(self, client_id, configuration_id, visible: Visibility = EVERY) -> None:
        found(await self.pool.fetchval(SQL.delete_configuration, client_id, visible.user_id, visible.api_key_id,
                                       configuration_id),
              f"no configuration {configuration_id}")
