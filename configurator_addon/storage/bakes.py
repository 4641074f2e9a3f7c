"""A template version's bake in blob storage (docs/engine.md, *Baked materials*): the baked
template and the record of the bake, both named by the version (the template's sha256), so
the same bytes in two products share one bake:

    {client_id}/bakes/{template_version}.blend   the baked template (absent if nothing was baked)
    {client_id}/bakes/{template_version}.json    {"sha256" of the baked bytes or null, "baked", "bake_ms"}

The record is written last: a bake cut short leaves none and is made again. Publishing makes
them (services/template_bakes.py); workers and thumbnail renders read them; the retention
sweep deletes those no version of the client's products uses (services/retention.py, step 5).
"""
from __future__ import annotations

import hashlib
import json

from ..errors import BlobNotFoundError
from .blob_store import BlobStore, validate_blob_path


def bake_blob_path(client_id: object, version: str) -> str:
    """Where the baked template of one template version is stored."""
    return validate_blob_path(f"{client_id}/bakes/{version}.blend")


def bake_record_path(client_id: object, version: str) -> str:
    """Where the record of a version's bake is stored (written after the bake itself)."""
    return validate_blob_path(f"{client_id}/bakes/{version}.json")


async def read_bake_record(store: BlobStore, client_id: object, version: str) -> dict | None:
    """The version's bake record, or None if it was never baked (or published before bakes)."""
    try:
        return json.loads(await store.get(bake_record_path(client_id, version)))
    except BlobNotFoundError:
        return None


async def write_bake(store: BlobStore, client_id: object, version: str, baked: bytes | None,
                     materials: list, bake_ms: float | None) -> dict:
    """Store a bake (`baked` None: nothing in the template was procedural), then its record."""
    if baked is not None:
        await store.put(bake_blob_path(client_id, version), baked, "application/x-blender")
    record = {"sha256": hashlib.sha256(baked).hexdigest() if baked is not None else None,
              "baked": materials, "bake_ms": bake_ms}
    await store.put(bake_record_path(client_id, version), json.dumps(record).encode(), "application/json")
    return record


async def read_baked_template(store: BlobStore, client_id: object, version: str) -> tuple[bytes, str] | None:
    """(the baked template, the sha256 its record names) where the version was baked, None
    where jobs load the upload as it is (no record, or nothing was procedural)."""
    record = await read_bake_record(store, client_id, version)
    if record is None or record.get("sha256") is None:
        return None
    return await store.get(bake_blob_path(client_id, version)), record["sha256"]
