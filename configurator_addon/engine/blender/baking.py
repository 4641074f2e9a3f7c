"""Procedural materials baked into packed images, once per template version (`bake` command).

glTF carries images, not node setups: a material whose Principled BSDF is fed by Blender's
procedural textures (Noise, Wave, Voronoi…) would go out as its inputs' unlinked values, a
flat colour. Baking every job would cost seconds per job, so a template is baked when it is
published (services/products.py), in the same confined, limited child process as inspection,
and the baked `.blend` is what jobs, thumbnails and AR exports load (jobs/template_files.py).

Per procedural material, Cycles on the CPU renders each linked input of the Principled BSDF
onto a flat square tile (`cfg_bake_size` metres, default 1) at `cfg_bake_resolution` pixels
(default: the BAKE_RESOLUTION setting): Base Color, Roughness and Metallic through an
Emission shader (exact values, no lighting; a metal's base colour too, which a diffuse bake
would give as black), the Normal as a tangent-space normal map. Each tile is made to repeat
without a seam (`seamless`), then the material's node setup is replaced by Image Texture
nodes on the packed images — base colour and metallic-roughness as WebP, the normal map as
PNG (lossless) — and a Mapping node that scales UVs in metres to tiles (the exporter writes
it as `KHR_texture_transform`). Unlinked inputs keep their values (a coat stays a coat).

Meshes that may show a baked finish and have no UV map of their own get one from a Geometry
Nodes modifier added last (`box_uv_group`): each face projected along its dominant world
axis, in metres, so a finish keeps its scale whatever the dimensions (docs/engine.md).
"""
from __future__ import annotations

import os
import time

import bpy
import numpy as np

from ...errors import ErrorDetail, TemplateContractError
from .. import contract
from ..colors import srgb_to_linear

PROCEDURAL_NODES = frozenset({
    "ShaderNodeTexNoise", "ShaderNodeTexWave", "ShaderNodeTexVoronoi", "ShaderNodeTexMagic",
    "ShaderNodeTexGradient", "ShaderNodeTexChecker", "ShaderNodeTexBrick", "ShaderNodeTexWhiteNoise",
    "ShaderNodeTexGabor",
})
RESOLUTION_PROP = "cfg_bake_resolution"
SIZE_PROP = "cfg_bake_size"
MIN_RESOLUTION, MAX_RESOLUTION = 64, 2048
BAKE_SAMPLES = 1  # emission is exact in one sample; fine patterns are sized to the tile's pixels
WEBP_QUALITY = 90
BOX_UV_GROUP = "cfg_box_uv"
BOX_UV_MODIFIER = "cfg_box_uv"
UV_NAME = "UVMap"
BAKED_PROP = "cfg_baked"  # set on a material the bake made: a baked template is never baked again


def is_procedural(material) -> bool:
    """Whether a procedural texture node feeds the material's surface (directly or in a group)."""
    if material is None or material.node_tree is None or material.get(BAKED_PROP):
        return False
    return _tree_has_procedural(material.node_tree, set())


def _tree_has_procedural(tree, seen: set) -> bool:
    if tree.as_pointer() in seen:
        return False
    seen.add(tree.as_pointer())
    for node in tree.nodes:
        if node.bl_idname in PROCEDURAL_NODES and any(output.is_linked for output in node.outputs):
            return True
        if node.bl_idname == "ShaderNodeGroup" and node.node_tree is not None:
            if _tree_has_procedural(node.node_tree, seen):
                return True
    return False


def bake_settings(material, default_resolution: int) -> tuple[int, float]:
    """(resolution, tile size in metres) of a material, or `TemplateContractError`."""
    resolution = material.get(RESOLUTION_PROP, default_resolution)
    size = material.get(SIZE_PROP, 1.0)
    where = f"material '{material.name}'"
    if (not isinstance(resolution, int) or isinstance(resolution, bool) or resolution & (resolution - 1)
            or not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION):
        raise TemplateContractError("the template breaks the template contract", [ErrorDetail(
            code="BAD_BAKE_SETTING", location=f"{where} › property '{RESOLUTION_PROP}'",
            message=f"{resolution!r} is not a power of two from {MIN_RESOLUTION} to {MAX_RESOLUTION}")])
    if not isinstance(size, (int, float)) or isinstance(size, bool) or not 0 < size <= 100:
        raise TemplateContractError("the template breaks the template contract", [ErrorDetail(
            code="BAD_BAKE_SETTING", location=f"{where} › property '{SIZE_PROP}'",
            message=f"{size!r} is not a tile size in metres (above 0, at most 100)")])
    return resolution, float(size)


