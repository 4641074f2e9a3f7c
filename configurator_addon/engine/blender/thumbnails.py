"""Still images of a template's default configuration, for the catalogue, or of a saved
configuration's values, for /saved (`thumbnail` command).

The catalogue shows a picture of each product; drawing it in the browser costs the shopper
three.js and a GLB per card, so the server renders it once per template version. It runs in a
short-lived child process confined like inspection (`--confine`, docs/security.md), so it may
change the loaded template freely: nothing outlives the process.

What is drawn is what the default GLB holds: the defaults applied as a job applies them, and
every collection or object the export leaves out (unchosen variants, hidden objects) is also
hidden from the render. A camera of our own looks at the product from the front-right and a
little above, fitted to the visible objects' bounds, over a transparent background.

Workbench (Blender's OpenGL engine) renders 512×512 in well under a second and works headless
here through EGL's software path; where it cannot start (no OpenGL at all), Cycles on the CPU
with few samples and denoising draws the same view in a few seconds. Workbench shades with a
material's viewport colour, so each material's Principled BSDF base colour is copied into it
first: the picture keeps the finishes' colours.

Each width is written as WebP (Blender's own encoder): the largest is rendered, the smaller
ones scaled from it.
"""
from __future__ import annotations

import math
import os
import time

import bpy
from mathutils import Vector

from ..config_validation import validate_config
from ..result_keys import template_version
from .applying import apply_config

CAMERA_DIRECTION = Vector((0.55, -1.0, 0.42)).normalized()  # front-right, a little above (-Y is the front)
FIT_MARGIN = 1.12  # room around the product's bounds
CYCLES_SAMPLES = 12


def render_template_thumbnails(engine, path: str, widths: tuple[int, ...], config: dict | None = None) -> dict:
    """The `thumbnail` command: load the template as a job would (defaults applied, geometry
    budget checked), apply `config` if given (a saved configuration's values: validated and
    checked against the budget as a job's), and render it into the template's own folder
    (`{width}.webp`)."""
    with open(path, "rb") as handle:
        version = template_version(handle.read())
    engine.inspect(path, version)
    entry, _ = engine.cache.get(version, path)
    if config is not None:
        view_layer = entry.loaded.scene.view_layers[0]
        apply_config(entry.inspection.bindings, validate_config(entry.inspection.schema, config), view_layer)
        if engine.budget is not None:
            engine.budget.check(view_layer)
    return render_thumbnails(entry.loaded.scene, widths, os.path.dirname(os.path.abspath(path)))


def render_thumbnails(loaded_scene, widths: tuple[int, ...], out_dir: str) -> dict:
    """Render the scene's visible product at max(widths) and write `{width}.webp` for each
    width into `out_dir`; returns {"engine", "render_ms", "files": {width: path}}."""
    started = time.perf_counter()
    scene = loaded_scene
    _hide_what_the_export_leaves_out(scene)
    _copy_base_colours_to_viewport()
    camera = _add_camera(scene)
    size = max(widths)
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = True
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGBA"
    _fit_camera(scene, camera)
    engine = _render(scene, os.path.join(out_dir, "render.png"))
    files = _write_webp(os.path.join(out_dir, "render.png"), widths, out_dir)
    return {"engine": engine, "render_ms": round((time.perf_counter() - started) * 1000, 1), "files": files}


def _hide_what_the_export_leaves_out(scene) -> None:
    """Renders obey `hide_render`; the export obeys viewport visibility (variants set
    `hide_viewport`). Make the two agree."""
    def walk(collection):
        for child in collection.children:
            if child.hide_viewport:
                child.hide_render = True
            walk(child)
    walk(scene.collection)
    view_layer = scene.view_layers[0]
    for obj in scene.objects:
        if not obj.visible_get(view_layer=view_layer):
            obj.hide_render = True


def _copy_base_colours_to_viewport() -> None:
    for material in bpy.data.materials:
        if not material.use_nodes or material.node_tree is None:
            continue
        for node in material.node_tree.nodes:
            if node.type == "BSDF_PRINCIPLED":
                base = node.inputs["Base Color"]
                if not base.is_linked:
                    material.diffuse_color = tuple(base.default_value)
                colour = base.links[0].from_node if base.is_linked else None
                # Workbench draws a material's image as its colour: keep only a base colour image
                # (a baked metal's roughness map would draw as a purple handle).
                for image in [n for n in material.node_tree.nodes if n.type == "TEX_IMAGE" and n != colour]:
                    material.node_tree.nodes.remove(image)
                # Studio light on a fully metallic surface reads as black: keep a hint of it.
                material.metallic = min(node.inputs["Metallic"].default_value, 0.35)
                material.roughness = node.inputs["Roughness"].default_value
                break


