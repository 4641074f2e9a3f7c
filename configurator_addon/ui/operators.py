"""Operators of the authoring tool: thin shells that call the engine and report what it said —
the product collection, the contract check, the export, choosing a problem, and previewing
parameter values (the helpers that write the contract are in `contract_operators.py`,
publishing in `publish_operator.py`).

The engine runs in a child Blender on a snapshot of the open file. Inside the artist's session
it would append the template next to the very datablocks the snapshot was saved from (Blender
renames the appended "Knob" to "Knob.001", so variant and material names no longer match),
switch the window's scene and change preferences; a child starts from an empty file, sees the
template exactly as the server will, and leaves the artist's session untouched.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile

import bpy
from bpy.props import BoolProperty, IntProperty, StringProperty
from bpy_extras.io_utils import ExportHelper

from ..authoring.open_file import product_collections
from ..engine.contract import PRODUCT_FLAG
from ..engine_process import run_engine
from ..errors import ConfiguratorError
from . import previewing, session_state
from .preferences import addon_preferences, engine_timeout


@contextlib.contextmanager
def open_file_snapshot():
    """A copy of the open file, as it is in memory, for a child process to read."""
    with tempfile.TemporaryDirectory(prefix="configurator-") as scratch:
        path = os.path.join(scratch, "template.blend")
        bpy.ops.wm.save_as_mainfile(filepath=path, copy=True, compress=False)
        yield path


def report_error(operator, error: ConfiguratorError) -> None:
    for line in error.lines():
        operator.report({"ERROR"}, line)



class CONFIGURATOR_OT_mark_product_collection(bpy.types.Operator):
    """Make the active collection the product collection (and no other)"""

    bl_idname = "configurator.mark_product_collection"
    bl_label = "Mark as Product Collection"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        collection = context.collection
        if collection is None or collection == context.scene.collection:
            cls.poll_message_set("Select a collection other than the scene collection")
            return False
        if collection.library is not None:
            cls.poll_message_set("A linked collection cannot be changed")
            return False
        return True

    def execute(self, context):
        chosen = context.collection
        for collection in product_collections():
            if collection != chosen and collection.library is None:
                del collection[PRODUCT_FLAG]
        chosen[PRODUCT_FLAG] = True
        self.report({"INFO"}, f"'{chosen.name}' is the product collection")
        return {"FINISHED"}


class CONFIGURATOR_OT_inspect_template(bpy.types.Operator):
    """Check the open file against the template contract and list its parameters"""

    bl_idname = "configurator.inspect_template"
    bl_label = "Inspect Template"
    bl_options = {"REGISTER"}

    def execute(self, context):
        if previewing.is_previewing(context):  # the table is about to be rebuilt from the file's own values
            previewing.reset(context)
        try:
            with open_file_snapshot() as template:
                inspection = run_engine(["inspect", template], timeout=engine_timeout(context))
        except ConfiguratorError as error:
            session_state.store_inspection(context, {"error": error.as_dict()})
            report_error(self, error)
            return {"CANCELLED"}
        session_state.store_inspection(context, {"inspection": inspection})
        for warning in inspection["warnings"]:
            self.report({"WARNING"}, warning)
        self.report({"INFO"}, f"'{inspection['product_name']}' follows the template contract: "
                              f"{len(inspection['parameters'])} parameters")
        return {"FINISHED"}


class CONFIGURATOR_OT_export_glb(bpy.types.Operator, ExportHelper):
    """Export the product as the server would generate it: in the configuration being previewed, else its defaults"""

    bl_idname = "configurator.export_glb"
    bl_label = "Export Configured GLB"
    bl_options = {"REGISTER"}

    filename_ext = ".glb"
    filter_glob: StringProperty(default="*.glb", options={"HIDDEN"})
    use_draco: BoolProperty(name="Draco compression", description="Compress meshes with Draco")

    def invoke(self, context, event):
        preferences = addon_preferences(context)
        if preferences is not None and not self.properties.is_property_set("use_draco"):
            self.use_draco = preferences.use_draco
        return ExportHelper.invoke(self, context, event)

    def execute(self, context):
        # The snapshot holds the file's own values (saving puts a preview's back), so the
        # engine applies the previewed ones as a configuration, as the server would.
        config = session_state.row_values(session_state.session(context)) if previewing.is_previewing(context) else {}
        command = ["generate", "--config", json.dumps(config), "-o", os.path.abspath(self.filepath)]
        if self.use_draco:
            command.append("--draco")
        try:
            with open_file_snapshot() as template:
                result = run_engine([*command, template], timeout=engine_timeout(context))
        except ConfiguratorError as error:
            report_error(self, error)
            return {"CANCELLED"}
        for warning in result["warnings"]:
            self.report({"WARNING"}, warning)
        self.report({"INFO"}, f"Wrote {result['output']} ({result['bytes']:,} bytes)")
        return {"FINISHED"}


class CONFIGURATOR_OT_select_problem(bpy.types.Operator):
    """Select the object, modifier, collection, node or parameter a contract error or warning names"""

    bl_idname = "configurator.select_problem"
    bl_label = "Select What Is at Fault"
    bl_options = {"REGISTER", "UNDO"}

    index: IntProperty(name="Problem", description="Row of the problem list (-1: the active row)", default=-1,
                       options={"SKIP_SAVE"})

    def execute(self, context):
        current = session_state.session(context)
        index = current.problem_index if self.index < 0 else self.index
        if not 0 <= index < len(current.problems):
            self.report({"WARNING"}, "no such problem in the list")
            return {"CANCELLED"}
        problem = current.problems[index]
        current.filling = True  # choosing the row here must not select a second time
        current.problem_index = index
        current.filling = False
        selected = session_state.select_problem(context, problem)
        if not selected:
            self.report({"WARNING"}, f"'{problem.location or problem.message}' is nothing in this file to select")
            return {"CANCELLED"}
        self.report({"INFO"}, "Selected " + " › ".join(selected))
        return {"FINISHED"}


class CONFIGURATOR_OT_preview_apply(bpy.types.Operator):
    """Show the product in the viewport with the parameter values of the table (and those given)"""

    bl_idname = "configurator.preview_apply"
    bl_label = "Preview Values"
    bl_options = {"REGISTER"}

    values: StringProperty(name="Values", description='JSON object of parameter values, e.g. {"width": 0.9}',
                           default="{}", options={"SKIP_SAVE"})

    @classmethod
    def poll(cls, context):
        if session_state.rows_of_open_file(context) is None:
            cls.poll_message_set("Inspect the template first")
            return False
        return True

    def execute(self, context):
        try:
            values = json.loads(self.values or "{}")
        except ValueError as exc:
            self.report({"ERROR"}, f"values are not JSON: {exc}")
            return {"CANCELLED"}
        if not isinstance(values, dict):
            self.report({"ERROR"}, 'values must be a JSON object, e.g. {"width": 0.9}')
            return {"CANCELLED"}
        if not previewing.apply_values(context, values):
            for line in session_state.session(context).preview_message.splitlines():
                self.report({"ERROR"}, line)
            return {"CANCELLED"}
        changed = session_state.changed_keys(session_state.session(context))
        self.report({"INFO"}, "Previewing " + (", ".join(changed) if changed else "the defaults"))
        return {"FINISHED"}


class CONFIGURATOR_OT_preview_reset(bpy.types.Operator):
    """Put back every value the preview changed: the file is as it was before the preview"""

    bl_idname = "configurator.preview_reset"
    bl_label = "Reset Preview"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        was_previewing = previewing.is_previewing(context)
        lost = previewing.reset(context)
        for line in lost:
            self.report({"WARNING"}, f"{line} was renamed or removed during the preview: not put back")
        self.report({"INFO"}, "Preview reset: every value is the file's own" if was_previewing
                    else "Nothing was being previewed")
        return {"FINISHED"}


CLASSES = (
    CONFIGURATOR_OT_mark_product_collection,
    CONFIGURATOR_OT_inspect_template,
    CONFIGURATOR_OT_export_glb,
    CONFIGURATOR_OT_select_problem,
    CONFIGURATOR_OT_preview_apply,
    CONFIGURATOR_OT_preview_reset,
)
