"""What the sidebar shows between clicks, kept on the window manager.

- `configurator_inspection`: the last inspection as the engine process answered it (JSON).
- `configurator_session`: the same made into rows for the sidebar's lists — one row per
  parameter (with a value to preview), one per contract error or warning — plus the
  preview's record of the values it changed and the last publish.

Blender writes no value of the window manager's properties into the .blend (a file saved
with them filled has the same bytes as one saved with them empty), so none of this ends up
in the template. The window manager outlives opening another file, so everything records
the file it belongs to and is shown only while that file is open.
"""
from __future__ import annotations

import json

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    FloatProperty,
    FloatVectorProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from ..authoring import locations
from ..engine.parameters import tidy_number

PROPERTY = "configurator_inspection"
SESSION = "configurator_session"

# The row property holding a parameter's value, by parameter kind.
VALUE_PROPERTIES = {
    "float": "value_float", "int": "value_int", "bool": "value_bool", "text": "value_text",
    "menu": "value_choice", "variant": "value_choice", "material": "value_choice", "color": "value_color",
}
_CHOICE_ITEMS: dict[tuple, list] = {}  # Blender keeps no reference to dynamic enum items: we must


def _choice_items(row, _context):
    options = tuple(json.loads(row.options_json or "[]"))
    if not options:
        return [("NONE", "(no options)", "")]
    return _CHOICE_ITEMS.setdefault(options, [(option, option, "") for option in options])


def _value_changed(row, context):
    session = getattr(context.window_manager, SESSION)
    if session.filling:
        return
    if row.kind in ("float", "int") and _clamped(row):
        return  # setting the bound calls this again
    from . import previewing  # the preview needs this module's classes: imported late

    previewing.preview_rows(context)


def _clamped(row) -> bool:
    prop = value_property(row)
    value = getattr(row, prop)
    if row.has_minimum and value < row.minimum:
        setattr(row, prop, type(value)(row.minimum))
        return True
    if row.has_maximum and value > row.maximum:
        setattr(row, prop, type(value)(row.maximum))
        return True
    return False


def _problem_chosen(session, context):
    if not session.filling and 0 <= session.problem_index < len(session.problems):
        select_problem(context, session.problems[session.problem_index])


class CONFIGURATOR_PG_parameter(bpy.types.PropertyGroup):
    """One parameter of the inspected template; `name` is its key (what the list filters by)."""

    key: StringProperty()
    title: StringProperty()
    kind: StringProperty()  # float | int | bool | text | menu | variant | material | color
    json_type: StringProperty()
    unit: StringProperty()
    description: StringProperty()
    range_text: StringProperty()
    default_text: StringProperty()
    source: StringProperty()  # GN socket, collection property, variant set, material group
    sources_text: StringProperty()  # every location it drives, one a line
    tooltip: StringProperty()
    options_json: StringProperty()
    default_json: StringProperty()
    has_minimum: BoolProperty()
    has_maximum: BoolProperty()
    minimum: FloatProperty()
    maximum: FloatProperty()

    value_float: FloatProperty(name="Value", update=_value_changed, precision=3)
    value_length: FloatProperty(name="Value", subtype="DISTANCE", update=_value_changed, precision=3)
    value_int: IntProperty(name="Value", update=_value_changed)
    value_bool: BoolProperty(name="Value", update=_value_changed)
    value_text: StringProperty(name="Value", update=_value_changed)
    value_choice: EnumProperty(name="Value", items=_choice_items, update=_value_changed)
    value_color: FloatVectorProperty(name="Value", subtype="COLOR_GAMMA", size=3, min=0.0, max=1.0,
                                     update=_value_changed)


class CONFIGURATOR_PG_problem(bpy.types.PropertyGroup):
    """A contract error or warning; `name` is its message (what the list filters by)."""

    severity: StringProperty()  # ERROR | WARNING
    code: StringProperty()
    message: StringProperty()
    location: StringProperty()


