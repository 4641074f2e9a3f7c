"""Where a contract error is, and taking the artist there.

Inspection names the datablock at fault as a chain of segments, outermost first:
`object 'Door' › modifier 'Shape' › input 'Offset' (Socket_4)`, `collection 'Handle'`,
`material group 'Finish' › object 'Body' › material slot 0`, `node group 'Box' › node
'Import'`, `text 'cfg_rules.json' › rule 2`, `parameter /width`. `parse` reads such a chain;
`select` selects the object, makes the modifier or material slot active, the collection
the active one, the node selected, and shows a text in an open Text Editor.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import bpy

_SEGMENT = r"[a-z][a-z ]*? (?:'[^']*'(?: \([^)]*\))?|\d+|/\S*)"
_CHAIN = rf"{_SEGMENT}(?: › {_SEGMENT})*"
_LEADING_CHAIN = re.compile(rf"^(?P<location>{_CHAIN})(?P<separator>: | )(?P<message>.*)$", re.DOTALL)
_PARTS = re.compile(r"^(?P<kind>[a-z][a-z ]*?) (?:'(?P<name>[^']*)'(?: \((?P<identifier>[^)]*)\))?"
                    r"|(?P<index>\d+)|(?P<pointer>/\S*))$")


@dataclass(frozen=True)
class Segment:
    kind: str
    name: str | None = None
    index: int | None = None
    identifier: str | None = None


def parse(location: str) -> list[Segment]:
    segments = []
    for part in location.split(" › "):
        match = _PARTS.match(part.strip())
        if match is None:
            segments.append(Segment(kind=part.strip()))
            continue
        if match["pointer"] is not None:  # `parameter /width`: a JSON pointer to the key
            name = match["pointer"].lstrip("/").split("/")[0] or None
            segments.append(Segment(kind=match["kind"], name=name))
        else:
            index = int(match["index"]) if match["index"] is not None else None
            segments.append(Segment(kind=match["kind"], name=match["name"], index=index,
                                    identifier=match["identifier"]))
    return segments


def split_location(text: str) -> tuple[str | None, str]:
    """A warning as inspection words it, `LOCATION: message` or `LOCATION message`, split."""
    match = _LEADING_CHAIN.match(text)
    if match is None:
        return None, text
    return match["location"], match["message"]


def parameter_key(location: str) -> str | None:
    """The key a `parameter …` location names, if it names one."""
    segments = parse(location)
    return segments[0].name if segments and segments[0].kind == "parameter" else None


def select(context, location: str) -> list[str]:
    """Select what `location` names in the open file; returns what was selected, in words
    (empty when none of it is in the file)."""
    done: list[str] = []
    obj = modifier = tree = None
    for segment in parse(location):
        kind, name = segment.kind, segment.name
        if kind == "object" and name is not None:
            obj = bpy.data.objects.get((name, None))
            if obj is not None and _select_object(context, obj):
                done.append(f"object '{obj.name}'")
        elif kind == "modifier" and obj is not None:
            modifier = obj.modifiers.get(name)
            if modifier is not None:
                modifier.is_active = True
                modifier.show_expanded = True
                _show_properties_tab(context, "MODIFIER")
                done.append(f"modifier '{modifier.name}'")
        elif kind == "input" and modifier is not None:
            done.append(f"input '{name}' of the modifier")
        elif kind == "material slot" and obj is not None and segment.index is not None:
            if segment.index < len(obj.material_slots):
                obj.active_material_index = segment.index
                _show_properties_tab(context, "MATERIAL")
                done.append(f"material slot {segment.index}")
        elif kind == "collection" and name is not None and obj is None:
            collection = bpy.data.collections.get((name, None))
            if collection is not None and _activate_collection(context, collection):
                done.append(f"collection '{collection.name}'")
        elif kind == "material" and name is not None and obj is None:
            done.extend(_select_material_user(context, bpy.data.materials.get((name, None))))
        elif kind == "node group" and name is not None:
            tree = bpy.data.node_groups.get((name, None))
            if tree is not None and obj is None:
                done.extend(_select_tree_user(context, tree))
        elif kind == "node" and tree is not None:
            node = tree.nodes.get(name)
            if node is not None:
                for other in tree.nodes:
                    other.select = False
                node.select = True
                tree.nodes.active = node
                done.append(f"node '{node.name}'")
        elif kind == "text" and name is not None:
            text = bpy.data.texts.get((name, None))
            if text is not None:
                show_text(context, text)
                done.append(f"text '{text.name}'")
    return done


def show_text(context, text) -> bool:
    """Show `text` in a Text Editor of an open window; False when none is open."""
    for window in getattr(context.window_manager, "windows", ()):
        screen = window.screen
        for area in screen.areas if screen is not None else ():
            if area.type == "TEXT_EDITOR":
                area.spaces.active.text = text
                return True
    return False


def _select_object(context, obj) -> bool:
    view_layer = context.view_layer
    if view_layer.objects.get(obj.name) != obj:
        return False  # not in this view layer (an excluded collection, another scene)
    for other in view_layer.objects:
        if other.select_get(view_layer=view_layer):
            other.select_set(False, view_layer=view_layer)
    try:
        obj.select_set(True, view_layer=view_layer)
    except RuntimeError:  # in view layer but not selectable (hidden): still make it active
        pass
    view_layer.objects.active = obj
    return True


def _activate_collection(context, collection) -> bool:
    def find(layer):
        if layer.collection == collection:
            return layer
        for child in layer.children:
            found = find(child)
            if found is not None:
                return found
        return None

    layer = find(context.view_layer.layer_collection)
    if layer is None:
        return False
    context.view_layer.active_layer_collection = layer
    return True


def _select_material_user(context, material) -> list[str]:
    if material is None:
        return []
    for obj in context.view_layer.objects:
        for index, slot in enumerate(obj.material_slots):
            if slot.material == material and _select_object(context, obj):
                obj.active_material_index = index
                _show_properties_tab(context, "MATERIAL")
                return [f"object '{obj.name}'", f"material slot {index} ('{material.name}')"]
    return []


def _select_tree_user(context, tree) -> list[str]:
    """The object whose Geometry Nodes modifier uses `tree`, with that modifier active: the
    node editor follows the active modifier."""
    for obj in context.view_layer.objects:
        for modifier in obj.modifiers:
            if modifier.type == "NODES" and modifier.node_group == tree and _select_object(context, obj):
                modifier.is_active = True
                return [f"object '{obj.name}'", f"modifier '{modifier.name}'"]
    return []


def _show_properties_tab(context, tab: str) -> None:
    screen = getattr(context, "screen", None)
    for area in screen.areas if screen is not None else ():
        if area.type == "PROPERTIES":
            try:
                area.spaces.active.context = tab
            except TypeError:  # the tab does not exist for the active object
                pass
