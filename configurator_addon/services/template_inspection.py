"""Inspect an uploaded template in a short-lived Blender process.

Uploads are untrusted and rare: the API process never loads them into itself. A child
process runs the engine's `inspect` command with a time limit, and its answer comes back here.
"""
from __future__ import annotations

import os
import tempfile

from ..engine_process import run_engine_async
from ..errors import EngineTimedOut, ErrorDetail, TemplateContractError


class TemplateInspector:
    def __init__(self, blender_path: str | None = None, timeout_seconds: float = 120.0):
        self.blender_path = blender_path
        self.timeout_seconds = timeout_seconds

    async def inspect(self, template: bytes) -> dict:
        """The engine's inspection (`schema`, `parameters`, …) or `TemplateContractError`."""
        with tempfile.TemporaryDirectory(prefix="configurator-upload-") as folder:
            path = os.path.join(folder, "template.blend")
            with open(path, "wb") as handle:
                handle.write(template)
            try:
                return await run_engine_async(["inspect", path], timeout=self.timeout_seconds,
                                              blender_path=self.blender_path)
            except EngineTimedOut:
                raise TemplateContractError(
                    "inspecting the template took too long",
                    [ErrorDetail(code="INSPECTION_TIMEOUT", location="template",
                                 message=f"no answer within {self.timeout_seconds:.0f} s")],
                ) from None