class CONFIGURATOR_PG_session(bpy.types.PropertyGroup):
    file: StringProperty(description="The file the rows below were made from")
    parameters: CollectionProperty(type=CONFIGURATOR_PG_parameter)
    parameter_index: IntProperty(name="Parameter")
    problems: CollectionProperty(type=CONFIGURATOR_PG_problem)
    problem_index: IntProperty(name="Problem", update=_problem_chosen,
                               description="Choose a problem to select the datablock at fault")
    show_columns: BoolProperty(name="All Columns", description="Show every column of the parameter table")
    filling: BoolProperty(options={"HIDDEN", "SKIP_SAVE"})  # rows being written: no preview, no selection

    preview_active: BoolProperty()
    preview_file: StringProperty()
    preview_originals: StringProperty(description="JSON: what the preview changed, as it was")
    preview_message: StringProperty()
    preview_suspended: BoolProperty()  # originals put back while the file is saved
    saving_from: StringProperty()

    publish_result: StringProperty(description="JSON: the last publish of this file")
    publish_file: StringProperty()


CLASSES = (CONFIGURATOR_PG_parameter, CONFIGURATOR_PG_problem, CONFIGURATOR_PG_session)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    setattr(bpy.types.WindowManager, PROPERTY, StringProperty(
        name="Configurator inspection",
        description="Last inspection of the open file as JSON",
        options={"HIDDEN"},
    ))
    setattr(bpy.types.WindowManager, SESSION, PointerProperty(type=CONFIGURATOR_PG_session, options={"HIDDEN"}))


def unregister() -> None:
    delattr(bpy.types.WindowManager, SESSION)
    delattr(bpy.types.WindowManager, PROPERTY)
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)


def session(context) -> CONFIGURATOR_PG_session:
    return getattr(context.window_manager, SESSION)


# -- the inspection ----------------------------------------------------------------------
def store_inspection(context, result: dict) -> None:
    """`result` is `{"inspection": ...}` or `{"error": ...}` as the engine process returns it."""
    setattr(context.window_manager, PROPERTY, json.dumps({"file": bpy.data.filepath, **result}))
    current = session(context)
    current.filling = True
    try:
        current.file = bpy.data.filepath
        current.parameters.clear()
        current.problems.clear()
        current.parameter_index = current.problem_index = 0
        if "inspection" in result:
            for parameter in result["inspection"]["parameters"]:
                fill_parameter(current.parameters.add(), parameter)
            for warning in result["inspection"]["warnings"]:
                location, message = locations.split_location(warning)
                add_problem(current, "WARNING", "", message, location or "")
        else:
            error = result["error"]
            for detail in error.get("errors") or [{"message": error.get("detail", ""), "code": error.get("code")}]:
                add_problem(current, "ERROR", detail.get("code", ""), detail.get("message", ""),
                            detail.get("location") or detail.get("pointer") or "")
    finally:
        current.filling = False


def stored_inspection(context) -> dict | None:
    text = getattr(context.window_manager, PROPERTY, "")
    if not text:
        return None
    stored = json.loads(text)
    return stored if stored.get("file") == bpy.data.filepath else None


def rows_of_open_file(context) -> CONFIGURATOR_PG_session | None:
    current = session(context)
    return current if current.file == bpy.data.filepath and stored_inspection(context) is not None else None


def add_problem(current, severity: str, code: str, message: str, location: str) -> None:
    row = current.problems.add()
    row.severity, row.code, row.message, row.location = severity, code or "", message, location
    row.name = f"{location}: {message}" if location else message


def clear(current) -> None:
    current.filling = True
    try:
        current.file = ""
        current.parameters.clear()
        current.problems.clear()
        current.publish_result = current.publish_file = ""
    finally:
        current.filling = False


# -- parameter rows ----------------------------------------------------------------------
def value_property(row) -> str | None:
    if row.kind == "float" and row.unit == "m":
        return "value_length"
    return VALUE_PROPERTIES.get(row.kind)


