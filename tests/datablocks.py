"""Counts of the datablocks a job could leak; a job must leave every count unchanged."""
from __future__ import annotations

import bpy

COUNTED = ("objects", "meshes", "materials", "collections", "node_groups", "images",
           "textures", "scenes", "actions", "curves", "cameras", "lights", "worlds", "texts")


def datablock_counts() -> dict[str, int]:
    return {name: len(getattr(bpy.data, name)) for name in COUNTED}
