"""Small templates built with bpy for tests: one that follows contract v1 with every kind of
parameter, and one per contract violation. Each builder saves a `.blend` and returns its path.

Run in a process of its own (`python tests/template_fixtures.py OUT_DIR`): building resets
Blender's main file, which an engine process must not do.
"""
from __future__ import annotations

import json
import os
import sys

import bpy

EVIL_MARKER = "configurator_evil_ran"


def _reset():
    bpy.ops.wm.read_factory_settings(use_empty=True)


def _product(name="Test Box"):
    product = bpy.data.collections.new(name)
    product["cfg_product"] = True
    bpy.context.scene.collection.children.link(product)
    return product


def _material(name, rgba, group=None):
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    bsdf = material.node_tree.nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = rgba
    if group:
        material["cfg_group"] = group
        material.use_fake_user = True
    return material


def _box_node_group(name="Box", extra_inputs=()):
    """GN group: a box of Width × Depth × Height standing on the floor, centred on X/Y."""
    tree = bpy.data.node_groups.new(name, "GeometryNodeTree")
    tree.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    sockets = {}
    for socket_name, default, low, high in (("Width", 0.6, 0.3, 1.2), ("Height", 0.8, 0.5, 1.0),
                                            ("Depth", 0.5, 0.4, 0.7)):
        s = tree.interface.new_socket(socket_name, in_out="INPUT", socket_type="NodeSocketFloat")
        s.subtype = "DISTANCE"
        s.default_value, s.min_value, s.max_value = default, low, high
        s.description = f"Overall {socket_name.lower()}"
        sockets[socket_name] = s
    for socket_name, socket_type in extra_inputs:
        sockets[socket_name] = tree.interface.new_socket(socket_name, in_out="INPUT", socket_type=socket_type)
    nodes, links = tree.nodes, tree.links
    group_in, group_out = nodes.new("NodeGroupInput"), nodes.new("NodeGroupOutput")
    size = nodes.new("ShaderNodeCombineXYZ")
    links.new(group_in.outputs["Width"], size.inputs[0])
    links.new(group_in.outputs["Depth"], size.inputs[1])
    links.new(group_in.outputs["Height"], size.inputs[2])
    cube = nodes.new("GeometryNodeMeshCube")
    links.new(size.outputs[0], cube.inputs["Size"])
    lift = nodes.new("ShaderNodeCombineXYZ")
    half = nodes.new("ShaderNodeMath")
    half.operation = "MULTIPLY"
    half.inputs[1].default_value = 0.5
    links.new(group_in.outputs["Height"], half.inputs[0])
    links.new(half.outputs[0], lift.inputs[2])
    move = nodes.new("GeometryNodeTransform")
    links.new(cube.outputs[0], move.inputs["Geometry"])
    links.new(lift.outputs[0], move.inputs["Translation"])
    set_material = nodes.new("GeometryNodeSetMaterial")
    links.new(move.outputs[0], set_material.inputs["Geometry"])
    links.new(set_material.outputs[0], group_out.inputs["Geometry"])
    return tree, sockets, set_material


def _mesh_object(name, collection, size=0.05):
    mesh = bpy.data.meshes.new(name)
    s = size / 2
    verts = [(x, y, z) for x in (-s, s) for y in (-s, s) for z in (-s, s)]
    faces = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    mesh.from_pydata(verts, [], faces)
    obj = bpy.data.objects.new(name, mesh)
    collection.objects.link(obj)
    return obj


def _save(path):
    bpy.ops.wm.save_as_mainfile(filepath=path, compress=False)
    return path


