"""Template bakes: a template's procedural materials baked once per template version, at
publish (docs/engine.md, *Baked materials*).

`TemplateBakes.inspect` inspects an upload when a product is created or its template
replaced, and bakes it in the same confined, limited child process (the engine's `inspect
--bake`: one Blender start, inspection's time and memory limits) before the version is stored,
so no job ever sees a version without its bake. It stores the baked `.blend` and then a record
of the bake, both named by the template's content hash (storage/bakes.py).

The record is the cache: the same bytes published again (another product, a re-publish) find
it and bake nothing. It is written last, so a bake cut short leaves no record and is made
again. Workers read the record and load the baked template in place of the uploaded one
(jobs/template_files.py); thumbnails are drawn from the baked bytes too.

The retention sweep deletes the bake of a version no product of its client has any more
(services/retention.py, step 5), holding the version's bake lock exclusively while it finds
it unused and deletes it. A publish takes the same lock, shared, in the transaction that
stores its version row (`hold`), and checks there that the record it relied on is still
there: either the sweep finished first and the publish bakes again, or the publish holds it
until its row commits and the sweep then finds the version in use. A publish never holds a
connection while it inspects.
"""
from __future__ import annotations

import logging
import os

from ..db.queries import load_queries
from ..storage.bakes import bake_blob_path, read_bake_record, write_bake

SQL = load_queries(os.path.join(os.path.dirname(__file__), "template_bakes.sql"))
log = logging.getLogger("configurator.bakes")
# The first key of every bake lock (template_bakes.sql); any fixed int used by no other
# two-key advisory lock.
BAKE_LOCK_NAMESPACE = 7_419_261


def bake_lock_key(client_id, version: str) -> str:
    """The text whose hash is a bake lock's second key."""
    return f"{client_id}/{version}"


class TemplateBakes:
    def __init__(self, store, inspector):
        self.store = store
        self.inspector = inspector
        self.bakes_run = 0  # bake commands this process ran (the cache's tests and figures read it)

    async def hold(self, conn, client_id, version: str, recorded: bool) -> bool:
        """In the transaction that stores the version's row: keep its bake from the sweep
        until the transaction ends; False if the record the inspection relied on (`recorded`)
        was collected since (then inspect again: it bakes)."""
        await conn.fetchval(SQL.hold_shared, BAKE_LOCK_NAMESPACE, bake_lock_key(client_id, version))
        return not recorded or await read_bake_record(self.store, client_id, version) is not None

    async def inspect(self, client_id, version: str, template: bytes) -> tuple[dict, bool]:
        """The inspection of an upload (`TemplateContractError` as inspection raises it), and
        whether a bake record of the version now exists that the version relies on. The same
        child bakes the template unless a record says this version was baked already.
        Inspectors that cannot bake (tests' stand-ins) only inspect."""
        if await read_bake_record(self.store, client_id, version) is not None:
            return await self.inspector.inspect(template), True
        if not getattr(self.inspector, "bakes", False):
            return await self.inspector.inspect(template), False
        inspection = await self.inspector.inspect(template, bake=True)
        bake = inspection.pop("bake", None)
        if bake is None:  # nothing was procedural
            return inspection, False
        self.bakes_run += 1
        record = await write_bake(self.store, client_id, version, bake.pop("template", None),
                                  bake.get("baked", []), bake.get("bake_ms"))
        log.info("template baked", extra={"template_version": version, "bake_ms": record["bake_ms"],
                                          "materials": [b["material"] for b in record["baked"]]})
        return inspection, True

    async def adopt(self, client_id, version: str, baked: bytes | None, record: dict) -> bool:
        """Take a bake made of these exact bytes outside a publish (the samples' build:
        templates/build_templates.py) as this version's, unless it already has one or the bake
        was made at another resolution than this server's; whether it was taken."""
        resolution = getattr(getattr(self.inspector, "settings", None), "bake_resolution", None)
        if (record.get("template_version") != version or record.get("resolution") != resolution
                or await read_bake_record(self.store, client_id, version) is not None):
            return False
        await write_bake(self.store, client_id, version, baked, record.get("baked", []), record.get("bake_ms"))
        return True

    async def template_for(self, client_id, version: str, template: bytes) -> bytes | None:
        """What a recorded bake says jobs load (the baked bytes, or `template` when the bake
        found nothing), or None when the version has no record."""
        record = await read_bake_record(self.store, client_id, version)
        if record is None:
            return None
        if record.get("sha256") is None:
            return template
        return await self.store.get(bake_blob_path(client_id, version))
