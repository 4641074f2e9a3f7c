"""Templates on the worker's local disk, fetched once from blob storage per version.

A version published with procedural materials has a bake (services/template_bakes.py): its
record names the sha256 of the baked template, and the worker loads that in place of the
uploaded bytes, so jobs export the baked materials and never bake. A version without a record
(nothing procedural, or published before bakes existed) is loaded as uploaded.
"""
from __future__ import annotations

import asyncio
import hashlib
import os

from ..errors import ErrorDetail, TemplateContractError
from ..files import write_atomically
from ..storage.bakes import bake_blob_path, read_baked_template


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
        baked = await read_baked_template(self.store, client_id, version)
        if baked is not None:
            (data, expected), source = baked, bake_blob_path(client_id, version)
        else:
            data, expected, source = await self.store.get(blob_path), version, blob_path
        if hashlib.sha256(data).hexdigest() != expected:
            raise TemplateContractError("the stored template does not match its version",
                                        [ErrorDetail(code="TEMPLATE_CORRUPT", location=source,
                                                     message="sha256 of the stored bytes differs")])
        await asyncio.to_thread(write_atomically, path, data)
        return path
