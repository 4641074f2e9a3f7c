"""Templates on the worker's local disk, fetched once from blob storage per version.

A version published with procedural materials has a bake (services/template_bakes.py): its
record names the sha256 of the baked template, and the worker loads that in place of the
uploaded bytes, so jobs export the baked materials and never bake. A version without a record
(nothing procedural, or published before bakes existed) is loaded as uploaded.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import os

from ..errors import BlobNotFoundError, ErrorDetail, TemplateContractError
from ..files import write_atomically
from ..storage.blob_store import validate_blob_path


def bake_blob_path(client_id: object, version: str) -> str:
    """Where the baked template of one template version is stored (by the version's hash:
    the same bytes in two products share one bake)."""
    return validate_blob_path(f"{client_id}/bakes/{version}.blend")


def bake_record_path(client_id: object, version: str) -> str:
    """Where the record of a version's bake is stored (written after the bake itself)."""
    return validate_blob_path(f"{client_id}/bakes/{version}.json")


class TemplateFiles:
    def __init__(self, store, directory: str):
        self.store = store
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    async def path_for(self, blob_path: str, version: str) -> str:
        path = os.path.join(self.directory, f"{version}.blend")
        if os.path.exists(path):
            return path
        client_id = blob_path.split("/", 1)[0]  # template paths start with their client (storage/)
        data, expected, source = await self._baked(client_id, version)
        if data is None:
            data, expected, source = await self.store.get(blob_path), version, blob_path
        if hashlib.sha256(data).hexdigest() != expected:
            raise TemplateContractError("the stored template does not match its version",
                                        [ErrorDetail(code="TEMPLATE_CORRUPT", location=source,
                                                     message="sha256 of the stored bytes differs")])
        await asyncio.to_thread(write_atomically, path, data)
        return path

    async def _baked(self, client_id: str, version: str) -> tuple[bytes | None, str | None, str | None]:
        """(the baked template, its recorded sha256, its path), or Nones without a bake."""
        try:
            record = json.loads(await self.store.get(bake_record_path(client_id, version)))
        except BlobNotFoundError:
            return None, None, None
        if record.get("sha256") is None:
            return None, None, None
        path = bake_blob_path(client_id, version)
        return await self.store.get(path), record["sha256"], path
