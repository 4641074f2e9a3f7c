"""Add-on preferences of the authoring tool: export defaults, the engine's time limit, and the
server to publish to with its secret API key.

Preferences live in Blender's own settings (userpref.blend, when the artist saves them),
never in a template's .blend. The key is shown as dots (`PASSWORD`); on a build machine
prefer the environment (CONFIGURATOR_API_KEY), which `configurator.publish` reads when the
preference is empty.
"""
from __future__ import annotations

import bpy
from bpy.props import BoolProperty, IntProperty, StringProperty

from . import online_access

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
    server_url: StringProperty(
        name="Server URL",
        description="The Configurator server Publish uploads to, e.g. http://127.0.0.1:8000 for `make run`",
    )
    api_key: StringProperty(
        name="API key",
        description="A secret key (sk_…) of an admin of your client, from the web admin area's API keys; "
                    "kept in Blender's preferences, never in a .blend",
        subtype="PASSWORD",
    )

    def draw(self, _context):
        layout = self.layout
        layout.prop(self, "use_draco")
        layout.prop(self, "timeout_seconds")
        box = layout.box()
        box.label(text="Publishing", icon="WORLD")
        box.prop(self, "server_url")
        box.prop(self, "api_key")
        if self.server_url and online_access.refusal_for_url(self.server_url):
            box.label(text="Online access is off: allow it under System › Network to publish there", icon="ERROR")


def addon_preferences(context) -> ConfiguratorPreferences | None:
    """The preferences, or None when the package was registered without Blender's add-on
    manager (a `bpy` script calling `register()` directly)."""
    addon = context.preferences.addons.get(ADDON_ID)
    return addon.preferences if addon is not None else None


def engine_timeout(context) -> int:
    preferences = addon_preferences(context)
    return preferences.timeout_seconds if preferences is not None else DEFAULT_TIMEOUT_SECONDS