def _add_camera(scene):
    data = bpy.data.cameras.new("cfg_thumbnail_camera")
    data.lens = 50
    camera = bpy.data.objects.new("cfg_thumbnail_camera", data)
    scene.collection.objects.link(camera)
    scene.camera = camera
    world = bpy.data.worlds.new("cfg_thumbnail_world")
    world.color = (0.8, 0.8, 0.8)
    scene.world = world
    return camera


def _visible_corners(scene) -> list[Vector]:
    depsgraph = bpy.context.evaluated_depsgraph_get() if bpy.context.scene == scene else None
    view_layer = scene.view_layers[0]
    if depsgraph is None:
        depsgraph = scene.view_layers[0].depsgraph
    corners = []
    for obj in scene.objects:
        if obj.type not in ("MESH", "CURVE", "FONT", "SURFACE", "META") or not obj.visible_get(view_layer=view_layer):
            continue
        evaluated = obj.evaluated_get(depsgraph)
        corners.extend(evaluated.matrix_world @ Vector(corner) for corner in evaluated.bound_box)
    return corners


def _fit_camera(scene, camera) -> None:
    """Aim at the bounds' centre from CAMERA_DIRECTION, far enough that the bounding sphere
    fits the field of view with a margin."""
    scene.view_layers[0].update()
    corners = _visible_corners(scene)
    if not corners:
        corners = [Vector((-0.5, -0.5, 0)), Vector((0.5, 0.5, 1))]
    low = Vector(tuple(min(c[i] for c in corners) for i in range(3)))
    high = Vector(tuple(max(c[i] for c in corners) for i in range(3)))
    centre, radius = (low + high) / 2, max((high - low).length / 2, 1e-3)
    field = camera.data.angle  # square frame: the same both ways
    distance = FIT_MARGIN * radius / math.sin(field / 2)
    camera.location = centre + CAMERA_DIRECTION * distance
    camera.rotation_euler = (-CAMERA_DIRECTION).to_track_quat("-Z", "Y").to_euler()
    camera.data.clip_start = max(distance - 2 * radius, 1e-3) / 4
    camera.data.clip_end = distance + 4 * radius


def _render(scene, path: str) -> str:
    """Workbench if OpenGL starts, else Cycles on the CPU; the engine used."""
    window = bpy.context.window
    if window is not None:
        window.scene = scene
    scene.render.filepath = path
    for engine in ("BLENDER_WORKBENCH", "CYCLES"):
        _configure(scene, engine)
        try:
            bpy.ops.render.render(write_still=True, scene=scene.name)
        except RuntimeError:
            continue
        if os.path.isfile(path):
            return engine
    raise RuntimeError("no render engine could draw the thumbnail")


def _configure(scene, engine: str) -> None:
    scene.render.engine = engine
    if engine == "BLENDER_WORKBENCH":
        shading = scene.display.shading
        shading.light = "STUDIO"
        shading.color_type = "TEXTURE"  # a baked finish's base colour image; others their colour
        shading.show_cavity = True
        shading.show_shadows = False
        shading.show_specular_highlight = True
        scene.display.render_aa = "8"
    else:
        scene.cycles.device = "CPU"
        scene.cycles.samples = CYCLES_SAMPLES
        scene.cycles.use_denoising = True
        sun = bpy.data.lights.new("cfg_thumbnail_sun", "SUN")
        sun.energy = 3.0
        light = bpy.data.objects.new("cfg_thumbnail_sun", sun)
        light.rotation_euler = (math.radians(50), 0, math.radians(30))
        scene.collection.objects.link(light)


def _write_webp(rendered: str, widths: tuple[int, ...], out_dir: str) -> dict[int, str]:
    image = bpy.data.images.load(rendered)
    files = {}
    try:
        for width in sorted(widths, reverse=True):
            if image.size[0] != width:
                image.scale(width, width)
            path = os.path.join(out_dir, f"{width}.webp")
            image.filepath_raw = path
            image.file_format = "WEBP"
            image.save(filepath=path, quality=82)
            files[width] = path
    finally:
        bpy.data.images.remove(image)
    return files
