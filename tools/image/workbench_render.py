"""Render a small Workbench image with bpy and print what came out, as one JSON line.

Run inside the image by the image test: it proves the image carries the OpenGL that bpy's
Workbench engine draws with when there is no GPU (Mesa's software driver, through EGL).
`python workbench_render.py OUT.png` exits 0 with {"width", "height", "lit_pixels", "gpu"}
when the image has a lit cube on it, 1 otherwise.
"""
from __future__ import annotations

import json
import sys

SIZE = 64


def main(output: str) -> int:
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_x = scene.render.resolution_y = SIZE
    scene.render.resolution_percentage = 100
    scene.render.film_transparent = True
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGBA"
    scene.render.filepath = output
    bpy.ops.mesh.primitive_cube_add(size=1.5)
    camera = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))
    scene.collection.objects.link(camera)
    camera.location = (3.0, -3.0, 2.4)
    camera.rotation_euler = (1.1, 0.0, 0.785)
    scene.camera = camera
    bpy.ops.render.render(write_still=True)
    image = bpy.data.images.load(output)
    pixels = list(image.pixels)
    lit = sum(1 for alpha in pixels[3::4] if alpha > 0.5)
    import gpu

    print(json.dumps({"width": image.size[0], "height": image.size[1], "lit_pixels": lit,
                      "gpu": gpu.platform.renderer_get()}), flush=True)
    return 0 if lit > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