def fill_parameter(row, parameter: dict) -> None:
    row.name = row.key = parameter["key"]
    row.title = parameter["title"]
    row.kind = parameter.get("kind", "")
    row.json_type = parameter["type"]
    row.unit = parameter.get("unit") or ""
    row.description = parameter.get("description") or ""
    row.options_json = json.dumps(parameter.get("options") or [])
    row.default_json = json.dumps(parameter["default"])
    row.has_minimum = parameter.get("minimum") is not None
    row.has_maximum = parameter.get("maximum") is not None
    row.minimum = parameter.get("minimum") or 0.0
    row.maximum = parameter.get("maximum") or 0.0
    row.range_text = describe_range(parameter)
    row.default_text = describe_value(parameter["default"], row.unit)
    row.source = ", ".join(dict.fromkeys(source_kind(parameter, location) for location in parameter["sources"]))
    row.sources_text = "\n".join(parameter["sources"])
    row.tooltip = "\n".join(filter(None, [
        f"{row.title} ({row.key}): {row.json_type}, {row.range_text}, default {row.default_text}",
        row.description, f"Drives: {row.source}"]))
    set_value(row, parameter["default"])


def set_value(row, value) -> None:
    """Write `value` (as JSON has it) into the row's value property."""
    prop = value_property(row)
    if prop is None:
        return
    if row.kind == "color":
        digits = str(value).lstrip("#")
        value = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    setattr(row, prop, value)


def row_value(row):
    """The row's value as the configuration holds it (None for a kind without an editor)."""
    prop = value_property(row)
    if prop is None:
        return None
    value = getattr(row, prop)
    if row.kind == "float":
        return tidy_number(float(value))  # a float32 of 1.2 is 1.2000000477, past a maximum of 1.2
    if row.kind == "color":
        return "#" + "".join(f"{round(c * 255):02x}" for c in value)
    return value


def row_values(current) -> dict:
    values = {row.key: row_value(row) for row in current.parameters}
    return {key: value for key, value in values.items() if value is not None}


def reset_values(current) -> None:
    current.filling = True
    try:
        for row in current.parameters:
            set_value(row, json.loads(row.default_json))
    finally:
        current.filling = False


def changed_keys(current) -> list[str]:
    return [row.key for row in current.parameters
            if row_value(row) is not None and row_value(row) != json.loads(row.default_json)]


def describe_range(parameter: dict) -> str:
    if parameter.get("options") is not None:
        return ", ".join(parameter["options"])
    low, high = parameter.get("minimum"), parameter.get("maximum")
    if low is not None and high is not None:
        return f"{low} – {high}"
    if low is not None:
        return f"≥ {low}"
    if high is not None:
        return f"≤ {high}"
    return {"boolean": "on/off", "string": "#rrggbb" if parameter.get("kind") == "color" else "text"}.get(
        parameter["type"], "any")


def describe_value(value, unit: str = "") -> str:
    text = {True: "on", False: "off"}.get(value, str(value)) if isinstance(value, bool) else str(value)
    return f"{text} {unit}" if unit else text


def source_kind(parameter: dict, location: str) -> str:
    if parameter.get("kind") == "variant":
        return "variant set"
    if parameter.get("kind") == "material":
        return "material group"
    if "› property '" in location:
        return "collection property"
    if "› modifier '" in location:
        return "GN socket"
    return "template"


# -- problems --------------------------------------------------------------------------------
def select_problem(context, problem) -> list[str]:
    """Select what `problem` names: a parameter becomes the active table row; anything else
    is selected in the file (`authoring/locations.py`)."""
    if not problem.location:
        return []
    key = locations.parameter_key(problem.location)
    if key is not None:
        current = session(context)
        for index, row in enumerate(current.parameters):
            if row.key == key:
                current.parameter_index = index
                return [f"parameter '{key}'"]
        return []
    return locations.select(context, problem.location)


# -- the last publish --------------------------------------------------------------------------
def store_publish(context, result: dict) -> None:
    current = session(context)
    current.publish_result = json.dumps(result)
    current.publish_file = bpy.data.filepath


def stored_publish(context) -> dict | None:
    current = session(context)
    if not current.publish_result or current.publish_file != bpy.data.filepath:
        return None
    return json.loads(current.publish_result)
