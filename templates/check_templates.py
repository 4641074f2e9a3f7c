"""Developer check for the sample templates, independent of the engine.

Usage: python templates/check_templates.py [--render DIR] [--keep DIR]

Builds every template into a temporary directory (or DIR given with --keep), then for
each catalog example: applies the configuration the way template contract v1 describes
(Geometry Nodes inputs by socket identifier, product-collection properties, variant sets
by excluding unchosen option collections, material groups by swapping slot and socket
materials), exports a GLB and checks the bounding box (within 1 mm) and the
present/absent node and material names. Prints one line per example and the triangle
count; exits non-zero on any failure. --render writes a Workbench preview PNG per
example into DIR.
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import bpy  # noqa: E402
from mathutils import Vector  # noqa: E402

import build_templates  # noqa: E402
import template_building as tb  # noqa: E402

SKIPPED_SOCKETS = {"NodeSocketGeometry", "NodeSocketObject", "NodeSocketCollection", "NodeSocketImage"}


def product_collection() -> bpy.types.Collection:
    found = [c for c in bpy.data.collections if c.get("cfg_product")]
    assert len(found) == 1, found
    return found[0]


def layer_collection_of(collection, root=None):
    root = root or bpy.context.view_layer.layer_collection
    if root.collection == collection:
        return root
    for child in root.children:
        hit = layer_collection_of(collection, child)
        if hit:
            return hit
    return None


def gn_inputs(product):
    """(object, modifier, interface socket) for every customer-facing GN input."""
    for obj in product.all_objects:
        for modifier in obj.modifiers:
            if modifier.type != "NODES" or modifier.node_group is None:
                continue
            for item in modifier.node_group.interface.items_tree:
                if item.item_type != "SOCKET" or item.in_out != "INPUT":
                    continue
                if item.bl_socket_idname in SKIPPED_SOCKETS or item.hide_in_modifier:
                    continue
                yield obj, modifier, item


def apply_config(config: dict) -> None:
    product = product_collection()
    config = dict(config)
    # Variant sets.
    for variant in product.children:
        if "cfg_variant" not in variant:
            continue
        key = tb.snake_case(variant["cfg_variant"])
        chosen = config.pop(key, variant.get("cfg_default"))
        for option in variant.children:
            if option.name != chosen:
                # The engine exports only the chosen option; drop the others outright so
                # the exporter (which walks every scene collection) cannot see them.
                for obj in list(option.all_objects):
                    bpy.data.objects.remove(obj)
                layer_collection_of(option).exclude = True
    # Material groups.
    groups = {tb.snake_case(m["cfg_group"]): m["cfg_group"] for m in bpy.data.materials if "cfg_group" in m}
    for key, group in groups.items():
        if key not in config:
            continue
        chosen = bpy.data.materials[config[key]]
        assert chosen.get("cfg_group") == group
        for obj in product.all_objects:
            for slot in obj.material_slots:
                if slot.material and slot.material.get("cfg_group") == group:
                    slot.material = chosen
        for _obj, modifier, item in gn_inputs(product):
            if item.bl_socket_idname == "NodeSocketMaterial":
                current = modifier[item.identifier]
                if current and current.get("cfg_group") == group:
                    modifier[item.identifier] = chosen
    # GN inputs.
    for obj, modifier, item in gn_inputs(product):
        key = tb.snake_case(item.name)
        if key not in config or item.bl_socket_idname == "NodeSocketMaterial":
            continue
        value = config[key]
        if item.bl_socket_idname == "NodeSocketMenu":
            items = modifier.id_properties_ui(item.identifier).as_dict()["items"]
            value = next(entry[4] for entry in items if entry[0] == value or entry[1] == value)
        elif item.bl_socket_idname == "NodeSocketColor":
            value = list(tb.hex_to_linear_rgba(value))
        modifier[item.identifier] = value
        obj.update_tag()
    # Collection properties.
    for key, value in config.items():
        if key in product.keys() and not key.startswith("_"):
            product[key] = type(product[key])(value)
    product.update_tag()
    for obj in product.all_objects:
        obj.update_tag()
    bpy.context.view_layer.update()


def exported_objects(product):
    visible = set(bpy.context.view_layer.objects)
    return [o for o in product.all_objects if o in visible]


def evaluated_bbox_and_triangles(product):
    depsgraph = bpy.context.evaluated_depsgraph_get()
    lo = Vector((math.inf,) * 3)
    hi = Vector((-math.inf,) * 3)
    triangles = 0
    for obj in exported_objects(product):
        evaluated = obj.evaluated_get(depsgraph)
        mesh = evaluated.to_mesh()
        mesh.calc_loop_triangles()
        triangles += len(mesh.loop_triangles)
        for vertex in mesh.vertices:
            co = evaluated.matrix_world @ vertex.co
            lo = Vector(map(min, lo, co))
            hi = Vector(map(max, hi, co))
        evaluated.to_mesh_clear()
    size = hi - lo
    return [size.x, size.z, size.y], lo, hi, triangles


def glb_names(path: str) -> tuple[set, set, dict]:
    with open(path, "rb") as handle:
        data = handle.read()
    length = struct.unpack("<I", data[12:16])[0]
    gltf = json.loads(data[20 : 20 + length])
    nodes = {n.get("name") for n in gltf.get("nodes", [])}
    materials = {m.get("name") for m in gltf.get("materials", [])}
    return nodes, materials, gltf


def glb_bbox(gltf: dict) -> list[float]:
    """[x, y, z] size of all mesh nodes in a Y-up GLB (= width, height, depth)."""
    from mathutils import Matrix, Quaternion

    lo = Vector((math.inf,) * 3)
    hi = Vector((-math.inf,) * 3)
    for node in gltf.get("nodes", []):
        if "mesh" not in node:
            continue
        matrix = (
            Matrix.Translation(node.get("translation", (0, 0, 0)))
            @ Quaternion([node.get("rotation", (0, 0, 0, 1))[i] for i in (3, 0, 1, 2)]).to_matrix().to_4x4()
            @ Matrix.Diagonal(list(node.get("scale", (1, 1, 1))) + [1])
        )
        for primitive in gltf["meshes"][node["mesh"]]["primitives"]:
            accessor = gltf["accessors"][primitive["attributes"]["POSITION"]]
            a, b = accessor["min"], accessor["max"]
            for corner in [(x, y, z) for x in (a[0], b[0]) for y in (a[1], b[1]) for z in (a[2], b[2])]:
                co = matrix @ Vector(corner)
                lo = Vector(map(min, lo, co))
                hi = Vector(map(max, hi, co))
    return list(hi - lo)


def render_preview(path: str, lo: Vector, hi: Vector) -> None:
    scene = bpy.context.scene
    camera_data = bpy.data.cameras.get("Preview Camera") or bpy.data.cameras.new("Preview Camera")
    camera = bpy.data.objects.get("Preview Camera") or bpy.data.objects.new("Preview Camera", camera_data)
    if camera.name not in scene.collection.objects:
        scene.collection.objects.link(camera)
    center = (lo + hi) / 2
    size = max((hi - lo).length, 0.5)
    direction = Vector((0.55, -1.0, 0.45)).normalized()
    camera.location = center + direction * size * 1.9
    camera.rotation_euler = (center - camera.location).to_track_quat("-Z", "Y").to_euler()
    camera_data.lens = 50
    scene.camera = camera
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.display.shading.light = "STUDIO"
    scene.display.shading.color_type = "MATERIAL"
    scene.display.shading.show_cavity = True
    scene.display.shading.show_shadows = True
    scene.render.resolution_x = 640
    scene.render.resolution_y = 640
    scene.render.filepath = path
    with tb._QuietStdout():
        bpy.ops.render.render(write_still=True)


def check(out_dir: str, render_dir: str | None) -> int:
    catalog = build_templates.build_all(out_dir)
    failures = 0
    glb_dir = tempfile.mkdtemp(prefix="cfg_glb_")
    for entry in catalog:
        for number, example in enumerate(entry["examples"]):
            with tb._QuietStdout():
                bpy.ops.wm.open_mainfile(filepath=os.path.join(out_dir, entry["blend"]))
            apply_config(example["config"])
            product = product_collection()
            bbox, lo, hi, triangles = evaluated_bbox_and_triangles(product)
            glb = os.path.join(glb_dir, f"{entry['slug']}_{number}.glb")
            with tb._QuietStdout():
                bpy.ops.export_scene.gltf(filepath=glb, export_format="GLB", export_apply=True, export_yup=True)
            nodes, materials, gltf = glb_names(glb)
            names = nodes | materials
            problems = []
            if any(abs(a - b) > 0.001 for a, b in zip(bbox, example["bbox_m"], strict=True)):
                problems.append(f"bbox {[round(v, 4) for v in bbox]} != {example['bbox_m']}")
            exported = glb_bbox(gltf)
            if any(abs(a - b) > 0.001 for a, b in zip(exported, example["bbox_m"], strict=True)):
                problems.append(f"GLB bbox {[round(v, 4) for v in exported]} != {example['bbox_m']}")
            if lo.z < -1e-6 or abs(lo.x + hi.x) > 1e-6 or hi.y > 1e-6:
                problems.append(f"placement lo={tuple(round(v, 4) for v in lo)} hi={tuple(round(v, 4) for v in hi)}")
            problems += [f"missing {n!r}" for n in example["present"] if n not in names]
            problems += [f"unexpected {n!r}" for n in example["absent"] if n in names]
            status = "ok " if not problems else "FAIL"
            failures += bool(problems)
            size = [round(v, 4) for v in bbox]
            print(f"{status} {entry['slug']}[{number}] tris={triangles} bbox={size} {'; '.join(problems)}")
            if render_dir:
                render_preview(os.path.join(render_dir, f"{entry['slug']}_{number}.png"), lo, hi)
    return failures


def main(argv: list[str]) -> int:
    render_dir = argv[argv.index("--render") + 1] if "--render" in argv else None
    out_dir = argv[argv.index("--keep") + 1] if "--keep" in argv else tempfile.mkdtemp(prefix="cfg_templates_")
    if render_dir:
        os.makedirs(render_dir, exist_ok=True)
    return 1 if check(out_dir, render_dir) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