def build_valid(path, rules=True, handle_depth=0.3):
    """Every parameter source of contract v1 in one small product. Another `handle_depth` gives
    the same parameters and other geometry: a revised version of the same product."""
    _reset()
    product = _product()
    tree, sockets, set_material = _box_node_group(extra_inputs=(
        ("Shelf Count", "NodeSocketInt"), ("Glass", "NodeSocketBool"), ("Trim Colour", "NodeSocketColor"),
        ("Body Finish", "NodeSocketMaterial"), ("Style", "NodeSocketMenu")))
    sockets["Shelf Count"].min_value, sockets["Shelf Count"].max_value = 0, 4
    sockets["Shelf Count"].default_value = 1
    menu = tree.nodes.new("GeometryNodeMenuSwitch")
    menu.enum_items.clear()
    for item in ("Modern", "Classic"):
        menu.enum_items.new(item)
    group_in = next(n for n in tree.nodes if n.type == "GROUP_INPUT")
    tree.links.new(group_in.outputs["Style"], menu.inputs[0])
    tree.links.new(group_in.outputs["Body Finish"], set_material.inputs["Material"])

    oak = _material("Oak", (0.5, 0.3, 0.1, 1), group="Body Finish")
    _material("Walnut", (0.2, 0.1, 0.05, 1), group="Body Finish")
    steel = _material("Steel", (0.6, 0.6, 0.6, 1), group="Handle Finish")
    _material("Brass", (0.8, 0.6, 0.2, 1), group="Handle Finish")

    body = _mesh_object("Body", product)
    modifier = body.modifiers.new("Shape", "NODES")
    modifier.node_group = tree
    modifier[sockets["Body Finish"].identifier] = oak
    modifier[sockets["Trim Colour"].identifier] = (1.0, 0.0, 0.0, 1.0)

    for prop, value, low, high in (("width", 0.6, 0.3, 1.2), ("height", 0.8, 0.5, 1.0)):
        product[prop] = value
        product.id_properties_ui(prop).update(min=low, max=high, default=value, subtype="DISTANCE",
                                              description=f"Overall {prop}")
    product["label"] = "Box"
    product["_internal"] = 3

    handles = bpy.data.collections.new("Handle")
    handles["cfg_variant"] = "Handle"
    handles["cfg_default"] = "Knob"
    product.children.link(handles)
    for option in ("Bar", "Knob"):
        option_collection = bpy.data.collections.new(option)
        handles.children.link(option_collection)
        handle = _mesh_object(f"{option} Handle", option_collection)
        handle.data.materials.append(steel)
        # Sits on the front face, at mid-height, wherever width/height put it.
        for axis, expression in ((1, f"-{handle_depth}"), (2, "height / 2")):
            curve = handle.driver_add("location", axis)
            driver = curve.driver
            driver.type = "SCRIPTED"
            variable = driver.variables.new()
            variable.name = "height"
            variable.targets[0].id_type = "COLLECTION"
            variable.targets[0].id = product
            variable.targets[0].data_path = '["height"]'
            driver.expression = expression
    if rules:
        text = bpy.data.texts.new("cfg_rules.json")
        text.write(json.dumps([{
            "if": {"properties": {"width": {"exclusiveMinimum": 1.0}}, "required": ["width"]},
            "then": {"properties": {"shelf_count": {"minimum": 2}}},
            "x-message": "boxes wider than 1 m need at least 2 shelves",
        }]))
    return _save(path)


def build_no_product(path):
    _reset()
    collection = bpy.data.collections.new("Loose")
    bpy.context.scene.collection.children.link(collection)
    _mesh_object("Thing", collection)
    return _save(path)


def build_two_products(path):
    _reset()
    for name in ("First", "Second"):
        _mesh_object(f"{name} Part", _product(name))
    return _save(path)


def build_type_conflict(path):
    """`width` is a float GN input and an int collection property."""
    _reset()
    product = _product()
    tree, _, _ = _box_node_group()
    body = _mesh_object("Body", product)
    body.modifiers.new("Shape", "NODES").node_group = tree
    product["width"] = 2
    return _save(path)


def build_python_driver(path, marker_dir):
    """A driver whose expression would write a file if Python ever ran it."""
    _reset()
    product = _product()
    body = _mesh_object("Body", product)
    marker = os.path.join(marker_dir, EVIL_MARKER + "_driver")
    driver = body.driver_add("location", 0).driver
    driver.type = "SCRIPTED"
    driver.expression = f"len(open({marker!r}, 'w').write('ran')) * 0"
    return _save(path)


def build_text_script(path, marker_dir):
    """A text block registered to run on load that would write a file."""
    _reset()
    product = _product()
    _mesh_object("Body", product)
    marker = os.path.join(marker_dir, EVIL_MARKER + "_text")
    text = bpy.data.texts.new("startup.py")
    text.write(f"open({marker!r}, 'w').write('ran')\n")
    text.use_module = True
    return _save(path)


def build_unknown_socket(path):
    _reset()
    product = _product()
    tree, _, _ = _box_node_group(extra_inputs=(("Offset", "NodeSocketVector"),))
    body = _mesh_object("Body", product)
    body.modifiers.new("Shape", "NODES").node_group = tree
    return _save(path)


def build_bad_rules(path):
    _reset()
    product = _product()
    _mesh_object("Body", product)
    product["width"] = 0.6
    bpy.data.texts.new("cfg_rules.json").write("[{\"if\": {\"properties\": {\"width\": {\"minimum\": 1}}}, ")
    return _save(path)