def bake_template(path: str, output: str, default_resolution: int) -> dict:
    """The `bake` command: open `path`, bake its procedural materials and save the baked
    template as `output`. Nothing procedural: nothing is written. Answers
    `{"baked": [{"material", "resolution", "images": {input: bytes}, "ms"}], "bake_ms"}`."""
    started = time.perf_counter()
    bpy.ops.wm.open_mainfile(filepath=path, load_ui=False, use_scripts=False)
    materials = [m for m in bpy.data.materials if is_procedural(m)]
    if not materials:
        return {"baked": [], "bake_ms": round((time.perf_counter() - started) * 1000, 1)}
    settings = {m.name: bake_settings(m, default_resolution) for m in materials}
    scratch = os.path.dirname(os.path.abspath(output))
    baked = []
    with _BakeStage() as stage:
        for material in materials:
            material_started = time.perf_counter()
            resolution, size = settings[material.name]
            images = stage.bake(material, resolution, size, scratch)
            baked.append({"material": material.name, "resolution": resolution, "size_m": size,
                          "images": {key: len(image.packed_file.data) for key, image in images.items()},
                          "ms": round((time.perf_counter() - material_started) * 1000, 1)})
    add_box_uvs(_product_collection(), set(materials))
    bpy.ops.wm.save_as_mainfile(filepath=output, copy=True, compress=False, relative_remap=False)
    return {"baked": baked, "bake_ms": round((time.perf_counter() - started) * 1000, 1)}


def _product_collection():
    return next(c for c in bpy.data.collections if c.get(contract.PRODUCT_FLAG))


