"""Preview parameter values in the artist's open file, and put every value back.

The open file *is* the template, so a preview must leave no trace in it. Before the first
value is applied, `capture` records everything a parameter (public or private) can drive:
the viewport visibility of the product collection and every collection under it, its
custom properties, every Geometry Nodes input of its objects, their material slots and the
unlinked material sockets of the node trees they use. The record is plain JSON naming
datablocks (references would not survive an undo step); `restore` writes back only what
differs, so a preview followed by a reset leaves the datablocks as they were.

Values are applied with the engine's own bindings and `apply_config`, from an inspection of
the open file in this process (`open_file.py`); they are validated first against the schema
of the file's contract check, so a value out of range or against a rule is refused here as
the server would refuse it.
"""
from __future__ import annotations

import bpy

from ..engine.blender.applying import apply_config
from ..engine.config_validation import validate_config
from ..engine.contract import SOCKET_KINDS
from .open_file import inspect_open_file


def capture(product) -> dict:
    objects = list(product.all_objects)
    state = {
        "product": product.name,
        "collections": {c.name: c.hide_viewport for c in (product, *_descendants(product))},
        "properties": {key: product[key] for key in product.keys()
                       if isinstance(product[key], (bool, int, float, str))},
        "inputs": [], "slots": [], "sockets": [],
    }
    for obj in objects:
        for modifier in obj.modifiers:
            for identifier, is_material in _modifier_inputs(modifier):
                if identifier in modifier:
                    state["inputs"].append([obj.name, modifier.name, identifier,
                                            _stored(modifier[identifier], is_material)])
        for index, slot in enumerate(obj.material_slots):
            state["slots"].append([obj.name, index, _name(slot.material)])
    for tree in _node_trees(objects):
        for node in tree.nodes:
            for index, socket in enumerate(node.inputs):
                if socket.type == "MATERIAL" and not socket.is_linked:
                    state["sockets"].append([tree.name, node.name, index, _name(socket.default_value)])
    return state


def restore(state: dict) -> list[str]:
    """Write back every recorded value that differs now. Returns what could not be put back
    (a datablock renamed or removed during the preview)."""
    lost: list[str] = []
    product = _local(bpy.data.collections, state["product"], lost, "collection")
    for name, hidden in state["collections"].items():
        collection = _local(bpy.data.collections, name, lost, "collection")
        if collection is not None and collection.hide_viewport != hidden:
            collection.hide_viewport = hidden
    if product is not None:
        for key, value in state["properties"].items():
            current = product.get(key)
            if type(current) is not type(value) or current != value:
                product[key] = value
                product.update_tag()
    for obj_name, modifier_name, identifier, stored in state["inputs"]:
        obj = _local(bpy.data.objects, obj_name, lost, "object")
        modifier = obj.modifiers.get(modifier_name) if obj is not None else None
        if modifier is None or identifier not in modifier:
            lost.append(f"object '{obj_name}' › modifier '{modifier_name}' › input {identifier}")
            continue
        is_material = isinstance(stored, dict)
        if _stored(modifier[identifier], is_material) != stored:
            modifier[identifier] = _material(stored["material"]) if is_material else stored
            obj.update_tag()
    for obj_name, index, material in state["slots"]:
        obj = _local(bpy.data.objects, obj_name, lost, "object")
        if obj is None or index >= len(obj.material_slots):
            continue
        if _name(obj.material_slots[index].material) != material:
            obj.material_slots[index].material = _material(material)
            obj.update_tag()
    for tree_name, node_name, index, material in state["sockets"]:
        tree = _local(bpy.data.node_groups, tree_name, lost, "node group")
        node = tree.nodes.get(node_name) if tree is not None else None
        if node is None or index >= len(node.inputs):
            continue
        if _name(node.inputs[index].default_value) != material:
            node.inputs[index].default_value = _material(material)
    return lost


def apply_values(values: dict, schema: dict, view_layer) -> dict:
    """Validate `values` (parameter key -> value) against `schema` — the product schema of
    the file's contract check — and apply them with the bindings the open file has now.
    Returns the complete configuration.

    Text parameters are validated but not written: nothing Blender draws can read a string
    property (drivers read numbers), and a longer string written and put back would leave
    the property's buffer larger than it was, a byte of difference in the saved file."""
    config = validate_config(schema, values)
    shown = {key for key, prop in schema.get("properties", {}).items() if prop.get("x-kind") != "text"}
    inspection = inspect_open_file()
    apply_config({key: targets for key, targets in inspection.bindings.items() if key in config and key in shown},
                 config, view_layer)
    return config


# -- helpers ---------------------------------------------------------------------------
def _modifier_inputs(modifier):
    """(identifier, is_material) of the inputs of a Geometry Nodes modifier a parameter may drive."""
    if modifier.type != "NODES" or modifier.node_group is None:
        return
    for item in modifier.node_group.interface.items_tree:
        if item.item_type == "SOCKET" and item.in_out == "INPUT" and item.socket_type in SOCKET_KINDS:
            yield item.identifier, item.socket_type == "NodeSocketMaterial"


def _stored(value, is_material: bool):
    if is_material:
        return {"material": _name(value)}
    if hasattr(value, "to_list"):
        return value.to_list()
    return value


def _name(datablock) -> str | None:
    return datablock.name if datablock is not None else None


def _material(name: str | None):
    return bpy.data.materials.get((name, None)) if name is not None else None


def _local(datablocks, name: str, lost: list[str], noun: str):
    found = datablocks.get((name, None))
    if found is None:
        lost.append(f"{noun} '{name}'")
    return found


def _descendants(collection):
    for child in collection.children:
        yield child
        yield from _descendants(child)


def _node_trees(objects):
    """Geometry Nodes trees the objects' modifiers use, nested groups included, each once."""
    seen: dict[int, object] = {}
    stack = [m.node_group for o in objects for m in o.modifiers if m.type == "NODES" and m.node_group is not None]
    while stack:
        tree = stack.pop()
        if tree.as_pointer() not in seen:
            seen[tree.as_pointer()] = tree
            stack.extend(n.node_tree for n in tree.nodes if getattr(n, "node_tree", None) is not None)
    return list(seen.values())
