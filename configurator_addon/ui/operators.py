"""Operators of the authoring tool: thin shells that call the engine and report what it said.

The engine runs in a child Blender on a snapshot of the open file. Inside the artist's session
it would append the template next to the very datablocks the snapshot was saved from (Blender
renames the appended "Knob" to "Knob.001", so variant and material names no longer match),
switch the window's scene and change preferences; a child starts from an empty file, sees the
template exactly as the server will, and leaves the artist's session untouched.
"""
from __future__ import annotations

import contextlib
import os
import tempfile

import bpy
from bpy.props import BoolProperty, StringProperty
from bpy_extras.io_utils import ExportHelper

from ..engine.contract import PRODUCT_FLAG
from ..engine_process import run_engine
from ..errors import ConfiguratorError
from . import session_state
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


def product_collections() -> list:
    return [c for c in bpy.data.collections if c.get(PRODUCT_FLAG)]


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
    """Export the product in its default configuration as the server would generate it"""

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
        command = ["generate", "--config", "{}", "-o", os.path.abspath(self.filepath)]
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


CLASSES = (
    CONFIGURATOR_OT_mark_product_collection,
    CONFIGURATOR_OT_inspect_template,
    CONFIGURATOR_OT_export_glb,
)
