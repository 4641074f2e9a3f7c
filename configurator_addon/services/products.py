"""Products: list, get, create from an uploaded template, replace the template.

Thumbnails: once a template version is stored (created or replaced), its default
configuration is rendered as small images for the catalogue (`THUMBNAIL_WIDTHS`, WebP), in a
background task after the upload has answered: the render takes seconds (Blender starts,
loads, evaluates and draws) and nobody waits for it, while the upload's answer is what the
publisher waits for. The render runs in the same confined, limited child process as
inspection (`TemplateInspector.render_thumbnails`): a template is untrusted. The images are
stored under names made of their digest (immutable), then recorded on the product version
they drew; until then the API says `thumbnails: null` and the catalogue shows a placeholder.
Seeding stores the samples without rendering them (`render_thumbnails=False`): a process that
exits after seeding must not wait seconds per sample before the server may listen. A version
left without thumbnails (seeded, a restart cut its render short, or it predates them) is
rendered by `catch_up_thumbnails`, which every process serving the API starts in the
background at start: one of them at a time across all replicas (an advisory lock), for every
client, cancelled at once at shutdown (the next start resumes where it stopped).
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import uuid

import asyncpg

from ..accounts import audit
from ..accounts.clients import OPERATOR
from ..db.queries import load_queries
from ..engine.config_validation import validate_config
from ..engine.result_keys import export_options, result_cache_key, template_version
from ..errors import ConfiguratorError, ConflictError, NotFoundError
from ..storage import template_blob_path, thumbnail_blob_path
from .background import BackgroundTasks
from .rows import found
from .template_bakes import TemplateBakes

SQL = load_queries(os.path.join(os.path.dirname(__file__), "products.sql"))
log = logging.getLogger("configurator.products")
THUMBNAIL_WIDTHS = (256, 512)  # the catalogue's card at 1× and 2× (srcset)
# Any fixed bigint, used by no other advisory lock (the migrator's ends in 001, retention's in 002).
CATCH_UP_LOCK_KEY = 7_419_260_152_183_734_003


class ProductService:
    def __init__(self, pool, store, inspector):
        self.pool = pool
        self.store = store
        self.inspector = inspector
        self.bakes = TemplateBakes(store, inspector)  # procedural materials, baked at publish
        self._renders = BackgroundTasks()
        self._catch_up: asyncio.Task | None = None

    async def list(self, client_id, limit: int, offset: int):
        rows = await self.pool.fetch(SQL.list_products, client_id, limit, offset)
        if rows:
            return rows, rows[0]["total"]
        return rows, await self.pool.fetchval(SQL.count_products, client_id)  # a page past the end

    async def get(self, client_id, product_id):
        return found(await self.pool.fetchrow(SQL.get_product, client_id, product_id), f"no product {product_id}")

    async def create(self, client_id, name: str, description: str, template: bytes, product_id=None, *,
                     actor: str = OPERATOR, ip: str = "", render_thumbnails: bool = True):
        """Inspect (422 on contract errors), store the template by content, insert the product
        (audited as product.created, by `actor`); its thumbnails are rendered in the background
        unless `render_thumbnails` is False (then `catch_up_thumbnails` renders them)."""
        version = template_version(template)
        product_id = product_id or uuid.uuid4()
        path = template_blob_path(client_id, product_id, version)

        async def insert(conn, inspection: dict, preview_key: str):
            try:
                row = await conn.fetchrow(SQL.insert_product, client_id, product_id, name, description, path,
                                          version, inspection["schema"], inspection["parameters"], preview_key)
            except asyncpg.ForeignKeyViolationError:
                raise NotFoundError(f"no client {client_id}") from None
            await conn.execute(SQL.insert_product_version, product_id, row["schema_version"], path, version,
                               inspection["schema"], inspection["parameters"], preview_key)
            await _audit(conn, "product.created", row, actor, ip)
            return row

        row = await self._publish(client_id, version, template, path, insert)
        if render_thumbnails:
            self._render_later(client_id, product_id, version, template)
        return row

    async def replace_template(self, client_id, product_id, template: bytes, *, actor: str = OPERATOR,
                               ip: str = ""):
        """A new template makes a new schema version; saved configurations keep theirs
        (audited as template.replaced, by `actor`)."""
        current = await self.get(client_id, product_id)
        version = template_version(template)
        if version == current["template_version"]:
            raise ConflictError("this template is already the product's current version")
        path = template_blob_path(client_id, product_id, version)

        async def update(conn, inspection: dict, preview_key: str):
            row = found(await conn.fetchrow(SQL.update_product_template, client_id, product_id, path, version,
                                            inspection["schema"], inspection["parameters"], preview_key),
                        f"no product {product_id}")
            await conn.execute(SQL.insert_product_version, product_id, row["schema_version"], path, version,
                               inspection["schema"], inspection["parameters"], preview_key)
            await _audit(conn, "template.replaced", row, actor, ip)
            return row

        row = await self._publish(client_id, version, template, path, update)
        self._render_later(client_id, product_id, version, template)
        return row

    async def _publish(self, client_id, version: str, template: bytes, path: str, store_rows):
        """Inspect the upload (422 on contract errors) and bake it once per version, then
        `store_rows(conn, inspection, preview_key)` and store the template at `path` in one
        transaction, which holds the version's bake against the retention sweep; the row.
        A bake the sweep collected since the inspection reused it is made again."""
        while True:
            inspection, recorded = await self.bakes.inspect(client_id, version, template)
            preview_key = default_cache_key(version, inspection["schema"])
            async with self.pool.acquire() as conn, conn.transaction():
                if not await self.bakes.hold(conn, client_id, version, recorded):
                    continue  # collected meanwhile (template_bakes.py): bake again
                row = await store_rows(conn, inspection, preview_key)
                # Stored inside the transaction: a refused row stores no blob, a failed store no row.
                await self.store.put(path, template, "application/x-blender")
                return row

    async def find_by_name(self, client_id, name: str):
        return await self.pool.fetchrow(SQL.find_product_by_name, client_id, name)

    def _render_later(self, client_id, product_id, version: str, template: bytes) -> None:
        if not hasattr(self.inspector, "render_thumbnails"):
            return  # an inspector that cannot draw (tests' stand-ins): the catalogue shows placeholders
        self._renders.start(self.render_thumbnails(client_id, product_id, version, template))

    async def thumbnails_rendered(self) -> None:
        """Wait for the renders under way (a process that exits after uploading waits here)."""
        await self._renders.all_done()

    async def stop_rendering(self) -> None:
        """At shutdown, before the pool and store close: the catch-up stops at once; renders of
        uploads under way may finish within a bound, the rest are cancelled (their versions are
        caught up at the next start)."""
        if self._catch_up is not None:
            self._catch_up.cancel()
            await asyncio.gather(self._catch_up, return_exceptions=True)
        await self._renders.stop()

    async def render_thumbnails(self, client_id, product_id, version: str, template: bytes) -> list[dict] | None:
        """Render, store and record the thumbnails of one template version; None if the render
        failed (logged: the catalogue keeps its placeholder, nothing else depends on it)."""
        try:
            template = await self.bakes.template_for(client_id, version, template) or template  # as jobs see it
            rendered = await self.inspector.render_thumbnails(template, THUMBNAIL_WIDTHS)
            thumbnails = await store_thumbnails(self.store, client_id, rendered["images"])
            await self.pool.execute(SQL.set_version_thumbnails, client_id, product_id, version, thumbnails)
        except Exception as exc:  # noqa: BLE001 - a missing picture must never fail anything else
            log.warning("thumbnails of product %s (template %s) failed: %s: %s", product_id, version,
                        type(exc).__name__, exc)
            return None
        log.info("thumbnails rendered", extra={"product": str(product_id), "engine": rendered.get("engine"),
                                               "render_ms": rendered.get("render_ms")})
        return thumbnails

    def catch_up_thumbnails_later(self) -> asyncio.Task | None:
        """Start `catch_up_thumbnails` in the background (once per process); the task, to await."""
        if self._catch_up is None and hasattr(self.inspector, "render_thumbnails"):
            self._catch_up = asyncio.get_running_loop().create_task(self.catch_up_thumbnails())
        return self._catch_up

    async def catch_up_thumbnails(self) -> int | None:
        """Render every client's current versions that have no thumbnails, one after another;
        how many were tried, or None if another process holds the catch-up lock (it does them)."""
        async with self.pool.acquire() as conn:
            if not await conn.fetchval(SQL.try_catch_up_lock, CATCH_UP_LOCK_KEY):
                log.info("thumbnail catch-up skipped: another process is doing it")
                return None
            try:
                rows = await conn.fetch(SQL.versions_without_thumbnails)
                for row in rows:
                    try:
                        template = await self.store.get(row["template_blob_path"])
                    except ConfiguratorError as exc:
                        log.warning("template of product %s cannot be read for its thumbnails: %s", row["id"], exc)
                        continue
                    await self.render_thumbnails(row["client_id"], row["id"], row["template_version"], template)
                return len(rows)
            finally:
                await conn.execute(SQL.release_catch_up_lock, CATCH_UP_LOCK_KEY)

async def store_thumbnails(store, client_id, images: dict[int, bytes]) -> list[dict]:
    """Store rendered thumbnails (width -> WebP bytes) under names made of their digest
    (immutable); what a row records of them, smallest first."""
    thumbnails = []
    for width, image in sorted(images.items()):
        path = thumbnail_blob_path(client_id, hashlib.sha256(image).hexdigest()[:40], "webp")
        await store.put(path, image, "image/webp")
        thumbnails.append({"width": width, "height": width, "content_type": "image/webp", "blob_path": path})
    return thumbnails


async def _audit(connection, action: str, row, actor: str, ip: str) -> None:
    await audit.record(connection, action, client_id=row["client_id"], actor=actor, target=f"product:{row['id']}",
                       detail={"name": row["name"], "schema_version": row["schema_version"],
                               "template_version": row["template_version"]}, ip=ip)


def default_cache_key(version: str, schema: dict) -> str:
    """Result cache key of the default configuration: where the product's preview GLB is."""
    defaults = validate_config(schema, {})
    return result_cache_key(version, defaults, export_options(draco=False))
