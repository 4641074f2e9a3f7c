"""Small templates for the materials tests (contract v1.1, docs/template-contract.md): a panel
with packed image textures (PNG and WebP), the same with its image left outside the file, and
a box whose finish group holds a procedural material beside a flat one.

Run in a process of its own (`python tests/material_templates.py OUT_DIR`): building resets
Blender's main file, which an engine process must not do. Prints the templates' paths as JSON.
"""
from __future__ import annotations

import json
import os
import sys

import bpy
import numpy as np

SIZE = 64  # a power of two, as a real finish's textures are


def _reset():
    bpy.ops.wm.read_factory_settings(use_empty=True)


def _product(name):
    product = bpy.data.collections.new(name)
    product["cfg_product"] = True
    bpy.context.scene.collection.children.link(product)
    return product


def _width_parameter(product):
    product["width"] = 0.6
    product.id_properties_ui("width").update(min=0.3, max=1.2, default=0.6, subtype="DISTANCE",
                                             description="Overall width")


def _panel(product, material, name="Panel"):
    """A unit quad with a UV map over 0-1, scaled along X by the product's `width` (a driver):
    authored UVs stretch with the width, as an artist's UV map would."""
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([(-0.5, 0, 0), (0.5, 0, 0), (0.5, 0, 1), (-0.5, 0, 1)], [], [(0, 1, 2, 3)])
    uv = mesh.uv_layers.new(name="UVMap")
    for loop, corner in zip(uv.data, ((0, 0), (1, 0), (1, 1), (0, 1)), strict=True):
        loop.uv = corner
    mesh.materials.append(material)
    obj = bpy.data.objects.new(name, mesh)
    product.objects.link(obj)
    driver = obj.driver_add("scale", 0).driver
    driver.type = "SCRIPTED"
    variable = driver.variables.new()
    variable.name = "width"
    variable.targets[0].id_type = "COLLECTION"
    variable.targets[0].id = product
    variable.targets[0].data_path = '["width"]'
    driver.expression = "width"
    return obj


