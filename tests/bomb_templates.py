"""Templates that attack the service's resources, built with bpy for tests: a Repeat Zone
whose count is a customer's parameter doubles a grid that many times (a few doublings are a
geometry bomb, many a memory bomb), and an image texture that names a file outside the
template (refused by inspection; the sandbox tests load it with that rule switched off).

Run in a process of its own: `python tests/bomb_templates.py OUT_DIR SECRET_PNG`.
"""
from __future__ import annotations

import json
import os
import sys

import bpy

from template_fixtures import _box_node_group, _material, _mesh_object, _product, _reset, _save


def build_doubling(path, default=0):
    """`Doublings` (0-40, `default` by default) joins the geometry with a shifted copy of
    itself, again and again: a 100 × 100 grid has 10,201 vertices, × 2^n after n doublings."""
    _reset()
    product = _product("Doubling Grid")
    tree = bpy.data.node_groups.new("Doubling", "GeometryNodeTree")
    tree.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    doublings = tree.interface.new_socket("Doublings", in_out="INPUT", socket_type="NodeSocketInt")
    doublings.min_value, doublings.max_value, doublings.default_value = 0, 40, 0
    nodes, links = tree.nodes, tree.links
    group_in, group_out = nodes.new("NodeGroupInput"), nodes.new("NodeGroupOutput")
    grid = nodes.new("GeometryNodeMeshGrid")
    grid.inputs["Vertices X"].default_value = grid.inputs["Vertices Y"].default_value = 101
    repeat_in, repeat_out = nodes.new("GeometryNodeRepeatInput"), nodes.new("GeometryNodeRepeatOutput")
    repeat_in.pair_with_output(repeat_out)
    links.new(group_in.outputs["Doublings"], repeat_in.inputs["Iterations"])
    links.new(grid.outputs["Mesh"], repeat_in.inputs["Geometry"])
    shift = nodes.new("GeometryNodeTransform")
    shift.inputs["Translation"].default_value = (0.0, 0.0, 0.01)
    join = nodes.new("GeometryNodeJoinGeometry")
    links.new(repeat_in.outputs["Geometry"], shift.inputs["Geometry"])
    links.new(repeat_in.outputs["Geometry"], join.inputs["Geometry"])
    links.new(shift.outputs["Geometry"], join.inputs["Geometry"])
    links.new(join.outputs["Geometry"], repeat_out.inputs["Geometry"])
    set_material = nodes.new("GeometryNodeSetMaterial")
    set_material.inputs["Material"].default_value = _material("Grey", (0.5, 0.5, 0.5, 1))
    links.new(repeat_out.outputs["Geometry"], set_material.inputs["Geometry"])
    links.new(set_material.outputs[0], group_out.inputs["Geometry"])
    body = _mesh_object("Grid", product)
    modifier = body.modifiers.new("Shape", "NODES")
    modifier.node_group = tree
    if not default:
        return _save(path)
    # A bomb by default: the value is set after the last evaluation and the scene written with
    # no other (saving the main file would evaluate it here); then the grid is removed before
    # anything else is built in this process.
    modifier[doublings.identifier] = default
    bpy.data.libraries.write(path, {bpy.context.scene}, compress=False)
    bpy.data.objects.remove(body)
    return path


def build_outside_image(path, image_path):
    """A box whose material's Image Texture names a file outside the template, unpacked."""
    _reset()
    product = _product("Picture Box")
    tree, _, set_material = _box_node_group()
    material = _material("Printed", (1, 1, 1, 1))
    texture = material.node_tree.nodes.new("ShaderNodeTexImage")
    texture.image = bpy.data.images.load(image_path, check_existing=False)
    bsdf = material.node_tree.nodes["Principled BSDF"]
    material.node_tree.links.new(texture.outputs["Color"], bsdf.inputs["Base Color"])
    set_material.inputs["Material"].default_value = material
    body = _mesh_object("Body", product)
    body.modifiers.new("Shape", "NODES").node_group = tree
    uv = tree.nodes.new("GeometryNodeStoreNamedAttribute")  # UVs, so the exporter keeps the texture
    uv.data_type, uv.domain = "FLOAT2", "CORNER"
    uv.inputs["Name"].default_value = "UVMap"
    cube = next(n for n in tree.nodes if n.bl_idname == "GeometryNodeMeshCube")
    move = next(n for n in tree.nodes if n.bl_idname == "GeometryNodeTransform")
    tree.links.new(cube.outputs["Mesh"], uv.inputs["Geometry"])
    tree.links.new(cube.outputs["UV Map"], uv.inputs["Value"])
    tree.links.new(uv.outputs["Geometry"], move.inputs["Geometry"])
    bpy.ops.wm.save_as_mainfile(filepath=path, compress=False, relative_remap=False)  # the absolute path stays
    return path


if __name__ == "__main__":
    out_dir, image = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    paths = {"doubling": build_doubling(os.path.join(out_dir, "doubling.blend")),
             "outside_image": build_outside_image(os.path.join(out_dir, "outside_image.blend"), image)}
    paths["doubling_by_default"] = build_doubling(os.path.join(out_dir, "doubling_by_default.blend"), 40)
    print(json.dumps(paths))
