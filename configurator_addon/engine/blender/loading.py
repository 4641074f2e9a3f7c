"""Load a template `.blend` into the running Blender without opening it as the main file.

Appending (instead of `open_mainfile`) keeps other cached templates alive, never runs the
file's scripts, and lets us remove exactly what we added. Every appended datablock gets a
per-load name prefix so two templates with an object called "Door" never collide; the
original names are remembered and restored in the exported GLB (`exporting.py`).
"""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field

import bpy

from ...errors import ErrorDetail, TemplateContractError, TemplateUnreadableError

# bpy.data collections a template can add datablocks to (only those this Blender has).
_ID_COLLECTIONS = tuple(
    name for name in (
        "actions", "annotations", "armatures", "brushes", "cache_files", "cameras", "collections", "curves",
        "fonts", "grease_pencils", "hair_curves", "images", "lattices", "libraries", "lightprobes",
        "lights", "linestyles", "masks", "materials", "meshes", "metaballs", "movieclips",
        "node_groups", "objects", "paint_curves", "palettes", "particles", "pointclouds",
        "scenes", "shape_keys", "sounds", "speakers", "texts", "textures", "volumes", "worlds",
    ) if hasattr(bpy.data, name)
)
_load_counter = itertools.count(1)
MAX_ID_NAME_BYTES = 63


def _all_ids():
    for name in _ID_COLLECTIONS:
        yield from getattr(bpy.data, name)


@dataclass
class LoadedTemplate:
    """Datablocks appended from one template file, owned by this object until `unload`."""

    path: str
    version: str
    prefix: str
    byte_size: int
    ids: list = field(default_factory=list)
    original_names: dict[int, str] = field(default_factory=dict)  # as_pointer() -> name in the file
    collections: list = field(default_factory=list)
    materials: list = field(default_factory=list)
    texts: list = field(default_factory=list)
    scene: object = None  # export scene holding only the product collection
    _name_map: dict[str, str] | None = None

    def original_name(self, datablock) -> str:
        return self.original_names.get(datablock.as_pointer(), datablock.name)

    def exported_name_map(self) -> dict[str, str]:
        """Current (prefixed) name -> name authored in the template, for GLB names."""
        if self._name_map is None:
            self._name_map = {db.name: self.original_names[db.as_pointer()] for db in self.ids
                              if db.as_pointer() in self.original_names}
        return self._name_map


def load_template(path: str, version: str) -> LoadedTemplate:
    """Append all collections, materials and texts of `path`. Raises `TemplateUnreadableError`."""
    # Blender records the file appended from as it was named: absolute, so it is recognised
    # as the template itself below whatever the working directory.
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise TemplateUnreadableError(f"template file not found: {path}",
                                      [ErrorDetail(code="TEMPLATE_NOT_FOUND", location=path, message="no such file")])
    before = {db.as_pointer() for db in _all_ids()}
    try:
        with bpy.data.libraries.load(path, link=False) as (src, dst):
            dst.collections = list(src.collections)
            dst.materials = list(src.materials)
            dst.texts = list(src.texts)
    except (OSError, RuntimeError) as exc:
        _remove([db for db in _all_ids() if db.as_pointer() not in before])
        raise TemplateUnreadableError(
            "the file is not a readable Blender file",
            [ErrorDetail(code="TEMPLATE_UNREADABLE", location=os.path.basename(path), message=str(exc).strip())],
        ) from None
    names_before = {(type(db).__name__, db.name) for db in _all_ids() if db.as_pointer() in before}
    # Blender's built-in font is shared by every text in the process: used, never owned.
    added = [db for db in _all_ids() if db.as_pointer() not in before and not _is_builtin_font(db)]
    # Appending leaves a library datablock for the template file itself: ours to remove. Any
    # other library means the template links data from another file.
    libraries = [db for db in added if isinstance(db, bpy.types.Library)]
    linked = [db for db in libraries if not _same_file(db.filepath, path)]
    if linked:
        names = sorted(os.path.basename(library.filepath) for library in linked)
        _remove(added)
        raise TemplateContractError("the template breaks the template contract", [
            ErrorDetail(code="LINKED_LIBRARY", location=f"library '{name}'",
                        message="links data from another file; make it local (File › External Data) and save again")
            for name in names])
    if libraries:
        _remove(libraries)
        added = [db for db in added if not isinstance(db, bpy.types.Library)]

    loaded = LoadedTemplate(path=path, version=version, prefix=f"~{next(_load_counter)}~",
                            byte_size=os.path.getsize(path))
    loaded.collections = [db for db in dst.collections if db is not None]
    loaded.materials = [db for db in dst.materials if db is not None]
    loaded.texts = [db for db in dst.texts if db is not None]
    # Names as authored: exact for what we asked for by name; for datablocks that came along
    # (objects, meshes…) undo the ".001" Blender added when the name was already taken here.
    exact = {db.as_pointer(): name for asked, got in ((src.collections, dst.collections),
                                                      (src.materials, dst.materials), (src.texts, dst.texts))
             for name, db in zip(asked, got, strict=True) if db is not None}
    for db in added:
        name = exact.get(db.as_pointer(), db.name)
        base, dot, suffix = name.rpartition(".")
        if db.as_pointer() not in exact and dot and suffix.isdigit() and (type(db).__name__, base) in names_before:
            name = base
        loaded.original_names[db.as_pointer()] = name
        db.name = (loaded.prefix + db.name)[:MAX_ID_NAME_BYTES]
    for db in itertools.chain(loaded.collections, loaded.materials):
        db.use_fake_user = True  # held without being linked into any scene the exporter walks
    loaded.ids = added
    return loaded


def _same_file(library_path: str, path: str) -> bool:
    return os.path.normpath(bpy.path.abspath(library_path)) == os.path.normpath(os.path.abspath(path))


def _is_builtin_font(db) -> bool:
    return isinstance(db, bpy.types.VectorFont) and db.filepath == "<builtin>"


def create_export_scene(loaded: LoadedTemplate, product_collection) -> None:
    """Give the template a scene of its own holding only its product collection, so its
    evaluated state stays warm between jobs and exports walk nothing else."""
    scene = bpy.data.scenes.new(loaded.prefix + "export")
    scene.collection.children.link(product_collection)
    loaded.scene = scene
    loaded.ids.append(scene)


def unload_template(loaded: LoadedTemplate) -> None:
    """Remove every datablock the load created."""
    _remove(loaded.ids)
    loaded.ids = []
    loaded.collections, loaded.materials, loaded.texts = [], [], []
    loaded.scene = None


def _remove(datablocks) -> None:
    if not datablocks:
        return
    window = getattr(bpy.context, "window", None)
    if window is not None and window.scene in datablocks:
        others = [s for s in bpy.data.scenes if s not in datablocks]
        if others:
            window.scene = others[0]
    # Only those still there: one removed meanwhile (a text object Blender freed with its
    # curve) is a dangling pointer, and batch_remove on it crashes the process.
    bpy.data.batch_remove([db for db in datablocks if _still_there(db)])


def _still_there(db) -> bool:
    try:
        db.name  # noqa: B018 - raises for a datablock Blender has freed
    except ReferenceError:
        return False
    return True
