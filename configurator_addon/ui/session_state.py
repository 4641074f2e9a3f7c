"""What the sidebar shows between clicks: the last inspection, kept on the window manager.

The window manager outlives opening another file, so each result records the file it was
made from and is shown only while that file is open.
"""
from __future__ import annotations

import json

import bpy
from bpy.props import StringProperty

PROPERTY = "configurator_inspection"


def register() -> None:
    setattr(bpy.types.WindowManager, PROPERTY, StringProperty(
        name="Configurator inspection",
        description="Last inspection of the open file as JSON",
        options={"HIDDEN"},
    ))


def unregister() -> None:
    delattr(bpy.types.WindowManager, PROPERTY)


def store_inspection(context, result: dict) -> None:
    """`result` is `{"inspection": ...}` or `{"error": ...}` as the engine process returns it."""
    setattr(context.window_manager, PROPERTY, json.dumps({"file": bpy.data.filepath, **result}))


def stored_inspection(context) -> dict | None:
    text = getattr(context.window_manager, PROPERTY, "")
    if not text:
        return None
    stored = json.loads(text)
    return stored if stored.get("file") == bpy.data.filepath else None