# -- the bake -------------------------------------------------------------------------
class _BakeStage:
    """A scene of its own with one plane (the tile), rendered by Cycles on the CPU; removed
    again before the baked template is saved."""

    def __enter__(self):
        self.scene = bpy.data.scenes.new("cfg_bake")
        render = self.scene.render
        render.engine = "CYCLES"
        cycles = self.scene.cycles
        cycles.device = "CPU"
        cycles.samples = BAKE_SAMPLES
        cycles.use_denoising = False
        cycles.seed = 0
        self.scene.render.bake.margin = 0  # the tile fills its image: nothing to bleed into
        mesh = bpy.data.meshes.new("cfg_bake_tile")
        mesh.from_pydata([(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)], [], [(0, 1, 2, 3)])
        uv = mesh.uv_layers.new(name=UV_NAME)
        for loop, corner in zip(uv.data, ((0, 0), (1, 0), (1, 1), (0, 1)), strict=True):
            loop.uv = corner
        self.plane = bpy.data.objects.new("cfg_bake_tile", mesh)
        self.scene.collection.objects.link(self.plane)
        self.plane.data.materials.append(None)
        return self

    def __exit__(self, *exc):
        mesh = self.plane.data
        bpy.data.objects.remove(self.plane)
        bpy.data.meshes.remove(mesh)
        bpy.data.scenes.remove(self.scene)
        return False

    def bake(self, material, resolution: int, size: float, scratch: str) -> dict:
        """Bake `material`'s linked inputs, replace its node setup; {input: packed image}."""
        self.plane.scale = (size, size, 1.0)  # Object coordinates in metres over the tile
        self.plane.data.materials[0] = material
        tree = material.node_tree
        output = next((n for n in tree.nodes if n.bl_idname == "ShaderNodeOutputMaterial" and n.is_active_output),
                      None) or next(n for n in tree.nodes if n.bl_idname == "ShaderNodeOutputMaterial")
        surface = output.inputs["Surface"]
        bsdf = surface.links[0].from_node if surface.is_linked else None
        if bsdf is None or bsdf.bl_idname != "ShaderNodeBsdfPrincipled":
            raise TemplateContractError("the template breaks the template contract", [ErrorDetail(
                code="BAD_BAKE_SETTING", location=f"material '{material.name}'",
                message="a procedural material is baked from a Principled BSDF connected to its Material Output")])
        pixels = {}
        base = bsdf.inputs["Base Color"]
        if _fed_by_procedural(base):
            pixels["Base Color"] = self._emitted(tree, output, [base.links[0].from_socket], resolution, colour=True)
        # One pass for the data: height of a Bump node in red, roughness in green, metallic in blue.
        bump = _simple_bump(bsdf.inputs["Normal"])
        sources = [bump.inputs["Height"].links[0].from_socket if bump is not None else None]
        sources += [bsdf.inputs[name].links[0].from_socket if _fed_by_procedural(bsdf.inputs[name]) else None
                    for name in ("Roughness", "Metallic")]
        if any(source is not None for source in sources):
            data = self._emitted(tree, output, sources, resolution, colour=False)
            for channel, name in ((1, "Roughness"), (2, "Metallic")):
                if sources[channel] is not None:
                    pixels[name] = data[..., channel]
            if bump is not None:
                pixels["Normal"] = normal_from_height(data[..., 0], bump, size / resolution)
        if bump is None and _fed_by_procedural(bsdf.inputs["Normal"]):
            pixels["Normal"] = self._render(tree, "NORMAL", resolution, colour=False)
        return _replace_nodes(material, bsdf, output, pixels, resolution, size, scratch)

    def _emitted(self, tree, output, sources: list, resolution: int, colour: bool):
        """`sources` (one colour, or up to three values as red, green and blue; None is 0)
        rendered as emission: exact values, no light, no shading. Data go into a float image
        (a height's gradient needs more than 8 bits), colours into an sRGB one."""
        surface = output.inputs["Surface"]
        previous = surface.links[0].from_socket
        emission = tree.nodes.new("ShaderNodeEmission")
        added = [emission]
        try:
            if len(sources) == 1:
                tree.links.new(sources[0], emission.inputs["Color"])
            else:
                combine = tree.nodes.new("ShaderNodeCombineColor")
                added.append(combine)
                for index, source in enumerate(sources):
                    if source is not None:
                        tree.links.new(source, combine.inputs[index])
                    else:
                        combine.inputs[index].default_value = 0.0
                tree.links.new(combine.outputs["Color"], emission.inputs["Color"])
            tree.links.new(emission.outputs["Emission"], surface)
            return self._render(tree, "EMIT", resolution, colour)
        finally:
            tree.links.new(previous, surface)
            for node in added:
                tree.nodes.remove(node)

    def _render(self, tree, kind: str, resolution: int, colour: bool):
        """Bake `kind` into a new image; its pixels as a float array (height, width, 4)."""
        image = bpy.data.images.new("cfg_bake_target", resolution, resolution, alpha=False,
                                    float_buffer=not colour)
        image.colorspace_settings.name = "sRGB" if colour else "Non-Color"
        target = tree.nodes.new("ShaderNodeTexImage")
        target.image = image
        tree.nodes.active = target
        try:
            view_layer = self.scene.view_layers[0]
            with bpy.context.temp_override(scene=self.scene, view_layer=view_layer, active_object=self.plane,
                                           object=self.plane, selected_objects=[self.plane],
                                           selected_editable_objects=[self.plane]):
                self.plane.select_set(True, view_layer=view_layer)
                view_layer.objects.active = self.plane
                result = bpy.ops.object.bake(type=kind, normal_space="TANGENT", margin=0, use_clear=True)
            if "FINISHED" not in result:
                raise RuntimeError(f"Cycles bake {kind} did not finish: {sorted(result)}")
            pixels = np.empty(resolution * resolution * 4, dtype=np.float32)
            image.pixels.foreach_get(pixels)
            return seamless(pixels.reshape(resolution, resolution, 4), normal=kind == "NORMAL")
        finally:
            tree.nodes.remove(target)
            bpy.data.images.remove(image)


def _upstream(socket) -> list:
    """Every node whose output reaches `socket`."""
    found, stack = {}, [link.from_node for link in socket.links]
    while stack:
        node = stack.pop()
        if node.as_pointer() in found:
            continue
        found[node.as_pointer()] = node
        stack.extend(link.from_node for entry in node.inputs for link in entry.links)
    return list(found.values())


def _fed_by_procedural(socket) -> bool:
    """Whether a procedural texture (or a group holding one) feeds `socket`: only those inputs
    are baked; others (a colour attribute, a packed image) stay as they are."""
    return any(node.bl_idname in PROCEDURAL_NODES
               or (node.bl_idname == "ShaderNodeGroup" and node.node_tree is not None
                   and _tree_has_procedural(node.node_tree, set()))
               for node in _upstream(socket))


