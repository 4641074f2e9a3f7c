"""A template is self-contained or it is refused.

Templates come from clients and are opened on shared servers: nothing in one may reach
outside the `.blend` itself. This walks every datablock a load appended — node trees
embedded in materials, worlds, lights, textures and line styles, and shape keys
included — and reports, each with its own code and the datablock (and node) at fault:

- nodes that read (or write) files: Geometry Nodes imports, file-path inputs, external
  OSL scripts and IES files (`FILE_READING_NODE`);
- modifiers that read caches from disk: Mesh Cache, external Multires, cached Ocean,
  disk bakes of Geometry Nodes, fluid domains, disk point caches (`FILE_READING_MODIFIER`);
- images, fonts, sounds, volumes, cache files and movie clips that are not packed into
  the file (`EXTERNAL_IMAGE`, `EXTERNAL_FONT`, …);
- data linked from another file (`LINKED_LIBRARY`);
- drivers that need Python, on any datablock (`PYTHON_DRIVER`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import bpy

from ...errors import ErrorDetail

# How a datablock type is named in an error location (`ID.id_type` -> words).
_TYPE_NAMES = {
    "CACHEFILE": "cache file", "FONT": "font", "GREASEPENCIL": "annotation", "GREASEPENCIL_V3": "grease pencil",
    "KEY": "shape keys", "LIGHT_PROBE": "light probe", "LINESTYLE": "line style", "META": "metaball",
    "MOVIECLIP": "movie clip", "NODETREE": "node group", "PAINTCURVE": "paint curve",
    "PARTICLE": "particle settings", "POINTCLOUD": "point cloud",
}
_FILE_PATH_SUBTYPES = frozenset({"FILE_PATH", "DIR_PATH", "FILE_NAME"})
_FILE_PATH_SOCKET = "NodeSocketStringFilePath"
_BUILTIN_FONT = "<builtin>"
# Image sources read from disk unless packed; GENERATED and VIEWER images live in memory.
_IMAGE_FILE_SOURCES = frozenset({"FILE", "SEQUENCE", "MOVIE", "TILED"})
# Datablocks that hold or name a file of their own: type -> (code, noun).
_FILE_DATABLOCKS = {
    bpy.types.Image: ("EXTERNAL_IMAGE", "image"),
    bpy.types.VectorFont: ("EXTERNAL_FONT", "font"),
    bpy.types.Sound: ("EXTERNAL_SOUND", "sound"),
    bpy.types.Volume: ("EXTERNAL_VOLUME", "volume"),
    bpy.types.CacheFile: ("EXTERNAL_CACHE_FILE", "cache file"),
    bpy.types.MovieClip: ("EXTERNAL_MOVIE_CLIP", "movie clip"),
}
# Node attributes holding a file datablock, to name the node that uses it.
_NODE_FILE_ATTRIBUTES = ("image", "font", "clip")
_GROUP_IO = frozenset({"NodeGroupInput", "NodeGroupOutput", "NodeReroute"})


def self_contained_errors(ids, name=lambda db: db.name) -> list[ErrorDetail]:
    """Every way the datablocks `ids` (and what they embed) reach outside the file.
    `name(db)` gives the name to show for a datablock."""
    walk = _Walk(name)
    for datablock in ids:
        walk.visit(datablock)
    walk.report_files()
    return walk.errors


class _Walk:
    def __init__(self, name):
        self.name = name
        self.errors: list[ErrorDetail] = []
        self.labels: dict[int, str] = {}  # as_pointer() -> location of a visited datablock
        self.file_users: dict[int, str] = {}  # file datablock -> location of the node using it
        self.files: list = []  # visited datablocks of the types in _FILE_DATABLOCKS

    def error(self, code: str, location: str, message: str) -> None:
        self.errors.append(ErrorDetail(code=code, location=location, message=message))

    def label(self, datablock) -> str:
        known = self.labels.get(datablock.as_pointer())
        if known is not None:
            return known
        if isinstance(datablock, bpy.types.Key) and datablock.user is not None:
            return f"{self.label(datablock.user)} › shape keys"
        kind = _TYPE_NAMES.get(datablock.id_type, datablock.id_type.lower())
        return f"{kind} '{self.name(datablock)}'"

    def visit(self, datablock, label: str | None = None) -> None:
        try:
            pointer = datablock.as_pointer()
        except ReferenceError:  # removed while loading (data of a dropped library)
            return
        if pointer in self.labels:
            return
        self.labels[pointer] = label or self.label(datablock)
        label = self.labels[pointer]

        self.check_library(datablock, label)
        self.check_drivers(datablock, label)
        if isinstance(datablock, bpy.types.NodeTree):
            self.check_nodes(datablock, label)
        elif isinstance(datablock, bpy.types.Object):
            self.check_object(datablock, label)
        elif isinstance(datablock, tuple(_FILE_DATABLOCKS)):
            self.files.append(datablock)

        tree = getattr(datablock, "node_tree", None)  # materials, worlds, lights, textures, line styles
        if isinstance(tree, bpy.types.NodeTree):
            self.visit(tree, f"{label} › node tree" if tree.is_embedded_data else None)

    # -- the rules ---------------------------------------------------------------------
    def check_library(self, datablock, label: str) -> None:
        if isinstance(datablock, bpy.types.Library):
            library = datablock
        else:
            library = datablock.library
            override = datablock.override_library
            if library is None and override is not None and override.reference is not None:
                library = override.reference.library
        if library is not None:
            self.error("LINKED_LIBRARY", label,
                       f"linked from the library '{os.path.basename(library.filepath)}'; a template may not "
                       "link data from other files (append it and make it local)")

    def check_drivers(self, datablock, label: str) -> None:
        anim = getattr(datablock, "animation_data", None)
        if anim is None:
            return
        for fcurve in anim.drivers:
            driver = fcurve.driver
            if driver.type == "SCRIPTED" and not driver.is_simple_expression:
                self.error(
                    "PYTHON_DRIVER", f"{label} › driver '{fcurve.data_path}[{fcurve.array_index}]'",
                    f"driver expression {driver.expression!r} needs Python; only simple expressions "
                    "(arithmetic on variables and numbers) are allowed",
                )

    def check_nodes(self, tree, label: str) -> None:
        sockets_too = tree.bl_idname == "GeometryNodeTree"  # only Geometry Nodes have file-path and image sockets
        for node in tree.nodes:
            shape = _node_shape(node)
            where = f"{label} › node '{node.name}'"
            reason = _file_reading(node, shape)
            for attribute in shape.file_attributes:
                used = getattr(node, attribute)
                if used is not None:
                    self.file_users.setdefault(used.as_pointer(), where)
            if sockets_too and not shape.is_group and not shape.is_group_io:  # a group's own nodes are checked
                for socket in node.inputs:
                    if socket.bl_idname == _FILE_PATH_SOCKET:
                        reason = reason or f"{node.bl_label} has a file path input '{socket.name}'"
                    elif socket.type == "IMAGE" and not socket.is_linked and socket.default_value is not None:
                        self.file_users.setdefault(socket.default_value.as_pointer(),
                                                   f"{where} › input '{socket.name}'")
            if reason:
                self.error("FILE_READING_NODE", where,
                           f"{reason}; a template may not read files (pack the data into the template)")

    def check_object(self, obj, label: str) -> None:
        for modifier in obj.modifiers:
            reason = _modifier_reading(modifier)
            if reason:
                self.error("FILE_READING_MODIFIER", f"{label} › modifier '{modifier.name}'",
                           f"{reason}; a template may not read caches from disk (apply the modifier, or pack the bake)")
        for system in obj.particle_systems:
            if _disk_cache(system.point_cache):
                self.error("FILE_READING_MODIFIER", f"{label} › particle system '{system.name}'",
                           "its point cache is on disk; a template may not read caches from disk")

    def report_files(self) -> None:
        outside = [db for db in self.files if _is_external(db)]
        if not outside:
            return
        users = bpy.data.user_map(subset=outside)  # only on refusal: it scans the whole of bpy.data
        for datablock in outside:
            code, noun = _FILE_DATABLOCKS[next(t for t in _FILE_DATABLOCKS if isinstance(datablock, t))]
            own = f"{noun} '{self.name(datablock)}'"
            where = self.file_users.get(datablock.as_pointer())
            if where is None:
                named = sorted(self.labels[u.as_pointer()] for u in users.get(datablock, ())
                               if u.as_pointer() in self.labels)
                where = named[0] if named else None
            filename = os.path.basename(datablock.filepath.rstrip("/\\")) or datablock.filepath
            self.error(code, f"{where} › {own}" if where else own,
                       f"refers to the file '{filename}' outside the template; "
                       + ("pack it into the .blend (File › External Data › Pack Resources)"
                          if hasattr(datablock, "packed_file") else "a template may not read such files"))


# -- what reads files -----------------------------------------------------------------
@dataclass(frozen=True)
class _NodeShape:
    """What a node type can hold that matters here, looked up once per type."""

    file_properties: tuple[str, ...]  # string properties that are file or directory paths
    file_attributes: tuple[str, ...]  # of _NODE_FILE_ATTRIBUTES, those the type has
    is_group: bool
    is_group_io: bool
    is_import: bool


_NODE_SHAPES: dict[str, _NodeShape] = {}


def _node_shape(node) -> _NodeShape:
    shape = _NODE_SHAPES.get(node.bl_idname)
    if shape is None:
        properties = node.bl_rna.properties
        shape = _NODE_SHAPES[node.bl_idname] = _NodeShape(
            file_properties=tuple(p.identifier for p in properties
                                  if p.type == "STRING" and p.subtype in _FILE_PATH_SUBTYPES),
            file_attributes=tuple(a for a in _NODE_FILE_ATTRIBUTES if a in properties),
            is_group="node_tree" in properties,
            is_group_io=node.bl_idname in _GROUP_IO,
            is_import="Import" in node.bl_idname,
        )
    return shape


def _file_reading(node, shape: _NodeShape) -> str:
    """Why `node`, by its type and properties, reads (or writes) a file, or ''."""
    if shape.is_import:
        return f"{node.bl_label} imports a file"
    if shape.file_properties and getattr(node, "mode", "EXTERNAL") == "EXTERNAL":  # OSL script, IES: internal is fine
        for identifier in shape.file_properties:
            value = getattr(node, identifier)
            if value:
                return f"{node.bl_label} refers to the file '{os.path.basename(value)}'"
    return ""


def _modifier_reading(modifier) -> str:
    """Why `modifier` reads from disk, or ''."""
    kind = modifier.type
    if kind == "MESH_CACHE" and modifier.filepath:
        return "Mesh Cache reads a file"
    if kind == "MULTIRES" and modifier.is_external:
        return "Multiresolution reads its displacement from an external file"
    if kind == "OCEAN" and modifier.is_cached:
        return "Ocean reads its cache from disk"
    if kind == "FLUID" and modifier.fluid_type == "DOMAIN":
        return "a fluid domain reads its cache directory"
    if kind == "NODES":
        for bake in modifier.bakes:
            target = modifier.bake_target if bake.bake_target == "INHERIT" else bake.bake_target
            if target == "DISK":
                return "a Geometry Nodes bake is stored on disk"
    if kind in ("CLOTH", "SOFT_BODY") and _disk_cache(modifier.point_cache):
        return "its point cache is on disk"
    if kind == "DYNAMIC_PAINT" and modifier.canvas_settings is not None:
        if any(_disk_cache(surface.point_cache) for surface in modifier.canvas_settings.canvas_surfaces):
            return "its point cache is on disk"
    return ""


def _disk_cache(cache) -> bool:
    return cache is not None and (cache.use_disk_cache or cache.use_external)


def _is_external(datablock) -> bool:
    """Not packed, and naming a file. An empty volume, say, is filled by its modifiers; its
    empty path comes back from an append as the folder of the template ('/' when absolute)."""
    if not datablock.filepath.strip("/\\") or getattr(datablock, "packed_file", None) is not None:
        return False
    if isinstance(datablock, bpy.types.Image):
        return datablock.source in _IMAGE_FILE_SOURCES and len(datablock.packed_files) == 0
    return not (isinstance(datablock, bpy.types.VectorFont) and datablock.filepath == _BUILTIN_FONT)
