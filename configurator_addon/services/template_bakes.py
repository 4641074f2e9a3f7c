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
"""
from __future__ import annotations

import logging

from ..storage.bakes import bake_blob_path, read_bake_record, write_bake

log = logging.getLogger("configurator.bakes")


class TemplateBakes:
    def __init__(self, store, inspector):
        self.store = store
        self.inspector = inspector
        self.bakes_run = 0  # bake commands this process ran (the cache's tests and figures read it)

    async def inspect(self, client_id, version: str, template: bytes) -> dict:
        """The inspection of an upload (`TemplateContractError` as inspection raises it); the
        same child bakes the template unless a record says this version was baked already.
        Inspectors that cannot bake (tests' stand-ins) only inspect."""
        baked_already = await read_bake_record(self.store, client_id, version) is not None
        if baked_already or not getattr(self.inspector, "bakes", False):
            return await self.inspector.inspect(template)
        inspection = await self.inspector.inspect(template, bake=True)
        bake = inspection.pop("bake", None)
        if bake is not None:  # something was procedural
            self.bakes_run += 1
            record = await write_bake(self.store, client_id, version, bake.pop("template", None),
                                      bake.get("baked", []), bake.get("bake_ms"))
            log.info("template baked", extra={"template_version": version, "bake_ms": record["bake_ms"],
                                              "materials": [b["material"] for b in record["baked"]]})
        return inspection

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
