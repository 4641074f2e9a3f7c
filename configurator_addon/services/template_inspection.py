"""Inspect an uploaded template in a short-lived, confined Blender process.

Uploads are untrusted: the API process never loads them into itself. A child process runs
the engine's `inspect` command, confined to the upload's folder (`--confine`, see
docs/security.md), with an environment built from nothing (no secret reaches it) and the
`INSPECTION_TIMEOUT_SECONDS` limit. At most `INSPECTION_CONCURRENCY` run at once: an upload
beyond that is refused at once with 503 and `Retry-After`, not queued behind them.
"""
from __future__ import annotations

import asyncio
import os
import tempfile

from ..engine_process import run_engine_async
from ..errors import EngineTimedOut, ErrorDetail, OverCapacityError, TemplateContractError
from ..sandbox.sandboxed_engine import engine_environment


class TemplateInspector:
    def __init__(self, settings):
        self.settings = settings
        self._slots = asyncio.Semaphore(max(1, settings.inspection_concurrency))

    async def inspect(self, template: bytes) -> dict:
        """The engine's inspection (`schema`, `parameters`, …) or `TemplateContractError`."""
        if self._slots.locked():
            raise OverCapacityError("every template inspection slot is busy; try the upload again shortly")
        async with self._slots:
            return await self._inspect(template)

    async def _inspect(self, template: bytes) -> dict:
        timeout = self.settings.inspection_timeout_seconds
        with tempfile.TemporaryDirectory(prefix="configurator-upload-") as folder:
            path = os.path.join(folder, "template.blend")
            with open(path, "wb") as handle:
                handle.write(template)
            args = ["inspect", path, *(["--confine"] if self.settings.engine_sandbox else [])]
            try:
                return await run_engine_async(args, timeout=timeout, blender_path=self.settings.blender_path,
                                              env={**engine_environment(folder), **self._limits()})
            except EngineTimedOut:
                raise TemplateContractError(
                    "inspecting the template took too long",
                    [ErrorDetail(code="INSPECTION_TIMEOUT", location="template",
                                 message=f"no answer within {timeout:.0f} s")],
                ) from None

    def _limits(self) -> dict[str, str]:
        return {"GEOMETRY_LIMIT_VERTICES": str(self.settings.geometry_limit_vertices),
                "GEOMETRY_LIMIT_FACES": str(self.settings.geometry_limit_faces)}
