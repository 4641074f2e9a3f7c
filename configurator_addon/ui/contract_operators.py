"""Operators that write the template contract for the artist: variant sets, material groups
and rules (`authoring/contract_helpers.py` does the work)."""
from __future__ import annotations

import bpy
from bpy.props import CollectionProperty, StringProperty

from ..authoring import contract_helpers, locations
from ..engine import contract
from ..errors import ConfiguratorError
from .operators import report_error


class CONFIGURATOR_PG_name(bpy.types.PropertyGroup):
    """A datablock named by an operator called from a script."""


def selected_collections(context) -> list:
    """Collections selected in an Outliner of this window, else the active collection."""
    ids = getattr(context, "selected_ids", None)
    if ids is None and context.window is not None and context.screen is not None:
        for area in context.screen.areas:
            if area.type == "OUTLINER":
                region = next((r for r in area.regions if r.type == "WINDOW"), None)
                with context.temp_override(area=area, region=region):
                    ids = getattr(bpy.context, "selected_ids", None)  # None without a drawn Outliner
                break
    chosen = [i for i in ids or () if isinstance(i, bpy.types.Collection)]
    if not chosen and context.collection is not None and context.collection != context.scene.collection:
        chosen = [context.collection]
    return chosen


def _named(datablocks, names, noun: str) -> list:
    found = []
    for item in names:
        datablock = datablocks.get((item.name, None))
        if datablock is None:
            raise ConfiguratorError(f"no {noun} named '{item.name}' in this file")
        found.append(datablock)
    return found


class CONFIGURATOR_OT_add_variant_set(bpy.types.Operator):
    """Make the selected collections the options of a variant set (or a collection holding options the set itself)"""

    bl_idname = "configurator.add_variant_set"
    bl_label = "Add Variant Set"
    bl_options = {"REGISTER", "UNDO"}

    name: StringProperty(name="Name", description="The set's name, shown to customers (its key is the snake_case)")
    default: StringProperty(name="Default", description="The option shown by default (empty: the first)")
    collections: CollectionProperty(type=CONFIGURATOR_PG_name, options={"SKIP_SAVE"},
                                    description="Names of the option collections (scripts; else the selection)")

    def invoke(self, context, event):
        chosen = selected_collections(context)
        if not self.name and len(chosen) == 1 and len(chosen[0].children) > 0:
            self.name = chosen[0].name
        return context.window_manager.invoke_props_dialog(self)

    def execute(self, context):
        try:
            chosen = (_named(bpy.data.collections, self.collections, "collection") if len(self.collections)
                      else selected_collections(context))
            variant_set = contract_helpers.make_variant_set(chosen, self.name, self.default)
        except ConfiguratorError as error:
            report_error(self, error)
            return {"CANCELLED"}
        options = [c.name for c in variant_set.children]
        self.report({"INFO"}, f"Variant set '{variant_set[contract.VARIANT_SET_PROP]}' (collection "
                              f"'{variant_set.name}'): options {', '.join(options)}, default "
                              f"{variant_set[contract.VARIANT_DEFAULT_PROP]}")
        return {"FINISHED"}


class CONFIGURATOR_OT_add_to_material_group(bpy.types.Operator):
    """Put the selected objects' active materials in a material group (with the fake user that keeps options)"""

    bl_idname = "configurator.add_to_material_group"
    bl_label = "Add to Material Group"
    bl_options = {"REGISTER", "UNDO"}

    group: StringProperty(name="Group", description="The group's name, shown to customers (its key is the snake_case)")
    materials: CollectionProperty(type=CONFIGURATOR_PG_name, options={"SKIP_SAVE"},
                                  description="Names of the materials (scripts; else the selection's active ones)")

    def invoke(self, context, event):
        if not self.group:
            active = getattr(context.object, "active_material", None) if context.object else None
            self.group = str(active.get(contract.MATERIAL_GROUP_PROP, "")) if active is not None else ""
        return context.window_manager.invoke_props_dialog(self)

    def execute(self, context):
        try:
            if len(self.materials):
                chosen = _named(bpy.data.materials, self.materials, "material")
            else:
                chosen = [o.active_material for o in context.selected_objects if o.active_material is not None]
            changes = contract_helpers.add_to_material_group(chosen, self.group)
        except ConfiguratorError as error:
            report_error(self, error)
            return {"CANCELLED"}
        self.report({"INFO"}, f"Material group '{self.group.strip()}': " + ", ".join(changes))
        return {"FINISHED"}


class CONFIGURATOR_OT_edit_rules(bpy.types.Operator):
    """Open the template's rules (the text cfg_rules.json, made if missing) in a Text Editor"""

    bl_idname = "configurator.edit_rules"
    bl_label = "Edit Rules"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        text = contract_helpers.rules_text(create=True)
        shown = locations.show_text(context, text)
        if not shown and not bpy.app.background and context.window is not None:
            shown = _text_editor_window(context, text)
        where = "in the Text Editor" if shown else "(open a Text Editor to edit it)"
        self.report({"INFO"}, f"Rules are the text '{text.name}' {where}; check them with Save Rules")
        return {"FINISHED"}


def _text_editor_window(context, text) -> bool:
    before = set(context.window_manager.windows)
    bpy.ops.wm.window_new()
    added = [w for w in context.window_manager.windows if w not in before]
    if not added:
        return False
    area = added[0].screen.areas[0]
    area.type = "TEXT_EDITOR"
    area.spaces.active.text = text
    return True


class CONFIGURATOR_OT_save_rules(bpy.types.Operator):
    """Check the rules as the server will (JSON Schema, parameter keys, defaults obeying them); keep them if valid"""

    bl_idname = "configurator.save_rules"
    bl_label = "Save Rules"
    bl_options = {"REGISTER", "UNDO"}

    rules: StringProperty(name="Rules", options={"SKIP_SAVE"},
                          description="Rules as JSON to check and write (scripts; else the text cfg_rules.json)")

    def execute(self, context):
        text = contract_helpers.rules_text()
        source = self.rules or (text.as_string() if text is not None else "")
        if not source.strip():
            self.report({"ERROR"}, f"no rules: write them in the text '{contract.RULES_TEXT_NAME}' (Edit Rules)")
            return {"CANCELLED"}
        try:
            rules, warnings = contract_helpers.check_rules(source)
        except ConfiguratorError as error:
            report_error(self, error)
            return {"CANCELLED"}
        if self.rules:
            contract_helpers.write_rules(rules)  # the text as the artist wrote it stays untouched
        for warning in warnings:
            self.report({"WARNING"}, warning)
        self.report({"INFO"}, f"{len(rules)} rule(s) pass; they are the text '{contract.RULES_TEXT_NAME}', "
                              "saved with the file")
        return {"FINISHED"}


CLASSES = (
    CONFIGURATOR_PG_name,
    CONFIGURATOR_OT_add_variant_set,
    CONFIGURATOR_OT_add_to_material_group,
    CONFIGURATOR_OT_edit_rules,
    CONFIGURATOR_OT_save_rules,
)
