"""Content-addressed keys: template versions and generation results (no bpy)."""
from __future__ import annotations

import hashlib
from typing import Any

from .config_validation import canonical_json


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
