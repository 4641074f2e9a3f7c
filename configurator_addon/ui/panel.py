"""The "Configurator" tab of the 3D View sidebar: the product collection and the contract
check, then sub-panels for the parameter table with its preview, the contract's errors and
warnings, the helpers that write the contract, publishing, and the live link."""
from __future__ import annotations

import textwrap

import bpy

from ..authoring import publishing
from ..authoring.open_file import product_collections
from ..errors import ConfiguratorError
from . import (
    contract_operators,
    live_link,
    online_access,
    parameter_table,
    previewing,
    server_control,
    session_state,
)
from .operators import (
    CONFIGURATOR_OT_export_glb,
    CONFIGURATOR_OT_inspect_template,
    CONFIGURATOR_OT_mark_product_collection,
    CONFIGURATOR_OT_preview_reset,
    CONFIGURATOR_OT_select_problem,
)
from .preferences import addon_preferences
from .publish_operator import CONFIGURATOR_OT_publish

WRAP_COLUMNS = 60


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
            error = ConfiguratorError.from_dict(stored["error"])
            column = layout.column(align=True)
            column.alert = True
            column.label(text=error.detail, icon="ERROR")
            column.label(text=f"{len(error.errors)} problem(s): see Problems below")
        else:
            inspection = stored["inspection"]
            layout.label(text=f"Parameters ({len(inspection['parameters'])})", icon="CHECKMARK")
            if inspection["warnings"]:
                layout.label(text=f"Warnings ({len(inspection['warnings'])})", icon="ERROR")


class _SubPanel:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Configurator"
    bl_parent_id = "CONFIGURATOR_PT_sidebar"


class CONFIGURATOR_PT_parameters(_SubPanel, bpy.types.Panel):
    bl_idname = "CONFIGURATOR_PT_parameters"
    bl_label = "Parameters"

    def draw(self, context):
        draw_parameters(self.layout, context)


class CONFIGURATOR_PT_problems(_SubPanel, bpy.types.Panel):
    bl_idname = "CONFIGURATOR_PT_problems"
    bl_label = "Problems"

    @classmethod
    def poll(cls, context):
        current = session_state.rows_of_open_file(context)
        return current is not None and len(current.problems) > 0

    def draw(self, context):
        draw_problems(self.layout, context)


class CONFIGURATOR_PT_contract_helpers(_SubPanel, bpy.types.Panel):
    bl_idname = "CONFIGURATOR_PT_contract_helpers"
    bl_label = "Contract Helpers"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        column = self.layout.column(align=True)
        column.operator(contract_operators.CONFIGURATOR_OT_add_variant_set.bl_idname, icon="OUTLINER_COLLECTION")
        column.operator(contract_operators.CONFIGURATOR_OT_add_to_material_group.bl_idname, icon="MATERIAL")
        row = self.layout.row(align=True)
        row.operator(contract_operators.CONFIGURATOR_OT_edit_rules.bl_idname, icon="TEXT")
        row.operator(contract_operators.CONFIGURATOR_OT_save_rules.bl_idname, icon="CHECKMARK")


class CONFIGURATOR_PT_publish(_SubPanel, bpy.types.Panel):
    bl_idname = "CONFIGURATOR_PT_publish"
    bl_label = "Publish"

    def draw(self, context):
        draw_publish(self.layout, context)


class CONFIGURATOR_PT_live_link(_SubPanel, bpy.types.Panel):
    bl_idname = "CONFIGURATOR_PT_live_link"
    bl_label = "Live Link"

    def draw(self, context):
        draw_live_link(self.layout)


# -- drawing -----------------------------------------------------------------------------------
def draw_server(layout) -> None:
    if server_control.is_running():
        layout.label(text=f"Serving at {server_control.url()}", icon="WORLD")
        layout.operator(server_control.CONFIGURATOR_OT_server_stop.bl_idname, icon="CANCEL")
    else:
        layout.operator(server_control.CONFIGURATOR_OT_server_start.bl_idname, icon="PLAY")


def draw_live_link(layout) -> None:
    """Start/Stop, Open Web Preview, and how the last publish went (`ui/live_link.py`)."""
    row = layout.row(align=True)
    if live_link.is_active():
        row.operator(live_link.CONFIGURATOR_OT_live_link_start.bl_idname, text="Publish Now", icon="FILE_REFRESH")
        row.operator(live_link.CONFIGURATOR_OT_live_link_stop.bl_idname, icon="CANCEL")
    else:
        row.operator(live_link.CONFIGURATOR_OT_live_link_start.bl_idname, icon="LINKED")
    layout.operator(live_link.CONFIGURATOR_OT_open_web_preview.bl_idname, icon="URL")
    column = layout.column(align=True)
    for severity, text in live_link.status_lines():
        row = column.row()
        row.alert = severity == "ERROR"
        draw_wrapped(row.column(align=True), text,
                     icon={"ERROR": "ERROR", "WARNING": "ERROR"}.get(severity, "NONE"))
    if live_link.product_id():
        column.label(text=f"Product {live_link.product_id()}")


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


def draw_parameters(layout, context) -> None:
    current = session_state.rows_of_open_file(context)
    if current is None:
        layout.label(text="Inspect the template to list its parameters", icon="INFO")
        return
    if not len(current.parameters):
        layout.label(text="No parameters", icon="INFO")
        return
    layout.prop(current, "show_columns")
    if current.show_columns:
        parameter_table.draw_column_titles(layout.row())
    layout.template_list(parameter_table.CONFIGURATOR_UL_parameters.bl_idname, "", current, "parameters",
                         current, "parameter_index", item_dyntip_propname="tooltip",
                         rows=min(max(len(current.parameters), 3), 12))
    if 0 <= current.parameter_index < len(current.parameters):
        draw_parameter_details(layout.box(), current.parameters[current.parameter_index])
    draw_preview(layout.box(), context, current)


