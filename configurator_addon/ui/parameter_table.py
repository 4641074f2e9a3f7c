"""The sidebar's two lists: the parameter table (a value per row to preview) and the
contract's errors and warnings (choosing one selects what it names)."""
from __future__ import annotations

import bpy

from . import session_state

SOURCE_ICONS = {
    "GN socket": "GEOMETRY_NODES", "collection property": "PROPERTIES", "variant set": "OUTLINER_COLLECTION",
    "material group": "MATERIAL",
}
# The table's columns when "All Columns" is on: (title, row attribute or None for the value, width).
COLUMNS = (("Key", "key", 1.0), ("Title", "title", 1.2), ("Type", "json_type", 0.7),
           ("Range / Options", "range_text", 1.2), ("Default", "default_text", 0.8), ("Unit", "unit", 0.4),
           ("Source", "source", 1.2), ("Value", None, 1.2))


def source_icon(row) -> str:
    return SOURCE_ICONS.get(row.source.split(", ")[0], "DOT")


def draw_value(layout, row) -> None:
    prop = session_state.value_property(row)
    if prop is None:
        layout.label(text=row.default_text)
    else:
        layout.prop(row, prop, text="")


class CONFIGURATOR_UL_parameters(bpy.types.UIList):
    """Parameters of the inspected template: title and value; every column with All Columns."""

    bl_idname = "CONFIGURATOR_UL_parameters"

    def draw_item(self, context, layout, data, item, icon, active_data, active_property, index=0, flt_flag=0):
        if data.show_columns:
            draw_columns(layout, item)
            return
        split = layout.split(factor=0.5)
        split.label(text=item.title, icon=source_icon(item))
        draw_value(split, item)


def draw_columns(layout, item) -> None:
    total = sum(width for _, _, width in COLUMNS)
    remaining = total
    row = layout
    for _, attribute, width in COLUMNS[:-1]:
        split = row.split(factor=width / remaining)
        split.label(text=getattr(item, attribute))
        row, remaining = split, remaining - width
    draw_value(row, item)


def draw_column_titles(layout) -> None:
    total = sum(width for _, _, width in COLUMNS)
    remaining = total
    row = layout
    for title, _, width in COLUMNS[:-1]:
        split = row.split(factor=width / remaining)
        split.label(text=title)
        row, remaining = split, remaining - width
    row.label(text=COLUMNS[-1][0])


class CONFIGURATOR_UL_problems(bpy.types.UIList):
    """Contract errors and warnings of the inspected template: where, and what is wrong."""

    bl_idname = "CONFIGURATOR_UL_problems"

    def draw_item(self, context, layout, data, item, icon, active_data, active_property, index=0, flt_flag=0):
        layout.label(text=item.name, icon="ERROR" if item.severity == "ERROR" else "INFO")


CLASSES = (CONFIGURATOR_UL_parameters, CONFIGURATOR_UL_problems)
