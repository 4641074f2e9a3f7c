"""Saved configurations: validated against their product's schema before anything is stored.

Each records who made it: a user, or an API key (a storefront's publishable key, an
integration's secret key). Which of a client's configurations a caller sees is its
`Visibility` (server/authorization.py chooses it from the credential): all of them, a user's
own, or those made with one key. One it does not see is not found (404), as another
client's.

Names: a user's configurations have names unique ignoring case and runs of white space
(migration 0013 holds the unique index, so two saves at once cannot both win); a taken name
is a 409 naming the field, with a free name to offer ("Kitchen (2)"). Configurations made
with an API key are not narrowed: a storefront's shoppers share one key.

Thumbnails: once a configuration is saved, or its values change, its values are rendered as
small images (the product's `THUMBNAIL_WIDTHS`, WebP) in a background task after the answer,
in the same confined, limited child process as the catalogue's (`TemplateInspector`): the
render takes seconds and nothing waits for it. The images are stored under their digest and
recorded only while the configuration still holds the values drawn; until then the API says
`thumbnails: null` and /saved shows a placeholder.
"""
from __future__ import annotations

import logging
import os
import re
import uuid
from dataclasses import dataclass

import asyncpg

from ..db.queries import load_queries
from ..engine.config_validation import validate_config
from ..errors import DuplicateNameError, ErrorDetail
from .background import BackgroundTasks
from .products import THUMBNAIL_WIDTHS, store_thumbnails
from .rows import found

SQL = load_queries(os.path.join(os.path.dirname(__file__), "configurations.sql"))
log = logging.getLogger("configurator.configurations")
UNIQUE_NAME_INDEX = "configurations_unique_name_per_user"
NUMBERED = re.compile(r"^(?P<base>.*?)\s*\((?P<number>\d+)\)$")
MAX_NAME = 200


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


def name_key(name: str) -> str:
    """As the database's configuration_name_key: lower case, white space runs made one space."""
    return " ".join(name.split()).lower()


class ConfigurationService:
    def __init__(self, pool, products):
        self.pool = pool
        self.products = products
        self._renders = BackgroundTasks()

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
        try:
            row = await self.pool.fetchrow(SQL.insert_configuration, client_id, maker.user_id, maker.api_key_id,
                                           product_id, name, complete, product["schema_version"])
        except asyncpg.UniqueViolationError as exc:
            raise await self._name_taken(exc, client_id, maker.user_id, name) from None
        self._render_later(client_id, row["id"])
        return row

    async def update(self, client_id, configuration_id, name: str | None = None, config_data: dict | None = None,
                     visible: Visibility = EVERY):
        """A new name, new values (checked against the product's current schema), or both."""
        values = schema_version = None
        if config_data is not None:
            current = await self.get(client_id, configuration_id, visible)
            product = await self.products.get(client_id, current["product_id"])
            values = validate_config(product["config_schema"], config_data)
            schema_version = product["schema_version"]
        try:
            row = await self.pool.fetchrow(SQL.update_configuration, client_id, visible.user_id,
                                           visible.api_key_id, configuration_id, name, values, schema_version)
        except asyncpg.UniqueViolationError as exc:
            owner = await self.pool.fetchval(SQL.get_owner, client_id, configuration_id)
            raise await self._name_taken(exc, client_id, owner, name) from None
        row = found(row, f"no configuration {configuration_id}")
        if values is not None and row["thumbnails"] is None:
            self._render_later(client_id, row["id"])
        return row

    async def rename(self, client_id, configuration_id, name: str, visible: Visibility = EVERY):
        return await self.update(client_id, configuration_id, name=name, visible=visible)

    async def delete(self, client_id, configuration_id, visible: Visibility = EVERY) -> None:
        found(await self.pool.fetchval(SQL.delete_configuration, client_id, visible.user_id, visible.api_key_id,
                                       configuration_id),
              f"no configuration {configuration_id}")

    async def _name_taken(self, exc: asyncpg.UniqueViolationError, client_id, user_id, name: str):
        """The 409 of a taken name, with the first free "name (n)"; other violations as they were."""
        if getattr(exc, "constraint_name", None) != UNIQUE_NAME_INDEX:
            return exc
        free = await self.free_name(client_id, user_id, name)
        return DuplicateNameError(f"you already have a configuration named “{name.strip()}”", [ErrorDetail(
            code="NAME_TAKEN", pointer="/name", suggestion=free,
            message=f"“{name.strip()}” is taken (names differing only in case or spaces count as the same); "
                    f"“{free}” is free.")])

    async def free_name(self, client_id, user_id, name: str) -> str:
        """`name` with the lowest " (n)", n ≥ 2, that the user has not used (a name that already
        ends in " (n)" counts on from its stem)."""
        stem = " ".join(name.split())
        numbered = NUMBERED.match(stem)
        if numbered and numbered["base"]:
            stem = numbered["base"]
        taken = {row["name_key"] for row in await self.pool.fetch(SQL.names_like, client_id, user_id, stem)}
        number = 2
        while True:
            suffix = f" ({number})"
            candidate = stem[:MAX_NAME - len(suffix)].rstrip() + suffix
            if name_key(candidate) not in taken:
                return candidate
            number += 1

    # -- thumbnails ---------------------------------------------------------------------
    def _render_later(self, client_id, configuration_id) -> None:
        if not hasattr(self.products.inspector, "render_thumbnails"):
            return  # an inspector that cannot draw (tests' stand-ins): /saved shows placeholders
        self._renders.start(self.render_thumbnails(client_id, configuration_id))

    async def thumbnails_rendered(self) -> None:
        """Wait for the renders under way."""
        await self._renders.all_done()

    async def stop_rendering(self) -> None:
        """At shutdown, before the pool and store close: renders under way may finish within a
        bound, the rest are cancelled (those configurations keep their placeholder)."""
        await self._renders.stop()

    async def render_thumbnails(self, client_id, configuration_id) -> list[dict] | None:
        """Render, store and record the thumbnails of a configuration's current values; None if
        it is gone, its values changed meanwhile, or the render failed (logged: /saved keeps its
        placeholder, nothing else depends on it)."""
        store, inspector = self.products.store, self.products.inspector
        try:
            source = await self.pool.fetchrow(SQL.configuration_template, client_id, configuration_id)
            if source is None:
                return None
            template = await store.get(source["template_blob_path"])
            # As jobs see it: its procedural materials baked at publish (services/template_bakes.py).
            template = await self.products.bakes.template_for(client_id, source["template_version"],
                                                              template) or template
            rendered = await inspector.render_thumbnails(template, THUMBNAIL_WIDTHS, source["config_data"])
            thumbnails = await store_thumbnails(store, client_id, rendered["images"])
            recorded = await self.pool.fetchval(SQL.set_configuration_thumbnails, client_id, configuration_id,
                                                source["config_data"], thumbnails)
        except Exception as exc:  # noqa: BLE001 - a missing picture must never fail anything else
            log.warning("thumbnails of configuration %s failed: %s: %s", configuration_id, type(exc).__name__, exc)
            return None
        if recorded is None:
            return None  # deleted, or new values: their own render follows
        log.info("configuration thumbnails rendered", extra={"configuration": str(configuration_id),
                                                             "engine": rendered.get("engine"),
                                                             "render_ms": rendered.get("render_ms")})
        return thumbnails