def draw_parameter_details(layout, row) -> None:
    column = layout.column(align=True)
    column.label(text=f"{row.title} ({row.key})", icon=parameter_table.source_icon(row))
    column.label(text=f"Type: {row.json_type} ({row.kind})")
    column.label(text=f"Range / options: {row.range_text}")
    column.label(text=f"Default: {row.default_text}" + (f"  Unit: {row.unit}" if row.unit else ""))
    column.label(text=f"Source: {row.source}")
    for location in row.sources_text.splitlines():
        draw_wrapped(column, location, indent="    ")
    if row.description:
        draw_wrapped(column, row.description)


def draw_preview(layout, context, current) -> None:
    if previewing.is_previewing(context):
        changed = session_state.changed_keys(current)
        layout.label(text="Previewing " + (", ".join(changed) if changed else "the defaults"), icon="HIDE_OFF")
    else:
        layout.label(text="Change a value to preview it in the viewport", icon="HIDE_OFF")
    if current.preview_message:
        column = layout.column(align=True)
        column.alert = True
        for index, line in enumerate(current.preview_message.splitlines()):
            draw_wrapped(column, line, icon="ERROR" if index == 0 else "NONE")
    layout.operator(CONFIGURATOR_OT_preview_reset.bl_idname, icon="LOOP_BACK")


def draw_problems(layout, context) -> None:
    current = session_state.rows_of_open_file(context)
    if current is None:
        return
    layout.template_list(parameter_table.CONFIGURATOR_UL_problems.bl_idname, "", current, "problems",
                         current, "problem_index", rows=min(max(len(current.problems), 2), 8))
    if 0 <= current.problem_index < len(current.problems):
        problem = current.problems[current.problem_index]
        box = layout.box()
        column = box.column(align=True)
        column.label(text=problem.code or problem.severity.title(),
                     icon="ERROR" if problem.severity == "ERROR" else "INFO")
        if problem.location:
            draw_wrapped(column, problem.location)
        draw_wrapped(column, problem.message)
        if problem.location:
            box.operator(CONFIGURATOR_OT_select_problem.bl_idname, icon="RESTRICT_SELECT_OFF")


def draw_publish(layout, context) -> None:
    preferences = addon_preferences(context)
    if preferences is not None:
        layout.prop(preferences, "server_url")
        layout.prop(preferences, "api_key")
    else:
        layout.label(text="Server and key: CONFIGURATOR_SERVER_URL, CONFIGURATOR_API_KEY", icon="INFO")
    flagged = product_collections()
    url = getattr(preferences, "server_url", "") if preferences is not None else ""
    if url and online_access.refusal_for_url(url):
        row = layout.row()
        row.alert = True
        row.label(text="Online access is off (Preferences › System › Network)", icon="ERROR")
    if len(flagged) == 1 and url:
        try:
            known = publishing.published_product_id(flagged[0], url)
        except ConfiguratorError:
            known = None
        layout.label(text=f"Publishes a new version of {known}" if known else "Publishes a new product",
                     icon="FILE_REFRESH" if known else "ADD")
    layout.operator(CONFIGURATOR_OT_publish.bl_idname, icon="EXPORT")
    result = session_state.stored_publish(context)
    if result is not None:
        draw_publish_result(layout.box(), result)


def draw_publish_result(layout, result: dict) -> None:
    column = layout.column(align=True)
    if result["action"] == "refused":
        column.alert = result.get("status") != 409
        for index, line in enumerate(result["lines"]):
            draw_wrapped(column, line, icon="ERROR" if index == 0 else "NONE")
        return
    first, *_ = publishing.describe(result)
    draw_wrapped(column, first, icon="CHECKMARK")
    column.label(text=f"Product {result['product_id']}")
    report = result.get("compatibility")
    if report:
        for line in publishing.describe_compatibility(report)[:1]:
            column.label(text=line)
        for change in report.get("changes") or []:
            row = column.row()
            row.alert = bool(change.get("breaking"))
            draw_wrapped(row.column(align=True), change.get("message") or publishing.change_words(change),
                         icon="ERROR" if change.get("breaking") else "DOT")
        configurations = report.get("configurations") or {}
        if configurations:
            row = column.row()
            row.alert = bool(configurations.get("invalid"))
            row.label(text=f"{configurations.get('invalid', 0)} of {configurations.get('total', 0)} saved "
                           "configurations would no longer validate")
            for example in (configurations.get("examples") or [])[:5]:
                draw_wrapped(column, describe_example(example), indent="    ")
    elif result.get("compatibility_error"):
        draw_wrapped(column, result["compatibility_error"], icon="INFO")


def describe_example(example) -> str:
    if not isinstance(example, dict):
        return str(example)
    name = example.get("name") or example.get("id") or "configuration"
    errors = example.get("errors") or []
    first = errors[0].get("message", "") if errors and isinstance(errors[0], dict) else (errors[0] if errors else "")
    return f"{name}: {first}" if first else str(name)


def draw_wrapped(layout, text: str, icon: str = "NONE", indent: str = "") -> None:
    lines = textwrap.wrap(text, WRAP_COLUMNS, subsequent_indent="  ") or [""]
    for index, line in enumerate(lines):
        layout.label(text=indent + line, icon=icon if index == 0 else "NONE")


CLASSES = (CONFIGURATOR_PT_sidebar, CONFIGURATOR_PT_parameters, CONFIGURATOR_PT_problems,
           CONFIGURATOR_PT_contract_helpers, CONFIGURATOR_PT_publish, CONFIGURATOR_PT_live_link)