def _simple_bump(socket):
    """The Bump node feeding `socket` directly, if its height is linked and nothing feeds its
    own normal (then its normal map is computed from the baked height, no render of its own)."""
    if not socket.is_linked:
        return None
    node = socket.links[0].from_node
    if (node.bl_idname == "ShaderNodeBump" and node.inputs["Height"].is_linked
            and not node.inputs["Normal"].is_linked and not node.inputs["Strength"].is_linked
            and not node.inputs["Distance"].is_linked):
        return node
    return None


def normal_from_height(height: np.ndarray, bump, pixel_m: float) -> np.ndarray:
    """A tangent-space normal map (RGB in 0-1, +Y up as glTF's) of the Bump node `bump` over
    the (seamless) `height`, `pixel_m` metres per pixel: the surface tilted against the
    height's gradient by the node's Distance, then mixed with the flat normal by its Strength,
    as Cycles' Bump node does."""
    distance = bump.inputs["Distance"].default_value * (-1.0 if bump.invert else 1.0)
    strength = bump.inputs["Strength"].default_value
    # Rows are V (image bottom first), columns U; the tile repeats, so differences wrap.
    du = (np.roll(height, -1, axis=1) - np.roll(height, 1, axis=1)) / (2.0 * pixel_m)
    dv = (np.roll(height, -1, axis=0) - np.roll(height, 1, axis=0)) / (2.0 * pixel_m)
    tilted = np.stack([-distance * du, -distance * dv, np.ones_like(height)], axis=-1)
    tilted /= np.linalg.norm(tilted, axis=-1, keepdims=True)
    mixed = strength * tilted + (1.0 - strength) * np.array([0.0, 0.0, 1.0])
    mixed /= np.maximum(np.linalg.norm(mixed, axis=-1, keepdims=True), 1e-6)
    rgba = np.ones(height.shape + (4,), dtype=np.float32)
    rgba[..., :3] = mixed * 0.5 + 0.5
    return rgba


