"""Export options of a generation, as they enter the result cache key (no bpy)."""
from __future__ import annotations

# Bump when the engine's output for the same inputs changes, so cached results are not reused.
OUTPUT_FORMAT_VERSION = 1


def export_options(draco: bool) -> dict:
    return {"draco": bool(draco), "format": OUTPUT_FORMAT_VERSION}
