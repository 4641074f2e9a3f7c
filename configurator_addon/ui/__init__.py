"""Authoring tool for technical artists in Blender's GUI: a "Configurator" sidebar tab to mark
the product collection, check the open file against the template contract, list and preview
its parameters, write the contract's structures, export the product as the server would and
publish it, or serve it from this Blender and publish it on each save (the live link).
Importing registers nothing; `register()` does it all and `unregister()` undoes exactly that.
"""
from __future__ import annotations

import bpy

from . import (
    contract_operators,
    live_link,
    operators,
    panel,
    parameter_table,
    preferences,
    previewing,
    publish_operator,
    server_control,
    session_state,
)

CLASSES = (preferences.ConfiguratorPreferences, *operators.CLASSES, *contract_operators.CLASSES,
           *publish_operator.CLASSES, *server_control.CLASSES, *live_link.CLASSES,
           *parameter_table.CLASSES, *panel.CLASSES)


def register() -> None:
    session_state.register()
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    previewing.register()


def unregister() -> None:
    live_link.stop()
    server_control.stop()
    previewing.unregister()
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
    session_state.unregister()
