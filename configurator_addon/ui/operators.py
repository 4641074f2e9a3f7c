"""Operators of the authoring tool: thin shells that call the engine and report what it said."""
from __future__ import annotations

import bpy
from bpy.props import BoolProperty, StringProperty
from bpy_extras.io_utils import ExportHelper

from ..engine.contract import PRODUCT_FLAG
from . import engine_process, session_state
from .preferences import addon_preferences, engine_timeout


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
            result = engine_process.inspect_open_file(timeout=engine_timeout(context))
        except engine_process.EngineProcessError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        session_state.store_inspection(context, result)
        if "error" in result:
            for line in engine_process.error_lines(result["error"]):
                self.report({"ERROR"}, line)
            return {"CANCELLED"}
        inspection = result["inspection"]
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
        try:
            result = engine_process.export_open_file(self.filepath, draco=self.use_draco,
                                                     timeout=engine_timeout(context))
        except engine_process.EngineProcessError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        if "error" in result:
            for line in engine_process.error_lines(result["error"]):
                self.report({"ERROR"}, line)
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
