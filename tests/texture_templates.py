"""A small textured template for the texture delivery tests: a panel whose width is a
parameter, UV-mapped, with a finish (material group) of two materials that each carry a
packed image (contract v1.1) and one flat colour.

Run in a process of its own (`python tests/texture_templates.py OUT_DIR`): building resets
Blender's main file, which an engine process must not do. Prints the template's path as JSON.
"""
from __future__ import annotations

import json
import os
import sys

import bpy

SIZE = 64  # a power of two, as the textures of a real finish are


def _reset():
    bpy.ops.wm.read_factory_settings(use_empty=True)


def _grain_image(name: str, dark: tuple, light: tuple, period: int):
    """A packed image of stripes (a stand-in for wood grain): pixels that vary, so a render
    of it differs from a flat colour, and bytes that differ per finish."""
    image = bpy.data.images.new(name, SIZE, SIZE, alpha=False)
    pixels = []
    for y in range(SIZE):
        for x in range(SIZE):
            colour = light if ((x + y // 3) // period) % 2 else dark
            pixels.extend((*colour, 1.0))
    image.pixels[:] = pixels
    image.pack()  # PNG bytes inside the .blend: the template stays self-contained
    return image


def _textured_material(name: str, image, group: str):
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    nodes, links = material.node_tree.nodes, material.node_tree.links
    texture = nodes.new("ShaderNodeTexImage")
    texture.image = image
    links.new(texture.outputs["Color"], nodes["Principled BSDF"].inputs["Base Color"])
    material["cfg_group"] = group
    material.use_fake_user = True
    return material


def _flat_material(name: str, rgba: tuple, group: str):
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    material.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = rgba
    material["cfg_group"] = group
    material.use_fake_user = True
    return material


def build_textured_panel(path: str) -> str:
    _reset()
    product = bpy.data.collections.new("Textured Panel")
    product["cfg_product"] = True
    bpy.context.scene.collection.children.link(product)
    product["width"] = 0.6
    product.id_properties_ui("width").update(min=0.3, max=1.2, default=0.6, subtype="DISTANCE",
                                             description="Panel width")

    oak = _textured_material("Oak", _grain_image("oak_grain", (0.45, 0.28, 0.12), (0.62, 0.42, 0.2), 4), "Finish")
    _textured_material("Walnut", _grain_image("walnut_grain", (0.16, 0.08, 0.04), (0.3, 0.17, 0.09), 3), "Finish")
    _flat_material("White", (0.9, 0.9, 0.9, 1.0), "Finish")

    mesh = bpy.data.meshes.new("Panel")
    verts = [(-0.5, 0.0, 0.0), (0.5, 0.0, 0.0), (0.5, 0.0, 0.8), (-0.5, 0.0, 0.8)]
    mesh.from_pydata(verts, [], [(0, 1, 2, 3)])
    uv = mesh.uv_layers.new(name="UVMap")
    for loop, (u, v) in zip(mesh.loops, ((0, 0), (1, 0), (1, 1), (0, 1)), strict=True):
        uv.data[loop.index].uv = (u, v)
    mesh.materials.append(oak)
    panel = bpy.data.objects.new("Panel", mesh)
    product.objects.link(panel)
    curve = panel.driver_add("scale", 0)
    curve.driver.type = "SCRIPTED"
    variable = curve.driver.variables.new()
    variable.name = "width"
    variable.targets[0].id_type = "COLLECTION"
    variable.targets[0].id = product
    variable.targets[0].data_path = '["width"]'
    curve.driver.expression = "width"
    bpy.ops.wm.save_as_mainfile(filepath=path, compress=False)
    return path


if __name__ == "__main__":
    print(json.dumps({"textured_panel": build_textured_panel(os.path.join(sys.argv[1], "textured_panel.blend"))}))