def _stripes(name):
    """An image of stripes: pixels that vary, so its bytes and a render of it say something."""
    image = bpy.data.images.new(name, SIZE, SIZE, alpha=False)
    x = np.arange(SIZE)
    value = 0.25 + 0.5 * ((x[None, :] + np.arange(SIZE)[:, None] // 3) // 5 % 2)
    pixels = np.ones((SIZE, SIZE, 4), dtype=np.float32)
    pixels[..., 0], pixels[..., 1], pixels[..., 2] = value, value * 0.7, value * 0.4
    image.pixels.foreach_set(pixels.ravel())
    return image


def _image_material(name, image_path):
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    nodes = material.node_tree.nodes
    texture = nodes.new("ShaderNodeTexImage")
    texture.image = bpy.data.images.load(image_path, check_existing=False)
    material.node_tree.links.new(texture.outputs["Color"], nodes["Principled BSDF"].inputs["Base Color"])
    return material, texture.image


def build_packed(path, file_format, scratch):
    """A panel whose material's image is packed as `file_format` ("PNG" or "WEBP")."""
    _reset()
    image = _stripes("stripes")
    image_path = os.path.join(scratch, f"stripes.{file_format.lower()}")
    image.file_format = file_format
    image.save(filepath=image_path, quality=90)
    bpy.data.images.remove(image)
    product = _product("Printed Panel")
    _width_parameter(product)
    material, loaded = _image_material("Printed", image_path)
    loaded.pack()
    _panel(product, material)
    bpy.ops.wm.save_as_mainfile(filepath=path, compress=False)
    return path


def build_unpacked(path, scratch):
    """The same panel with its image left in a file beside the template."""
    _reset()
    image = _stripes("stripes")
    image_path = os.path.join(scratch, "outside.png")
    image.file_format = "PNG"
    image.save(filepath=image_path)
    bpy.data.images.remove(image)
    product = _product("Printed Panel")
    _width_parameter(product)
    material, _ = _image_material("Printed", image_path)
    _panel(product, material)
    bpy.ops.wm.save_as_mainfile(filepath=path, compress=False, relative_remap=False)
    return path


def _group_material(name, group):
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    material["cfg_group"] = group
    material.use_fake_user = True
    return material


def build_procedural(path, resolution=64):
    """A box (Geometry Nodes, `width` wide) whose Finish group holds "Grain" — a Wave texture
    in Object coordinates driving base colour, roughness and a bump — and "Flat", a plain
    colour. `resolution` is Grain's `cfg_bake_resolution`."""
    _reset()
    product = _product("Grain Box")
    grain = _group_material("Grain", "Finish")
    grain["cfg_bake_resolution"] = resolution
    nodes, links = grain.node_tree.nodes, grain.node_tree.links
    bsdf = nodes["Principled BSDF"]
    coordinates = nodes.new("ShaderNodeTexCoord")
    wave = nodes.new("ShaderNodeTexWave")
    wave.wave_type, wave.bands_direction = "BANDS", "Y"
    wave.inputs["Scale"].default_value = 4.0
    wave.inputs["Distortion"].default_value = 3.0
    links.new(coordinates.outputs["Object"], wave.inputs["Vector"])
    ramp = nodes.new("ShaderNodeValToRGB")
    ramp.color_ramp.elements[0].color = (0.35, 0.2, 0.08, 1)
    ramp.color_ramp.elements[1].color = (0.7, 0.5, 0.3, 1)
    links.new(wave.outputs["Fac"], ramp.inputs["Fac"])
    links.new(ramp.outputs["Color"], bsdf.inputs["Base Color"])
    rough = nodes.new("ShaderNodeMapRange")
    rough.inputs["To Min"].default_value, rough.inputs["To Max"].default_value = 0.4, 0.7
    links.new(wave.outputs["Fac"], rough.inputs["Value"])
    links.new(rough.outputs["Result"], bsdf.inputs["Roughness"])
    bump = nodes.new("ShaderNodeBump")
    bump.inputs["Strength"].default_value = 0.3
    links.new(wave.outputs["Fac"], bump.inputs["Height"])
    links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    flat = _group_material("Flat", "Finish")
    flat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (0.8, 0.1, 0.1, 1)

    tree = bpy.data.node_groups.new("Box", "GeometryNodeTree")
    tree.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    width = tree.interface.new_socket("Width", in_out="INPUT", socket_type="NodeSocketFloat")
    width.subtype, width.default_value, width.min_value, width.max_value = "DISTANCE", 0.6, 0.3, 1.2
    finish = tree.interface.new_socket("Finish", in_out="INPUT", socket_type="NodeSocketMaterial")
    group_in, group_out = tree.nodes.new("NodeGroupInput"), tree.nodes.new("NodeGroupOutput")
    size = tree.nodes.new("ShaderNodeCombineXYZ")
    size.inputs[1].default_value, size.inputs[2].default_value = 0.5, 0.8
    tree.links.new(group_in.outputs["Width"], size.inputs[0])
    cube = tree.nodes.new("GeometryNodeMeshCube")
    tree.links.new(size.outputs[0], cube.inputs["Size"])
    set_material = tree.nodes.new("GeometryNodeSetMaterial")
    tree.links.new(cube.outputs["Mesh"], set_material.inputs["Geometry"])
    tree.links.new(group_in.outputs["Finish"], set_material.inputs["Material"])
    tree.links.new(set_material.outputs[0], group_out.inputs["Geometry"])
    mesh = bpy.data.meshes.new("Body")
    body = bpy.data.objects.new("Body", mesh)
    product.objects.link(body)
    modifier = body.modifiers.new("Shape", "NODES")
    modifier.node_group = tree
    modifier[finish.identifier] = grain
    bpy.ops.wm.save_as_mainfile(filepath=path, compress=False)
    return path


if __name__ == "__main__":
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    scratch = os.path.join(out_dir, "images")
    os.makedirs(scratch, exist_ok=True)
    paths = {
        "packed_png": build_packed(os.path.join(out_dir, "packed_png.blend"), "PNG", scratch),
        "packed_webp": build_packed(os.path.join(out_dir, "packed_webp.blend"), "WEBP", scratch),
        "unpacked": build_unpacked(os.path.join(out_dir, "unpacked.blend"), scratch),
        "procedural": build_procedural(os.path.join(out_dir, "procedural.blend")),
    }
    print(json.dumps(paths))