def build_empty_variant_set(path):
    _reset()
    product = _product()
    _mesh_object("Body", product)
    variants = bpy.data.collections.new("Doors")
    variants["cfg_variant"] = "Door Style"
    product.children.link(variants)
    return _save(path)


def build_slow(path):
    """A box whose `detail` input subdivides it: detail 7-8 makes jobs take seconds, for tests
    of time limits, killed workers and shutdown."""
    _reset()
    product = _product("Slow Box")
    tree, sockets, set_material = _box_node_group()
    detail = tree.interface.new_socket("Detail", in_out="INPUT", socket_type="NodeSocketInt")
    detail.min_value, detail.max_value, detail.default_value = 0, 9, 0
    subdivide = tree.nodes.new("GeometryNodeSubdivideMesh")
    group_in = next(n for n in tree.nodes if n.type == "GROUP_INPUT")
    tree.links.new(set_material.outputs[0], subdivide.inputs["Mesh"])
    tree.links.new(group_in.outputs["Detail"], subdivide.inputs["Level"])
    group_out = next(n for n in tree.nodes if n.type == "GROUP_OUTPUT")
    tree.links.new(subdivide.outputs[0], group_out.inputs["Geometry"])
    body = _mesh_object("Body", product)
    body.modifiers.new("Shape", "NODES").node_group = tree
    return _save(path)


BAD_TEMPLATES = {
    "no_product": (build_no_product, "NO_PRODUCT_COLLECTION"),
    "two_products": (build_two_products, "MULTIPLE_PRODUCT_COLLECTIONS"),
    "type_conflict": (build_type_conflict, "PARAMETER_TYPE_CONFLICT"),
    "python_driver": (build_python_driver, "PYTHON_DRIVER"),
    "text_script": (build_text_script, "TEXT_SCRIPT"),
    "unknown_socket": (build_unknown_socket, "UNSUPPORTED_SOCKET_TYPE"),
    "bad_rules": (build_bad_rules, "BAD_RULES"),
    "empty_variant_set": (build_empty_variant_set, "EMPTY_VARIANT_SET"),
}


def build_all(out_dir: str, marker_dir: str) -> dict[str, str]:
    os.makedirs(out_dir, exist_ok=True)
    paths = {"valid": build_valid(os.path.join(out_dir, "valid.blend")),
             "valid_without_rules": build_valid(os.path.join(out_dir, "valid_without_rules.blend"), rules=False),
             "valid_revised": build_valid(os.path.join(out_dir, "valid_revised.blend"), handle_depth=0.32),
             "slow": build_slow(os.path.join(out_dir, "slow.blend"))}
    for name, (builder, _) in BAD_TEMPLATES.items():
        path = os.path.join(out_dir, f"{name}.blend")
        if "marker_dir" in builder.__code__.co_varnames:
            builder(path, marker_dir)
        else:
            builder(path)
        paths[name] = path
    return paths


def build_valid_narrowed(path, rename_depth=False):
    """`build_valid`'s product, revised with breaking changes: `width` at most 1.0 m (was 1.2),
    the "Bar" handle gone, `depth` from 0.3 m (was 0.4), `height` 0.9 m by default (was 0.8), a
    new `plinth_height` (0.05–0.2 m, default 0.1). `rename_depth` also renames the "Depth"
    input "Carcass Depth" (same type, range and default: key `carcass_depth`)."""
    build_valid(path)
    product = bpy.data.collections["Test Box"]
    product.id_properties_ui("width").update(max=1.0)
    product["height"] = 0.9
    product.id_properties_ui("height").update(default=0.9)
    tree = bpy.data.node_groups["Box"]
    sockets = {item.name: item for item in tree.interface.items_tree if item.item_type == "SOCKET"}
    sockets["Height"].default_value = 0.9
    body = bpy.data.objects["Body"]
    body.modifiers["Shape"][sockets["Height"].identifier] = 0.9
    sockets["Depth"].min_value = 0.3
    if rename_depth:
        sockets["Depth"].name = "Carcass Depth"
    bar = bpy.data.collections["Bar"]
    for obj in list(bar.objects):
        bpy.data.objects.remove(obj)
    bpy.data.collections.remove(bar)
    product["plinth_height"] = 0.1
    product.id_properties_ui("plinth_height").update(min=0.05, max=0.2, default=0.1, subtype="DISTANCE",
                                                     description="Height of the plinth")
    return _save(path)


if __name__ == "__main__":
    print(json.dumps(build_all(sys.argv[1], sys.argv[2])))
