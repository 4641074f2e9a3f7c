"""Template bakes: a template's procedural materials baked once per template version, at
publish (docs/engine.md, *Baked materials*).

`TemplateBakes.inspect` inspects an upload when a product is created or its template
replaced, and bakes it in the same confined, limited child process (the engine's `inspect
--bake`: one Blender start, inspection's time and memory limits) before the version is stored,
so no job ever sees a version without its bake. It stores the baked `.blend` and then a record
of the bake, both named by the template's content hash:

    {client_id}/bakes/{template_version}.blend   the baked template (absent if nothing was baked)
    {client_id}/bakes/{template_version}.json    {"sha256" of the baked bytes or null, "baked", "bake_ms"}

The record is the cache: the same bytes published again (another product, a re-publish) find
it and bake nothing. It is written last, so a bake cut short leaves no record and is made
again. Workers read the record and load the baked template in place of the uploaded one
(jobs/template_files.py); thumbnails are drawn from the baked bytes too.
"""
from __future__ import annotations

import hashlib
import json
import logging

from ..errors import BlobNotFoundError
from ..jobs.template_files import bake_blob_path, bake_record_path

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
        can_bake = getattr(self.inspector, "bakes", False) and await self._record(client_id, version) is None
        if not can_bake:
            return await self.inspector.inspect(template)
        inspection = await self.inspector.inspect(template, bake=True)
        bake = inspection.pop("bake", None)
        if bake is not None:  # something was procedural
            self.bakes_run += 1
            baked = bake.pop("template", None)
            if baked is not None:
                await self.store.put(bake_blob_path(client_id, version), baked, "application/x-blender")
            record = {"sha256": hashlib.sha256(baked).hexdigest() if baked is not None else None,
                      "baked": bake.get("baked", []), "bake_ms": bake.get("bake_ms")}
            await self.store.put(bake_record_path(client_id, version), json.dumps(record).encode(),
                                 "application/json")
            log.info("template baked", extra={"template_version": version, "bake_ms": record["bake_ms"],
                                              "materials": [b["material"] for b in record["baked"]]})
        return inspection

    async def adopt(self, client_id, version: str, baked: bytes | None, record: dict) -> bool:
        """Take a bake made of these exact bytes outside a publish (the samples' build:
        templates/build_templates.py) as this version's, unless it already has one or the bake
        was made at another resolution than this server's; whether it was taken."""
        resolution = getattr(getattr(self.inspector, "settings", None), "bake_resolution", None)
        if (record.get("template_version") != version or record.get("resolution") != resolution
                or await self._record(client_id, version) is not None):
            return False
        if baked is not None:
            await self.store.put(bake_blob_path(client_id, version), baked, "application/x-blender")
        kept = {"sha256": hashlib.sha256(baked).hexdigest() if baked is not None else None,
                "baked": record.get("baked", []), "bake_ms": record.get("bake_ms")}
        await self.store.put(bake_record_path(client_id, version), json.dumps(kept).encode(), "application/json")
        return True

    async def template_for(self, client_id, version: str, template: bytes) -> bytes | None:
        """What a recorded bake says jobs load (the baked bytes, or `template` when the bake
        found nothing), or None when the version has no record."""
        record = await self._record(client_id, version)
        if record is None:
            return None
        if record.get("sha256") is None:
            return template
        return await self.store.get(bake_blob_path(client_id, version))

    async def _record(self, client_id, version: str) -> dict | None:
        try:
            return json.loads(await self.store.get(bake_record_path(client_id, version)))
        except BlobNotFoundError:
            return None
