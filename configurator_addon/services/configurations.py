"""Saved configurations: validated against their product's schema before anything is stored."""
from __future__ import annotations

import os

from ..db.queries import load_queries
from ..engine.config_validation import validate_config
from .rows import found

SQL = load_queries(os.path.join(os.path.dirname(__file__), "configurations.sql"))


class ConfigurationService:
    def __init__(self, pool, products):
        self.pool = pool
        self.products = products

    async def list(self, client_id, product_id, limit: int, offset: int):
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(SQL.list_configurations, client_id, product_id, limit, offset)
            total = await conn.fetchval(SQL.count_configurations, client_id, product_id)
        return rows, total

    async def get(self, client_id, configuration_id):
        row = await self.pool.fetchrow(SQL.get_configuration, client_id, configuration_id)
        return found(row, f"no configuration {configuration_id}")

    async def create(self, client_id, user_id, product_id, name: str, config_data: dict):
        product = await self.products.get(client_id, product_id)
        complete = validate_config(product["config_schema"], config_data)
        return await self.pool.fetchrow(SQL.insert_configuration, client_id, product_id, user_id, name, complete,
                                        product["schema_version"])

    async def rename(self, client_id, configuration_id, name: str):
        row = await self.pool.fetchrow(SQL.rename_configuration, client_id, configuration_id, name)
        return found(row, f"no configuration {configuration_id}")

    async def delete(self, client_id, configuration_id) -> None:
        found(await self.pool.fetchval(SQL.delete_configuration, client_id, configuration_id),
              f"no configuration {configuration_id}")
