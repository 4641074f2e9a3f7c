"""Inspect an uploaded template in a short-lived, confined Blender process.

Uploads are untrusted: the API process never loads them into itself. A child process runs
the engine's `inspect` command, confined to the upload's folder (`--confine`, see
docs/security.md), with an environment built from nothing (no secret reaches it) and the
`INSPECTION_TIMEOUT_SECONDS` and `ENGINE_MEMORY_LIMIT_MB` limits. At most
`INSPECTION_CONCURRENCY` run at once: an upload beyond that is refused at once with 503 and
`Retry-After`, not queued behind them.

The catalogue's thumbnails of a template are rendered the same way (`render_thumbnails`: the
engine's `thumbnail` command, same confinement, environment, time and geometry limits), one
at a time and queued rather than refused: nobody waits for them (services/products.py); so
are a saved configuration's, of its values (services/configurations.py).
"""
from __future__ import annotations

import asyncio
import json
import os
import tempfile

from ..engine_process import run_engine_async
from ..errors import EngineTimedOut, ErrorDetail, MemoryLimitExceeded, OverCapacityError, TemplateContractError
from ..sandbox.sandboxed_engine import engine_environment


class TemplateInspector:
    def __init__(self, settings):
        self.settings = settings
        self._slots = asyncio.Semaphore(max(1, settings.inspection_concurrency))
        self._render_slot = asyncio.Semaphore(1)

    bakes = True  # inspect(bake=True) bakes procedural materials in the same child (services/template_bakes.py)

    async def inspect(self, template: bytes, bake: bool = False) -> dict:
        """The engine's inspection (`schema`, `parameters`, …) or `TemplateContractError`.
        `bake`: the same child then bakes the template's procedural materials, answered as
        `bake: {"baked", "bake_ms", "template": baked bytes}` (none: no `bake`)."""
        if self._slots.locked():
            raise OverCapacityError("every template inspection slot is busy; try the upload again shortly")
        async with self._slots:
            return await self._inspect(template, bake)

    async def _inspect(self, template: bytes, bake: bool) -> dict:
        timeout = self.settings.inspection_timeout_seconds
        with tempfile.TemporaryDirectory(prefix="configurator-upload-") as folder:
            path = os.path.join(folder, "template.blend")
            with open(path, "wb") as handle:
                handle.write(template)
            args = ["inspect", path, *(["--confine"] if self.settings.engine_sandbox else []),
                    *(["--bake", f"--resolution={int(self.settings.bake_resolution)}"] if bake else [])]
            try:
                answer = await run_engine_async(args, timeout=timeout, blender_path=self.settings.blender_path,
                                                env={**engine_environment(folder), **self._limits()},
                                                memory_limit_bytes=self._memory_limit())
                if answer.get("bake", {}).get("baked"):
                    # Named by the child, inside the folder it was confined to: never a path it chose.
                    with open(os.path.join(folder, "baked.blend"), "rb") as handle:
                        answer["bake"]["template"] = handle.read()
                return answer
            except EngineTimedOut:
                raise TemplateContractError(
                    "inspecting the template took too long",
                    [ErrorDetail(code="INSPECTION_TIMEOUT", location="template",
                                 message=f"no answer within {timeout:.0f} s")],
                ) from None
            except MemoryLimitExceeded:
                raise TemplateContractError(
                    "inspecting the template took too much memory",
                    [ErrorDetail(code="INSPECTION_MEMORY", location="template",
                                 message=f"its default configuration grew past "
                                         f"{self.settings.engine_memory_limit_mb} MiB")],
                ) from None

    async def render_thumbnails(self, template: bytes, widths: tuple[int, ...], config: dict | None = None) -> dict:
        """`{"engine", "render_ms", "images": {width: WebP bytes}}` of the template's default
        configuration, or of `config` (a saved configuration's values); raises as inspection
        does (a template that inspected fine renders)."""
        async with self._render_slot:
            with tempfile.TemporaryDirectory(prefix="configurator-thumbnail-") as folder:
                path = os.path.join(folder, "template.blend")
                with open(path, "wb") as handle:
                    handle.write(template)
                args = ["thumbnail", path, *(f"--width={width}" for width in widths),
                        *([f"--config={json.dumps(config)}"] if config is not None else []),
                        *(["--confine"] if self.settings.engine_sandbox else [])]
                answer = await run_engine_async(args, timeout=self.settings.inspection_timeout_seconds,
                                                blender_path=self.settings.blender_path,
                                                env={**engine_environment(folder), **self._limits()},
                                                memory_limit_bytes=self._memory_limit())
                images = {}
                for width in widths:
                    # Named by the child, inside the folder it was confined to: never a path it chose.
                    with open(os.path.join(folder, f"{int(width)}.webp"), "rb") as handle:
                        images[int(width)] = handle.read()
        return {"engine": answer.get("engine"), "render_ms": answer.get("render_ms"), "images": images}

    def _memory_limit(self) -> int:
        return self.settings.engine_memory_limit_mb << 20

    def _limits(self) -> dict[str, str]:
        return {"GEOMETRY_LIMIT_VERTICES": str(self.settings.geometry_limit_vertices),
                "GEOMETRY_LIMIT_FACES": str(self.settings.geometry_limit_faces)}
