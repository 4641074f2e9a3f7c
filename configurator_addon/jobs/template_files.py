"""Templates on the worker's local disk, fetched once from blob storage per version."""
from __future__ import annotations

import asyncio
import hashlib
import os

from ..errors import ErrorDetail, TemplateContractError
from ..files import write_atomically


class TemplateFiles:
    def __init__(self, store, directory: str):
        self.store = store
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    async def path_for(self, blob_path: str, version: str) -> str:
        path = os.path.join(self.directory, f"{version}.blend")
        if os.path.exists(path):
            return path
        data = await self.store.get(blob_path)
        if hashlib.sha256(data).hexdigest() != version:
            raise TemplateContractError("the stored template does not match its version",
                                        [ErrorDetail(code="TEMPLATE_CORRUPT", location=blob_path,
                                                     message="sha256 of the stored bytes differs")])
        await asyncio.to_thread(write_atomically, path, data)
        return path
