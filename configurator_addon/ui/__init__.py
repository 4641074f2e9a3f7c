"""Authoring tool for technical artists in Blender's GUI: a "Configurator" sidebar tab to mark
the product collection, inspect the open file against the template contract and export the
product as the server would. Importing registers nothing; `register()` does it all and
`unregister()` undoes exactly that.
"""
from __future__ import annotations

import bpy

from . import operators, panel, preferences, server_control, session_state

CLASSES = (preferences.ConfiguratorPreferences, *operators.CLASSES, *server_control.CLASSES, *panel.CLASSES)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    session_state.register()


def unregister() -> None:
    server_control.stop()
    session_state.unregister()
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
