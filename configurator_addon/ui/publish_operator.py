"""`configurator.publish`: upload the open file as a new product, or as a new version of the
product it was published as before (`authoring/publishing.py` does the work).

It runs to the end before returning — in background build scripts too:
`bpy.ops.configurator.publish(server_url=…, api_key=…)`, each optional (else the add-on's
preferences, else CONFIGURATOR_SERVER_URL / CONFIGURATOR_API_KEY).
"""
from __future__ import annotations

import bpy
from bpy.props import BoolProperty, StringProperty

from ..authoring import publishing
from ..authoring.publish_client import answered_status
from ..errors import ConfiguratorError
from . import session_state
from .preferences import addon_preferences


class CONFIGURATOR_OT_publish(bpy.types.Operator):
    """Upload a packed copy of the open file: a new product, or a new version of the one it was published as"""

    bl_idname = "configurator.publish"
    bl_label = "Publish"
    bl_options = {"REGISTER"}

    server_url: StringProperty(name="Server URL", description="Instead of the preference", options={"SKIP_SAVE"})
    api_key: StringProperty(name="API key", description="Instead of the preference (a secret key, sk_…)",
                            subtype="PASSWORD", options={"SKIP_SAVE", "HIDDEN"})
    name: StringProperty(name="Name", description="A new product's name (default: the product collection's)",
                         options={"SKIP_SAVE"})
    description: StringProperty(name="Description", description="A new product's description",
                                options={"SKIP_SAVE"})
    as_new: BoolProperty(name="As New Product", options={"SKIP_SAVE"},
                         description="Publish as a new product even if this file was published before")

    def execute(self, context):
        window = context.window
        if window is not None and not bpy.app.background:
            window.cursor_set("WAIT")
        try:
            url, key = publishing.credentials(self.server_url, self.api_key, addon_preferences(context))
            result = publishing.publish_open_file(url, key, name=self.name, description=self.description,
                                                  as_new=self.as_new)
        except ConfiguratorError as error:
            return self.refused(context, error)
        finally:
            if window is not None and not bpy.app.background:
                window.cursor_set("DEFAULT")
        session_state.store_publish(context, result)
        first, *rest = publishing.describe(result)
        for line in rest:
            self.report({"INFO"}, line)
        if result["action"] == "created":
            self.report({"INFO"}, "Save the file: it remembers the product id, so the next Publish is a new version")
        self.report({"INFO"}, first)
        return {"FINISHED"}

    def refused(self, context, error: ConfiguratorError):
        status = answered_status(error)
        session_state.store_publish(context, {"action": "refused", "status": status, "code": error.code,
                                              "lines": error.lines()})
        if status == 409:  # nothing new to publish: not a failure of a build script's loop
            self.report({"WARNING"}, f"Not published: {error.detail} (HTTP 409)")
            return {"CANCELLED"}
        if status == 422 and error.errors:
            session_state.store_inspection(context, {"error": error.as_dict()})  # the problem list shows them
        prefix = f"Not published (HTTP {status}): " if status else "Not published: "
        first, *rest = error.lines()
        self.report({"ERROR"}, prefix + first)
        for line in rest:
            self.report({"ERROR"}, line)
        return {"CANCELLED"}


CLASSES = (CONFIGURATOR_OT_publish,)
