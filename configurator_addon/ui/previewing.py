"""The preview as the sidebar drives it: a parameter row's value changes, the product in the
viewport follows; *Reset* puts every value back.

The record of original values (`authoring/preview.py`) is kept as JSON on the window
manager's session with the file it belongs to. While a preview is on, saving the file —
the artist's Ctrl+S, and every copy the tool saves to inspect, export or publish — writes
the original values: they are put back (and the drivers that follow them evaluated, as
drivers write their results into the file's data) just before the save, and the preview is
applied again just after it. Opening a file ends a preview (its values were never saved).
"""
from __future__ import annotations

import json

import bpy
from bpy.app.handlers import persistent

from ..authoring import preview
from ..authoring.open_file import the_product_collection
from ..errors import ConfiguratorError
from . import session_state


def is_previewing(context) -> bool:
    current = session_state.session(context)
    return current.preview_active and current.preview_file == bpy.data.filepath


def preview_rows(context) -> bool:
    """Apply the table's values to the open file (recording the originals first). A value
    the file's schema refuses (out of range, against a rule) is not applied: the message is
    kept for the panel. Returns whether the values were applied."""
    current = session_state.session(context)
    stored = session_state.stored_inspection(context)
    if stored is None or "inspection" not in stored:
        current.preview_message = "Inspect the template first: the preview checks values against its schema"
        return False
    try:
        if not is_previewing(context):
            current.preview_originals = json.dumps(preview.capture(the_product_collection()))
            current.preview_file = bpy.data.filepath
            current.preview_active = True
        preview.apply_values(session_state.row_values(current), stored["inspection"]["schema"], context.view_layer)
    except ConfiguratorError as error:
        current.preview_message = "\n".join(error.lines())
        return False
    current.preview_message = ""
    return True


def apply_values(context, values: dict) -> bool:
    """Set rows from `values` (parameter key -> value), then preview them all."""
    current = session_state.session(context)
    rows = {row.key: row for row in current.parameters}
    unknown = sorted(set(values) - set(rows))
    if unknown:
        current.preview_message = "not parameters of this template: " + ", ".join(unknown)
        return False
    current.filling = True
    try:
        for key, value in values.items():
            session_state.set_value(rows[key], value)
    finally:
        current.filling = False
    return preview_rows(context)


def reset(context) -> list[str]:
    """Put back every value the preview changed and the table's defaults. Returns what could
    not be put back (datablocks renamed or removed meanwhile)."""
    current = session_state.session(context)
    lost = []
    if is_previewing(context):
        lost = preview.restore(json.loads(current.preview_originals))
        context.view_layer.update()
    end(current)
    session_state.reset_values(current)
    return lost


def end(current) -> None:
    current.preview_active = current.preview_suspended = False
    current.preview_originals = current.preview_file = current.preview_message = ""


# -- saving and opening files ------------------------------------------------------------------
@persistent
def _before_save(_path, *_):
    context = bpy.context
    current = session_state.session(context)
    current.saving_from = bpy.data.filepath
    if is_previewing(context):
        preview.restore(json.loads(current.preview_originals))
        context.view_layer.update()  # drivers write what they compute back into the file's data
        current.preview_suspended = True


@persistent
def _after_save(_path, *_):
    context = bpy.context
    current = session_state.session(context)
    if current.saving_from != bpy.data.filepath:  # "Save As": the open file has a new name
        for name in ("file", "preview_file", "publish_file"):
            if getattr(current, name) == current.saving_from:
                setattr(current, name, bpy.data.filepath)
        stored = getattr(context.window_manager, session_state.PROPERTY, "")
        if stored and json.loads(stored).get("file") == current.saving_from:
            setattr(context.window_manager, session_state.PROPERTY,
                    json.dumps({**json.loads(stored), "file": bpy.data.filepath}))
    if current.preview_suspended:
        current.preview_suspended = False
        preview_rows(context)


@persistent
def _after_load(*_):
    current = session_state.session(bpy.context)
    end(current)
    if current.file != bpy.data.filepath:
        session_state.clear(current)
    else:
        session_state.reset_values(current)


HANDLERS = ((bpy.app.handlers.save_pre, _before_save), (bpy.app.handlers.save_post, _after_save),
            (bpy.app.handlers.load_post, _after_load))


def register() -> None:
    for handlers, handler in HANDLERS:
        if handler not in handlers:
            handlers.append(handler)


def unregister() -> None:
    for handlers, handler in HANDLERS:
        while handler in handlers:
            handlers.remove(handler)
