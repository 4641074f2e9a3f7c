"""Add-on preferences of the authoring tool: export defaults and the engine's time limit."""
from __future__ import annotations

import bpy
from bpy.props import BoolProperty, IntProperty

# The top package: "configurator_addon" in a checkout, "bl_ext.<repository>.configurator"
# when Blender loads the extension. Blender finds preferences by that module name.
ADDON_ID = __package__.rpartition(".")[0]

DEFAULT_TIMEOUT_SECONDS = 300


class ConfiguratorPreferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_ID

    use_draco: BoolProperty(
        name="Draco compression",
        description="Compress meshes with Draco when exporting a configured GLB",
        default=False,
    )
    timeout_seconds: IntProperty(
        name="Engine time limit",
        description="Seconds an inspection or export may take before it is stopped",
        default=DEFAULT_TIMEOUT_SECONDS,
        min=10,
        soft_max=3600,
        subtype="TIME_ABSOLUTE",
    )

    def draw(self, _context):
        layout = self.layout
        layout.prop(self, "use_draco")
        layout.prop(self, "timeout_seconds")


def addon_preferences(context) -> ConfiguratorPreferences | None:
    """The preferences, or None when the package was registered without Blender's add-on
    manager (a `bpy` script calling `register()` directly)."""
    addon = context.preferences.addons.get(ADDON_ID)
    return addon.preferences if addon is not None else None


def engine_timeout(context) -> int:
    preferences = addon_preferences(context)
    return preferences.timeout_seconds if preferences is not None else DEFAULT_TIMEOUT_SECONDS
