"""Products: list, get, create from an uploaded template, replace the template."""
from __future__ import annotations

import os
import uuid

import asyncpg

from ..accounts import audit
from ..accounts.clients import OPERATOR
from ..db.queries import load_queries
from ..engine.config_validation import validate_config
from ..engine.result_keys import export_options, result_cache_key, template_version
from ..errors import ConflictError, NotFoundError
from ..storage import template_blob_path
from .rows import found

SQL = load_queries(os.path.join(os.path.dirname(__file__), "products.sql"))


class ProductService:
    def __init__(self, pool, store, inspector):
        self.pool = pool
        self.store = store
        self.inspector = inspector

    async def list(self, client_id, limit: int, offset: int):
        rows = await self.pool.fetch(SQL.list_products, client_id, limit, offset)
        if rows:
            return rows, rows[0]["total"]
        return rows, await self.pool.fetchval(SQL.count_products, client_id)  # a page past the end

    async def get(self, client_id, product_id):
        return found(await self.pool.fetchrow(SQL.get_product, client_id, product_id), f"no product {product_id}")

    async def create(self, client_id, name: str, description: str, template: bytes, product_id=None, *,
                     actor: str = OPERATOR, ip: str = ""):
        """Inspect (422 on contract errors), store the template by content, insert the product
        (audited as product.created, by `actor`)."""
        inspection = await self.inspector.inspect(template)
        version = template_version(template)
        preview_key = default_cache_key(version, inspection["schema"])
        product_id = product_id or uuid.uuid4()
        path = template_blob_path(client_id, product_id, version)
        async with self.pool.acquire() as conn, conn.transaction():
            try:
                row = await conn.fetchrow(SQL.insert_product, client_id, product_id, name, description, path,
                                          version, inspection["schema"], inspection["parameters"], preview_key)
            except asyncpg.ForeignKeyViolationError:
                raise NotFoundError(f"no client {client_id}") from None
            await conn.execute(SQL.insert_product_version, product_id, row["schema_version"], path, version,
                               inspection["schema"], inspection["parameters"], preview_key)
            await _audit(conn, "product.created", row, actor, ip)
            # Stored inside the transaction: a refused row stores no blob, a failed store no row.
            await self.store.put(path, template, "application/x-blender")
        return row

    async def replace_template(self, client_id, product_id, template: bytes, *, actor: str = OPERATOR,
                               ip: str = ""):
        """A new template makes a new schema version; saved configurations keep theirs
        (audited as template.replaced, by `actor`)."""
        current = await self.get(client_id, product_id)
        version = template_version(template)
        if version == current["template_version"]:
            raise ConflictError("this template is already the product's current version")
        inspection = await self.inspector.inspect(template)
        preview_key = default_cache_key(version, inspection["schema"])
        path = template_blob_path(client_id, product_id, version)
        async with self.pool.acquire() as conn, conn.transaction():
            row = found(await conn.fetchrow(SQL.update_product_template, client_id, product_id, path, version,
                                            inspection["schema"], inspection["parameters"], preview_key),
                        f"no product {product_id}")
            await conn.execute(SQL.insert_product_version, product_id, row["schema_version"], path, version,
                               inspection["schema"], inspection["parameters"], preview_key)
            await _audit(conn, "template.replaced", row, actor, ip)
            await self.store.put(path, template, "application/x-blender")
        return row

    async def find_by_name(self, client_id, name: str):
        return await self.pool.fetchrow(SQL.find_product_by_name, client_id, name)


async def _audit(connection, action: str, row, actor: str, ip: str) -> None:
    await audit.record(connection, action, client_id=row["client_id"], actor=actor, target=f"product:{row['id']}",
                       detail={"name": row["name"], "schema_version": row["schema_version"],
                               "template_version": row["template_version"]}, ip=ip)


def default_cache_key(version: str, schema: dict) -> str:
    """Result cache key of the default configuration: where the product's preview GLB is."""
    defaults = validate_config(schema, {})
    return result_cache_key(version, defaults, export_options(draco=False))
