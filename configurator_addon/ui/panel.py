"""The "Configurator" tab of the 3D View sidebar."""
from __future__ import annotations

import bpy

from ..errors import ConfiguratorError
from . import server_control, session_state
from .operators import (
    CONFIGURATOR_OT_export_glb,
    CONFIGURATOR_OT_inspect_template,
    CONFIGURATOR_OT_mark_product_collection,
    product_collections,
)


class CONFIGURATOR_PT_sidebar(bpy.types.Panel):
    bl_idname = "CONFIGURATOR_PT_sidebar"
    bl_label = "Configurator"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Configurator"

    def draw(self, context):
        layout = self.layout
        draw_product_collection(layout)
        column = layout.column(align=True)
        column.operator(CONFIGURATOR_OT_mark_product_collection.bl_idname, icon="OUTLINER_COLLECTION")
        column.operator(CONFIGURATOR_OT_inspect_template.bl_idname, icon="VIEWZOOM")
        column.operator(CONFIGURATOR_OT_export_glb.bl_idname, icon="EXPORT")
        draw_server(layout.box())

        stored = session_state.stored_inspection(context)
        if stored is None:
            layout.label(text="Not inspected yet", icon="INFO")
        elif "error" in stored:
            lines = ConfiguratorError.from_dict(stored["error"]).lines()
            draw_lines(layout.box(), lines, icon="ERROR", alert=True)
        else:
            draw_inspection(layout, stored["inspection"])


def draw_server(layout) -> None:
    if server_control.is_running():
        layout.label(text=f"Serving at {server_control.url()}", icon="WORLD")
        layout.operator(server_control.CONFIGURATOR_OT_server_stop.bl_idname, icon="CANCEL")
    else:
        layout.operator(server_control.CONFIGURATOR_OT_server_start.bl_idname, icon="PLAY")


def draw_product_collection(layout) -> None:
    flagged = product_collections()
    row = layout.row()
    if len(flagged) == 1:
        row.label(text=f"Product: {flagged[0].name}", icon="OUTLINER_COLLECTION")
        return
    row.alert = True
    if not flagged:
        row.label(text="No product collection", icon="ERROR")
    else:
        row.label(text="Several product collections: " + ", ".join(c.name for c in flagged), icon="ERROR")


def draw_inspection(layout, inspection: dict) -> None:
    header, body = layout.panel("configurator_parameters", default_closed=False)
    header.label(text=f"Parameters ({len(inspection['parameters'])})")
    if body is not None:
        for parameter in inspection["parameters"]:
            row = body.row()
            row.label(text=parameter["title"])
            row.label(text=describe_parameter(parameter))
    if inspection["warnings"]:
        header, body = layout.panel("configurator_warnings", default_closed=True)
        header.label(text=f"Warnings ({len(inspection['warnings'])})", icon="ERROR")
        if body is not None:
            draw_lines(body, inspection["warnings"])


def describe_parameter(parameter: dict) -> str:
    """One line: key, type and default, e.g. `width: number = 0.6 m`."""
    kind = parameter["type"] if "options" not in parameter else "one of " + ", ".join(parameter["options"])
    unit = f" {parameter['unit']}" if parameter.get("unit") else ""
    return f"{parameter['key']}: {kind} = {parameter['default']}{unit}"


def draw_lines(layout, lines: list[str], icon: str = "NONE", alert: bool = False) -> None:
    column = layout.column(align=True)
    column.alert = alert
    for index, line in enumerate(lines):
        column.label(text=line, icon=icon if index == 0 else "NONE")


CLASSES = (CONFIGURATOR_PT_sidebar,)
