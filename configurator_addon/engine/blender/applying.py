"""Apply a validated configuration to a loaded template, in place.

Each parameter source found by the inspector carries a *binding*: the datablock and slot it
drives. A job sets every parameter (defaults included), so whatever the previous job left
is always overwritten and the result depends only on the configuration. Values are written
only when they change, so unchanged parts of the model are not re-evaluated.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..colors import hex_to_linear_rgba
from ..contract import KINDS


def _changed(old, new) -> bool:
    """Blender stores many values as 32-bit floats (0.3 reads back as 0.30000001192): compare
    with that precision, or every job would rewrite and re-evaluate unchanged inputs."""
    if isinstance(new, tuple):
        return len(old) != len(new) or any(_changed(a, b) for a, b in zip(old, new, strict=True))
    if isinstance(new, float) and isinstance(old, (int, float)) and not isinstance(old, bool):
        return not math.isclose(old, new, rel_tol=1e-6, abs_tol=1e-9)
    return old != new


@dataclass
class ModifierInputBinding:
    """A Geometry Nodes modifier input, addressed by its stable socket identifier."""

    obj: object
    modifier_name: str
    identifier: str
    kind: str
    menu_values: dict[str, int] | None = None  # menu: item name -> stored integer
    materials: dict[str, object] | None = None  # material: option name -> Material

    def apply(self, value) -> None:
        if self.kind == "menu":
            value = self.menu_values[value]
        elif self.kind == "color":
            value = hex_to_linear_rgba(value)
        elif self.kind == "material":
            value = self.materials[value]
        else:
            value = KINDS[self.kind].stored_as(value)
        modifier = self.obj.modifiers[self.modifier_name]
        if _changed(modifier[self.identifier], value):
            modifier[self.identifier] = value
            self.obj.update_tag()  # assigning a modifier input alone does not re-evaluate


@dataclass
class CollectionPropertyBinding:
    """A custom property of the product collection, read by drivers."""

    collection: object
    prop: str
    kind: str

    def apply(self, value) -> None:
        value = KINDS[self.kind].stored_as(value)
        if _changed(self.collection[self.prop], value):
            self.collection[self.prop] = value
            self.collection.update_tag()


@dataclass
class VariantSetBinding:
    """Exactly one option collection of a variant set is enabled; exports skip the others."""

    options: dict[str, object]  # option name -> Collection

    def apply(self, value) -> None:
        for name, collection in self.options.items():
            hidden = name != value
            if collection.hide_viewport != hidden:
                collection.hide_viewport = hidden


@dataclass
class MaterialSlotBinding:
    obj: object
    slot_index: int
    materials: dict[str, object] | None = None  # option name -> Material, once the group is known

    def apply(self, value) -> None:
        slot = self.obj.material_slots[self.slot_index]
        material = self.materials[value]
        if slot.material != material:
            slot.material = material
            self.obj.update_tag()


@dataclass
class NodeMaterialBinding:
    """An unlinked Material socket of a node inside a Geometry Nodes tree."""

    node_tree: object
    node_name: str
    socket_index: int
    materials: dict[str, object] | None = None

    def apply(self, value) -> None:
        socket = self.node_tree.nodes[self.node_name].inputs[self.socket_index]
        material = self.materials[value]
        if socket.default_value != material:
            socket.default_value = material


def apply_config(bindings: dict[str, list], config: dict, view_layer) -> None:
    """Write every parameter value, then evaluate the depsgraph once."""
    for key, targets in bindings.items():
        value = config[key]
        for binding in targets:
            binding.apply(value)
    view_layer.update()
