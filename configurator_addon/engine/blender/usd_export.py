"""The one place that calls Blender's USD exporter: a USDZ of the current configuration for
AR (iOS AR Quick Look opens it from a link; Android's Scene Viewer takes the GLB instead).

The USD exporter differs from the glTF one in five ways this module makes up for:

- it evaluates for *render* (so Geometry Nodes use their render settings, as the GLB's
  applied modifiers do) and so obeys `hide_render`, while a variant choice sets
  `hide_viewport`: for the export, whatever the viewport hides (and any mesh left without
  faces, which the GLB omits) is hidden from the render too, and put back afterwards;
- it binds only the materials of an object's slots: a mesh whose materials come from its
  Geometry Nodes alone gets them as slots for the export;
- it names prims after the datablocks' current names, which carry the loader's per-load
  prefix ("~3~Door"): the exported objects, their meshes and their materials take their
  authored names for the export and get their prefixed names back afterwards;
- it copies a packed image's bytes as they are, and AR Quick Look reads no WebP: packed WebP
  textures (baked finishes) go out as PNG twins made for the export;
- it writes the `.usdz` itself (a `.usdc` packed with its textures into an uncompressed
  zip, as AR Quick Look requires) through a temporary folder, which in a confined engine
  process must lie inside its scratch folder.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from contextlib import contextmanager

import bpy
import numpy as np

from ...errors import GenerationError
from .exporting import _SCRATCH_DIR

# Fixed exporter settings: the chosen product's meshes and materials, in metres, Y up.
_EXPORT_SETTINGS = dict(
    selected_objects_only=False,
    evaluation_mode="RENDER",          # unchosen variants are hidden for render during the export
    export_animation=False,
    export_hair=False,
    export_uvmaps=True,
    export_normals=True,
    export_materials=True,
    generate_preview_surface=True,     # UsdPreviewSurface: the only shader AR Quick Look reads
    generate_materialx_network=False,
    export_textures_mode="NEW",        # textures written beside the layer, then packed in the .usdz
    export_subdivision="TESSELLATE",   # AR viewers do not subdivide: ship the evaluated faces
    export_armatures=False,
    export_shapekeys=False,
    use_instancing=False,
    export_custom_properties=False,
    author_blender_name=False,
    convert_world_material=False,
    export_lights=False,
    export_cameras=False,
    export_curves=False,
    export_points=False,
    export_volumes=False,
    triangulate_meshes=False,
    convert_orientation=True,          # Blender's Z up becomes USD's Y up (-Z forward)
    export_global_forward_selection="NEGATIVE_Z",
    export_global_up_selection="Y",
    convert_scene_units="METERS",
    meters_per_unit=1.0,
    relative_paths=True,
)


def usd_identifier(name: str) -> str:
    """`name` as a USD prim name (what the exporter makes of it): letters, digits and `_`,
    not starting with a digit."""
    made = re.sub(r"[^\w]", "_", name, flags=re.ASCII) or "_"
    return "_" + made if made[0].isdigit() else made


def export_scene_usdz(scene, *, names: dict[str, str], scene_name: str) -> bytes:
    """Export `scene` (a template's export scene, its configuration applied) as USDZ bytes,
    prims under `/<scene_name>` named as authored (`names`: current name -> authored name)."""
    folder = tempfile.mkdtemp(prefix="usdz-", dir=_SCRATCH_DIR)
    path = os.path.join(folder, usd_identifier(scene_name) + ".usdz")
    try:
        with _hidden_for_render_as_in_viewport(scene), _slots_for_geometry_nodes_materials(scene), \
                _png_for_webp(scene, folder), _authored_names(scene, names), \
                bpy.context.temp_override(scene=scene, view_layer=scene.view_layers[0]):
            result = bpy.ops.wm.usd_export(filepath=path, root_prim_path="/" + usd_identifier(scene_name),
                                           **_EXPORT_SETTINGS)
        if "FINISHED" not in result:
            raise GenerationError(f"USD export did not finish: {sorted(result)}")
        with open(path, "rb") as handle:
            return handle.read()
    except (RuntimeError, OSError) as exc:
        raise GenerationError(f"USD export failed: {exc}") from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _hidden_for_render_as_in_viewport(scene):
    """Hide from the render every collection the viewport hides (an unchosen variant), every
    object not visible in the view layer and every mesh whose evaluation has no faces (a part
    switched off by its Geometry Nodes: the GLB leaves it out, and its material with it); put
    `hide_render` back afterwards, so the template's state after the job is what it was before."""
    view_layer = scene.view_layers[0]
    depsgraph = view_layer.depsgraph
    changed = []

    def walk(collection):
        for child in collection.children:
            if child.hide_viewport and not child.hide_render:
                changed.append(child)
            walk(child)

    walk(scene.collection)
    changed += [obj for obj in scene.objects if not obj.hide_render and (
        not obj.visible_get(view_layer=view_layer)
        or obj.type == "MESH" and not obj.evaluated_get(depsgraph).data.polygons)]
    for datablock in changed:
        datablock.hide_render = True
    try:
        yield
    finally:
        for datablock in changed:
            datablock.hide_render = False


@contextmanager
def _authored_names(scene, names: dict[str, str]):
    """Give the scene's objects, their data and their materials (slots and what Geometry
    Nodes assign alike) their authored names during the export. A name held by another
    datablock of the same kind (outside any cached template, whose names are all prefixed)
    leaves Blender's ".001" form: the export still works, under that name."""
    view_layer = scene.view_layers[0]
    datablocks = {}
    for obj in scene.objects:
        datablocks[obj.as_pointer()] = obj
        if obj.data is not None and hasattr(obj.data, "name"):
            datablocks[obj.data.as_pointer()] = obj.data
    for material in _materials_in_use(scene, view_layer):
        datablocks[material.as_pointer()] = material
    renamed = []
    for datablock in datablocks.values():
        authored = names.get(datablock.name)
        if authored is not None and authored != datablock.name:
            renamed.append((datablock, datablock.name))
            datablock.name = authored
    try:
        yield
    finally:
        for datablock, name in reversed(renamed):
            datablock.name = name


def _materials_in_use(scene, view_layer):
    """Materials of the shown meshes: slot materials and those Geometry Nodes set."""
    depsgraph = view_layer.depsgraph
    found = {}
    for obj in scene.objects:
        if obj.type != "MESH" or not obj.visible_get(view_layer=view_layer):
            continue
        evaluated = obj.evaluated_get(depsgraph)
        for material in [slot.material for slot in obj.material_slots] + list(evaluated.data.materials):
            if material is not None:
                original = material.original
                found[original.as_pointer()] = original
    return list(found.values())


@contextmanager
def _png_for_webp(scene, folder: str):
    """AR Quick Look reads PNG and JPEG textures only, and the exporter copies a packed image's
    bytes as they are: for the export, the materials in use show a PNG twin of each packed
    WebP (a baked finish's base colour or metallic-roughness map), written into the export's
    folder and removed afterwards."""
    swapped, twins = [], {}
    for material in _materials_in_use(scene, scene.view_layers[0]):
        for node in material.node_tree.nodes if material.node_tree is not None else ():
            image = getattr(node, "image", None) if node.type == "TEX_IMAGE" else None
            if image is None or image.packed_file is None or image.packed_file.data[8:12] != b"WEBP":
                continue
            if image.as_pointer() not in twins:
                twins[image.as_pointer()] = _png_twin(image, folder, len(twins))
            swapped.append((node, image))
            node.image = twins[image.as_pointer()]
    try:
        yield
    finally:
        for node, image in swapped:
            node.image = image
        for twin in twins.values():
            bpy.data.images.remove(twin)


def _png_twin(image, folder: str, number: int):
    """`image` decoded and saved as a PNG file named as its packed file was, loaded back."""
    pixels = np.empty(image.size[0] * image.size[1] * 4, dtype=np.float32)
    image.pixels.foreach_get(pixels)
    stem = os.path.splitext(os.path.basename(image.filepath_raw))[0] or f"texture_{number}"
    os.makedirs(os.path.join(folder, "png"), exist_ok=True)
    path = os.path.join(folder, "png", f"{stem}.png")
    encoder = bpy.data.images.new("cfg_png_twin", *image.size, alpha=False)
    try:
        encoder.colorspace_settings.name = image.colorspace_settings.name
        encoder.pixels.foreach_set(pixels)
        encoder.filepath_raw = path
        encoder.file_format = "PNG"
        encoder.save()
    finally:
        bpy.data.images.remove(encoder)
    twin = bpy.data.images.load(path)
    twin.colorspace_settings.name = image.colorspace_settings.name
    return twin


@contextmanager
def _slots_for_geometry_nodes_materials(scene):
    """The USD exporter binds only the materials of an object's slots, so the materials a
    Geometry Nodes tree sets on a mesh without slots would be lost: such a mesh gets, for the
    export, the evaluated mesh's material list as its own (same order, so face material
    indices keep their meaning), and its empty list back afterwards."""
    view_layer = scene.view_layers[0]
    depsgraph = view_layer.depsgraph
    given = []
    for obj in scene.objects:
        if obj.type != "MESH" or obj.material_slots or not obj.visible_get(view_layer=view_layer):
            continue
        evaluated = [None if m is None else m.original for m in obj.evaluated_get(depsgraph).data.materials]
        if any(evaluated) and obj.data not in (mesh for mesh, _ in given):
            given.append((obj.data, evaluated))
    for mesh, materials in given:
        for material in materials:
            mesh.materials.append(material)
    if given:
        view_layer.update()
    try:
        yield
    finally:
        for mesh, _ in given:
            mesh.materials.clear()
        if given:
            view_layer.update()
