"""Content-addressed keys: template versions, export options and generation results (no bpy)."""
from __future__ import annotations

import hashlib
from typing import Any

from .config_validation import canonical_json

# Bump when the engine's output for the same inputs changes, so cached results are not reused.
OUTPUT_FORMAT_VERSION = 1


def export_options(draco: bool, morph: bool = False, file_format: str = "glb") -> dict:
    """Export options of a generation, as they enter the result cache key. `morph` enters
    only when set, so the keys of exact GLBs are those they always were; a morph GLB is
    never compressed with Draco (Draco cannot carry morph targets). A USDZ ("usdz") enters
    as `file_format`, GLBs keeping their keys; it has neither Draco nor morph targets."""
    if file_format != "glb":
        return {"draco": False, "file_format": file_format, "format": OUTPUT_FORMAT_VERSION}
    if morph:
        return {"draco": False, "format": OUTPUT_FORMAT_VERSION, "morph": True}
    return {"draco": bool(draco), "format": OUTPUT_FORMAT_VERSION}


def template_version(template_bytes: bytes) -> str:
    """A template's version is the SHA-256 of its bytes."""
    return hashlib.sha256(template_bytes).hexdigest()


def result_cache_key(template_version: str, config: dict, options: dict[str, Any]) -> str:
    """sha256(template_version + canonical config + canonical export options)."""
    digest = hashlib.sha256()
    for part in (template_version, canonical_json(config), canonical_json(options)):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()
