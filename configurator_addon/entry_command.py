"""The command line that runs `server_entry.py` in a new process: under the Blender binary
when `BLENDER_PATH` is set (the production path), else under this Python with the `bpy` module."""
from __future__ import annotations

import os
import sys

ENTRY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "server_entry.py")


def entry_command(blender_path: str | None, *args: str) -> list[str]:
    if blender_path:
        return [blender_path, "--background", "--factory-startup", "--python", ENTRY, "--", *args]
    return [sys.executable, ENTRY, *args]
