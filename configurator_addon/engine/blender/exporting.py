"""The one place that calls Blender's glTF exporter (`io_scene_gltf2`)."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager

import bpy

from ...errors import GenerationError
from .. import glb

# Fixed exporter settings: everything a product GLB needs and nothing it does not.
_EXPORT_SETTINGS = dict(
    export_format="GLB",
    use_active_scene=True,      # walk only the template's own scene
    use_visible=True,           # unchosen variants are hidden, hidden objects are not exported
    use_selection=False,
    export_apply=True,          # modifiers (Geometry Nodes, bevels) applied
    export_yup=True,
    export_texcoords=True,
    export_normals=True,
    export_tangents=False,
    export_materials="EXPORT",
    export_image_format="AUTO",
    export_cameras=False,
    export_lights=False,
    export_extras=False,
    export_animations=False,
    export_morph=False,
    export_skins=False,
    export_attributes=False,
    export_vertex_color="MATERIAL",
)
# A confined engine process may write only its own scratch folder (sandbox/engine_host.py).
_SCRATCH_DIR = os.environ.get("CONFIGURATOR_SCRATCH_DIR") or (
    "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None)


@contextmanager
def _quiet_exporter():
    """The exporter logs every primitive at INFO unless Blender's debug value asks for
    warnings only (its own log-level option fails in this version)."""
    previous = bpy.app.debug_value
    bpy.app.debug_value = 1
    try:
        yield
    finally:
        bpy.app.debug_value = previous


def export_scene_glb(scene, *, draco: bool, names: dict[str, str], scene_name: str,
                     attributes: bool = False) -> bytes:
    """Export `scene` as GLB bytes; authored names restored via `names`. `attributes`
    also exports mesh attributes named `_…` (morph GLBs read their vertex numbers so)."""
    window = bpy.context.window
    shown = window.scene if window is not None else None
    fd, path = tempfile.mkstemp(suffix=".glb", dir=_SCRATCH_DIR)
    os.close(fd)
    try:
        if window is not None and shown != scene:
            window.scene = scene
        with _quiet_exporter(), bpy.context.temp_override(scene=scene, view_layer=scene.view_layers[0]):
            result = bpy.ops.export_scene.gltf(
                filepath=path, export_draco_mesh_compression_enable=draco,
                **{**_EXPORT_SETTINGS, "export_attributes": attributes})
        if "FINISHED" not in result:
            raise GenerationError(f"glTF export did not finish: {sorted(result)}")
        with open(path, "rb") as handle:
            data = handle.read()
    except RuntimeError as exc:
        raise GenerationError(f"glTF export failed: {exc}") from exc
    finally:
        os.unlink(path)
        if not bpy.app.background and window is not None and window.scene != shown:
            window.scene = shown  # an artist's window goes back to what it showed
    return glb.rename(data, names, scene_name)
