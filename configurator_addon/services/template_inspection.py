"""Inspect an uploaded template in a short-lived Blender process.

Uploads are untrusted and rare: the API process never loads them into itself. A child
process (the `bpy` module, or a Blender binary when `BLENDER_PATH` is set) runs the
engine's `inspect` command with a time limit, and its JSON answer comes back here.
"""
from __future__ import annotations

import asyncio
import json
import os
import tempfile

from ..entry_command import entry_command
from ..errors import ErrorDetail, GenerationError, TemplateContractError


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
            process = await asyncio.create_subprocess_exec(
                *entry_command(self.blender_path, "inspect", path),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
            )
            try:
                stdout, stderr = await asyncio.wait_for(process.communicate(), self.timeout_seconds)
            except asyncio.TimeoutError:
                process.kill()
                await process.wait()
                raise TemplateContractError(
                    "inspecting the template took too long",
                    [ErrorDetail(code="INSPECTION_TIMEOUT", location="template",
                                 message=f"no answer within {self.timeout_seconds:.0f} s")],
                ) from None
        try:
            answer = json.loads(stdout)
        except json.JSONDecodeError:
            raise GenerationError(f"template inspection failed (exit {process.returncode}): "
                                  f"{stderr.decode(errors='replace')[-500:]}") from None
        if process.returncode == 2:
            error = answer["error"]
            raise TemplateContractError(error["detail"], [ErrorDetail(**e) for e in error.get("errors", [])])
        if process.returncode != 0:
            raise GenerationError(f"template inspection failed: {answer.get('error', {}).get('detail', '')}")
        return answer