def seamless(pixels: np.ndarray, normal: bool = False) -> np.ndarray:
    """The tile blended with itself shifted by half a tile, the shifted copy weighing most at
    the edges: opposite edges then match (the shifted copy is continuous across them) and the
    middle is the bake as it was. Normals are blended as vectors and made unit again."""
    size = pixels.shape[0]
    shifted = np.roll(pixels, (size // 2, size // 2), axis=(0, 1))
    ramp = np.sin(np.pi * (np.arange(size) + 0.5) / size) ** 2
    weight = (ramp[:, None] * ramp[None, :])[..., None]
    blended = pixels * weight + shifted * (1.0 - weight)
    if normal:
        vectors = blended[..., :3] * 2.0 - 1.0
        vectors /= np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-6)
        blended[..., :3] = vectors * 0.5 + 0.5
    blended[..., 3] = 1.0
    return blended


def _packed_image(name: str, pixels: np.ndarray, colour: bool, file_format: str, scratch: str):
    """A packed image of `pixels` encoded as `file_format` (Blender's own encoders)."""
    size = pixels.shape[0]
    image = bpy.data.images.new(name, size, size, alpha=False)
    image.colorspace_settings.name = "sRGB" if colour else "Non-Color"
    image.pixels.foreach_set(np.clip(pixels, 0.0, 1.0).astype(np.float32).ravel())
    extension = "webp" if file_format == "WEBP" else "png"
    path = os.path.join(scratch, f"{bpy.path.clean_name(name)}.{extension}")
    image.filepath_raw = path
    image.file_format = file_format
    image.save(quality=WEBP_QUALITY)
    image.pack()
    os.unlink(path)
    image.filepath_raw = f"//{os.path.basename(path)}"  # a name, not the scratch folder: it is packed
    return image


def _replace_nodes(material, bsdf, output, pixels: dict, resolution: int, size: float, scratch: str) -> dict:
    """Keep the Principled BSDF (its unlinked values), the output and what feeds the inputs
    that were not baked, drop the rest, and feed the baked inputs from packed images through
    one UV mapping."""
    tree = material.node_tree
    baked_sockets = {"Base Color", "Roughness", "Metallic", "Normal"} & set(pixels)
    kept = {n.as_pointer() for entry in bsdf.inputs if entry.is_linked and entry.name not in baked_sockets
            for n in _upstream(entry)}
    for node in [n for n in tree.nodes if n not in (bsdf, output) and n.as_pointer() not in kept]:
        tree.nodes.remove(node)
    links = tree.links
    uv = tree.nodes.new("ShaderNodeUVMap")
    uv.uv_map = UV_NAME
    vector = uv.outputs["UV"]
    if size != 1.0:
        mapping = tree.nodes.new("ShaderNodeMapping")
        mapping.vector_type = "POINT"
        mapping.inputs["Scale"].default_value = (1.0 / size, 1.0 / size, 1.0)
        links.new(vector, mapping.inputs["Vector"])
        vector = mapping.outputs["Vector"]
    images = {}

    def texture(image):
        node = tree.nodes.new("ShaderNodeTexImage")
        node.image = image
        node.interpolation = "Linear"
        node.extension = "REPEAT"
        links.new(vector, node.inputs["Vector"])
        return node

    name = material.name
    if "Base Color" in pixels:
        images["base_color"] = _packed_image(f"{name} base colour", pixels["Base Color"], True, "WEBP", scratch)
        colour = texture(images["base_color"])
        links.new(colour.outputs["Color"], bsdf.inputs["Base Color"])
        tree.nodes.active = colour  # what Workbench's texture colour (the thumbnails) shows
        # The swatch and the viewport (Workbench thumbnails) show the texture's mean colour.
        mean = pixels["Base Color"][..., :3].mean(axis=(0, 1))  # as stored: sRGB
        material.diffuse_color = (*(srgb_to_linear(float(c)) for c in mean), 1.0)
    if "Roughness" in pixels or "Metallic" in pixels:
        # glTF's one metallic-roughness texture: roughness in green, metallic in blue.
        combined = np.ones((resolution, resolution, 4), dtype=np.float32)
        for channel, socket in ((1, "Roughness"), (2, "Metallic")):
            combined[..., channel] = pixels[socket] if socket in pixels else bsdf.inputs[socket].default_value
        images["metallic_roughness"] = _packed_image(f"{name} metallic roughness", combined, False, "WEBP",
                                                     scratch)
        channels = tree.nodes.new("ShaderNodeSeparateColor")
        links.new(texture(images["metallic_roughness"]).outputs["Color"], channels.inputs["Color"])
        links.new(channels.outputs["Green"], bsdf.inputs["Roughness"])
        links.new(channels.outputs["Blue"], bsdf.inputs["Metallic"])
    if "Normal" in pixels:
        images["normal"] = _packed_image(f"{name} normal", pixels["Normal"], False, "PNG", scratch)
        normal_map = tree.nodes.new("ShaderNodeNormalMap")
        normal_map.uv_map = UV_NAME
        links.new(texture(images["normal"]).outputs["Color"], normal_map.inputs["Color"])
        links.new(normal_map.outputs["Normal"], bsdf.inputs["Normal"])
    material[BAKED_PROP] = True
    return images


# -- UVs that hold ----------------------------------------------------------------------
def add_box_uvs(product, baked: set) -> list[str]:
    """Add the box projection to every mesh object of the product that may show a baked
    material (one of them, or a member of a group holding one) and has no UV map of its own
    in its evaluated default state; the names of those objects."""
    groups = {m.get(contract.MATERIAL_GROUP_PROP) for m in baked} - {None}
    finishes = set(baked) | {m for m in bpy.data.materials if m.get(contract.MATERIAL_GROUP_PROP) in groups}
    scene = next(s for s in bpy.data.scenes if _holds(s.collection, product))
    depsgraph = bpy.context.evaluated_depsgraph_get() if bpy.context.scene == scene else None
    if depsgraph is None:
        depsgraph = scene.view_layers[0].depsgraph
    changed = []
    for obj in _objects(product):
        if obj.type != "MESH":
            continue
        evaluated = obj.evaluated_get(depsgraph)
        mesh = evaluated.data
        # An evaluated mesh holds evaluated copies of its materials: compare the originals.
        shown = {slot.material for slot in obj.material_slots} | {m.original for m in mesh.materials if m}
        if not (shown & finishes) or len(mesh.uv_layers):
            continue
        modifier = obj.modifiers.new(BOX_UV_MODIFIER, "NODES")
        modifier.node_group = box_uv_group()
        changed.append(obj.name)
    return changed


def _holds(collection, target) -> bool:
    return collection == target or any(_holds(child, target) for child in collection.children)


def _objects(collection):
    seen = set()
    stack = [collection]
    while stack:
        current = stack.pop()
        for obj in current.objects:
            if obj.as_pointer() not in seen:
                seen.add(obj.as_pointer())
                yield obj
        stack.extend(current.children)


def box_uv_group():
    """Geometry Nodes: store `UVMap` on face corners, each face projected along the world
    axis its normal is closest to (X faces take Y and Z, Y faces X and Z, Z faces X and Y),
    in metres: positions and normals in world space through the object's own transform."""
    existing = bpy.data.node_groups.get(BOX_UV_GROUP)
    if existing is not None:
        return existing
    tree = bpy.data.node_groups.new(BOX_UV_GROUP, "GeometryNodeTree")
    tree.interface.new_socket("Geometry", in_out="INPUT", socket_type="NodeSocketGeometry")
    tree.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    nodes, links = tree.nodes, tree.links
    group_in, group_out = nodes.new("NodeGroupInput"), nodes.new("NodeGroupOutput")
    self_object = nodes.new("GeometryNodeSelfObject")
    info = nodes.new("GeometryNodeObjectInfo")
    info.transform_space = "ORIGINAL"
    links.new(self_object.outputs[0], info.inputs["Object"])
    position = nodes.new("GeometryNodeInputPosition")
    world_position = nodes.new("FunctionNodeTransformPoint")
    links.new(position.outputs[0], world_position.inputs["Vector"])
    links.new(info.outputs["Transform"], world_position.inputs["Transform"])
    normal = nodes.new("GeometryNodeInputNormal")
    face_normal = nodes.new("GeometryNodeFieldOnDomain")
    face_normal.domain, face_normal.data_type = "FACE", "FLOAT_VECTOR"
    links.new(normal.outputs[0], face_normal.inputs[0])
    world_normal = nodes.new("FunctionNodeTransformDirection")
    links.new(face_normal.outputs[0], world_normal.inputs["Direction"])
    links.new(info.outputs["Transform"], world_normal.inputs["Transform"])
    absolute = nodes.new("ShaderNodeVectorMath")
    absolute.operation = "ABSOLUTE"
    links.new(world_normal.outputs[0], absolute.inputs[0])
    n = nodes.new("ShaderNodeSeparateXYZ")
    links.new(absolute.outputs[0], n.inputs[0])
    p = nodes.new("ShaderNodeSeparateXYZ")
    links.new(world_position.outputs[0], p.inputs[0])

    def compare(a, b):
        node = nodes.new("FunctionNodeCompare")
        node.data_type, node.operation = "FLOAT", "GREATER_EQUAL"
        links.new(a, node.inputs["A"])
        links.new(b, node.inputs["B"])
        return node.outputs["Result"]

    def both(a, b):
        node = nodes.new("FunctionNodeBooleanMath")
        node.operation = "AND"
        links.new(a, node.inputs[0])
        links.new(b, node.inputs[1])
        return node.outputs[0]

    def pick(condition, if_true, if_false):
        node = nodes.new("GeometryNodeSwitch")
        node.input_type = "VECTOR"
        links.new(condition, node.inputs["Switch"])
        links.new(if_false, node.inputs["False"])
        links.new(if_true, node.inputs["True"])
        return node.outputs[0]

    def uv(u, v):
        node = nodes.new("ShaderNodeCombineXYZ")
        links.new(u, node.inputs[0])
        links.new(v, node.inputs[1])
        return node.outputs[0]

    z_faces = both(compare(n.outputs["Z"], n.outputs["X"]), compare(n.outputs["Z"], n.outputs["Y"]))
    x_faces = compare(n.outputs["X"], n.outputs["Y"])
    sides = pick(x_faces, uv(p.outputs["Y"], p.outputs["Z"]), uv(p.outputs["X"], p.outputs["Z"]))
    value = pick(z_faces, uv(p.outputs["X"], p.outputs["Y"]), sides)
    store = nodes.new("GeometryNodeStoreNamedAttribute")
    store.data_type, store.domain = "FLOAT2", "CORNER"
    store.inputs["Name"].default_value = UV_NAME
    links.new(group_in.outputs[0], store.inputs["Geometry"])
    links.new(value, store.inputs["Value"])
    links.new(store.outputs["Geometry"], group_out.inputs[0])
    return tree
