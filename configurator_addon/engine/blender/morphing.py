"""Morph GLBs in Blender: the exact GLB of c, plus morph targets measured on the warm template.

Blender's exporter is not asked to write shape keys: the template's parameters are not
shape keys, and turning them into some inside the live scene would change what every other
job sees. Instead:

1. With c applied, every exported mesh object gets a last Geometry Nodes modifier that
   stores each vertex's number in an attribute `_cfg_vertex`; the exporter writes it beside
   POSITION (export of `_` attributes), so the GLB itself says which evaluated vertex each
   exported vertex is (the exporter splits and reorders vertices; its POSITION is the
   evaluated vertex's). The modifier is removed at once and the attribute dropped from
   the GLB; positions, normals and order are those of the exact GLB.
2. A probe applies c with some number parameters changed and reads the evaluated meshes
   straight from the depsgraph (no export): world-space positions of the exported vertices,
   their normals, and the topology (vertex, corner and face counts, the corner → vertex
   index buffer and the faces' materials). `RangeSearch` (engine/morph.py) decides where.
3. Deltas are world-space displacements per unit, turned into each node's local space of c
   (the inverse of the object's world rotation and scale at c, then Blender's Z-up to
   glTF's Y-up), so a parameter that moves an object (depth moves the doors) is carried
   in vertex deltas and node transforms stay those of c.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache

import bpy
import numpy as np
from jsonschema import Draft202012Validator

from .. import glb
from ..config_validation import canonical_json
from ..morph import MorphRange, MorphSearch, RangeSearch, Sample, add_morph_targets, drop_attributes, read_accessor, yup
from .applying import apply_config
from .exporting import export_scene_glb

VERTEX_ATTRIBUTE = "_cfg_vertex"
_GLTF_VERTEX_ATTRIBUTE = VERTEX_ATTRIBUTE.upper()
_SHARPNESS = ("sharp_edge", "sharp_face")


def number_parameters(inspection) -> list:
    """The continuous parameters, in the template's order: one morph target each."""
    return [p for p in inspection.parameters if p.kind == "float"]


def _vertex_number_tree():
    tree = bpy.data.node_groups.new("cfg morph vertex numbers", "GeometryNodeTree")
    tree.interface.new_socket("Geometry", in_out="INPUT", socket_type="NodeSocketGeometry")
    tree.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    group_in = tree.nodes.new("NodeGroupInput")
    group_out = tree.nodes.new("NodeGroupOutput")
    store = tree.nodes.new("GeometryNodeStoreNamedAttribute")
    store.data_type = "FLOAT"
    store.domain = "POINT"
    store.inputs["Name"].default_value = VERTEX_ATTRIBUTE
    index = tree.nodes.new("GeometryNodeInputIndex")
    tree.links.new(group_in.outputs[0], store.inputs["Geometry"])
    tree.links.new(index.outputs[0], store.inputs["Value"])
    tree.links.new(store.outputs[0], group_out.inputs[0])
    return tree


def _matrix(obj) -> np.ndarray:
    return np.array(obj.matrix_world, dtype=np.float64)


def _inverse_3x3(obj) -> np.ndarray:
    """Inverse of the object's world rotation and scale, by Blender's own maths: numpy's
    `linalg.inv` costs a millisecond for a 3×3 on a busy machine (LAPACK's threads)."""
    return np.array(obj.matrix_world.to_3x3().inverted_safe(), dtype=np.float64)


class _MeshNode:
    """One exported mesh node: its object, the evaluated vertex of each exported vertex
    (primitives concatenated) and the corner whose normal it carries."""

    def __init__(self, node_index: int, obj, vertex_of: np.ndarray, primitives: list[tuple[int, int, int]]):
        self.node_index = node_index
        self.obj = obj
        self.vertex_of = vertex_of
        self.primitives = primitives
        self.corner_of: np.ndarray | None = None
        self.matrix_c: np.ndarray | None = None   # world matrix at c
        self.inverse_c: np.ndarray | None = None  # inverse of its rotation and scale


def _attribute(mesh, name: str, field: str, dtype, size: int, width: int = 1) -> np.ndarray:
    """A mesh attribute as an array (zeros when absent). Read through `mesh.attributes`:
    `mesh.loops.foreach_get("vertex_index")` costs 200× more than the `.corner_vert` layer."""
    values = np.zeros(size * width, dtype)
    attribute = mesh.attributes.get(name)
    if attribute is not None and size:
        attribute.data.foreach_get(field, values)
    return values


def _read_mesh(obj, depsgraph, with_normals: bool = True):
    """Evaluated positions (object space), corner → vertex indices, corner normals (or
    None) and the topology of `obj`'s mesh."""
    evaluated = obj.evaluated_get(depsgraph)
    mesh = evaluated.data
    count = len(mesh.vertices)
    co = _attribute(mesh, "position", "vector", np.float32, count, 3)
    if ".corner_vert" in mesh.attributes:
        corners = _attribute(mesh, ".corner_vert", "value", np.int32, len(mesh.loops))
    else:
        corners = np.empty(len(mesh.loops), np.int32)
        mesh.loops.foreach_get("vertex_index", corners)
    materials = _attribute(mesh, "material_index", "value", np.int32, len(mesh.polygons))
    normals = None
    if with_normals:
        normals = np.empty(len(mesh.loops) * 3, np.float32)
        if len(mesh.loops):
            mesh.corner_normals.foreach_get("vector", normals)
        normals = normals.reshape(-1, 3).astype(np.float64)
    # Where the exporter splits vertices follows the sharp edges and faces, so they count too.
    digest = hashlib.blake2b(corners.tobytes() + materials.tobytes(), digest_size=16)
    for name in _SHARPNESS:
        attribute = mesh.attributes.get(name)
        if attribute is not None:
            flags = np.empty(len(attribute.data), bool)
            attribute.data.foreach_get("value", flags)
            digest.update(name.encode() + flags.tobytes())
    topology = (count, len(corners), len(materials), digest.digest())
    return co.reshape(-1, 3).astype(np.float64), corners, normals, topology


def _corners_for(vertex_of: np.ndarray, corners: np.ndarray, corner_normals: np.ndarray,
                 exported_normals: np.ndarray) -> np.ndarray:
    """For each exported vertex, the corner of its vertex whose normal it was given (the
    exporter splits a vertex once per distinct corner normal)."""
    if len(corners) == 0:
        return np.zeros(len(vertex_of), np.int64)
    order = np.argsort(corners, kind="stable")
    degree = np.bincount(corners, minlength=int(vertex_of.max(initial=0)) + 1)
    starts = np.concatenate([[0], np.cumsum(degree)[:-1]])
    width = int(degree.max())
    offsets = np.arange(width)[None, :]
    slots = starts[vertex_of][:, None] + np.minimum(offsets, np.maximum(degree[vertex_of][:, None] - 1, 0))
    candidates = order[np.minimum(slots, len(order) - 1)]
    agreement = np.einsum("ijk,ik->ij", corner_normals[candidates], exported_normals)
    agreement[offsets >= degree[vertex_of][:, None]] = -np.inf
    return candidates[np.arange(len(vertex_of)), np.argmax(agreement, axis=1)]


class MorphMaker:
    """Makes the morph GLB of one configuration on a cached template (`CachedTemplate`)."""

    def __init__(self, entry):
        self.entry = entry
        self.scene = entry.loaded.scene
        self.view_layer = self.scene.view_layers[0]
        self.schema = entry.inspection.schema
        self._check = _schema_check(canonical_json(self.schema))
        self.nodes: list[_MeshNode] = []
        self.total_vertices = 0
        self._numbering: list = []
        self._tree = None
        self._base: Sample | None = None

    # -- the base GLB and which vertex is which -------------------------------------------
    def _export_numbered(self) -> bytes:
        """The GLB of c with `_cfg_vertex` on every primitive. `_remove_numbering` takes the
        numbering modifiers away once the nodes are mapped."""
        meshes = [obj for obj in self.scene.objects
                  if obj.type == "MESH" and obj.visible_get(view_layer=self.view_layer)]
        self._tree = _vertex_number_tree()
        for obj in meshes:
            modifier = obj.modifiers.new("cfg morph vertex numbers", "NODES")
            modifier.node_group = self._tree
            self._numbering.append((obj, modifier))
        self.view_layer.update()
        return export_scene_glb(self.scene, draco=False, names=self.entry.loaded.exported_name_map(),
                                scene_name=self.entry.inspection.product_name, attributes=True)

    def _remove_numbering(self) -> None:
        """Before the probes: storing an attribute moves no vertex and renumbers none, so the
        evaluated vertices are the same without the modifiers, and every probe would pay
        for evaluating them on every mesh (a copy of each mesh). No depsgraph update here:
        the next apply evaluates what this tagged."""
        for obj, modifier in self._numbering:
            obj.modifiers.remove(modifier)
        self._numbering = []
        if self._tree is not None:
            bpy.data.node_groups.remove(self._tree)
            self._tree = None

    def _map_nodes(self, document: dict, binary: bytes) -> None:
        loaded = self.entry.loaded
        by_name = {loaded.original_name(obj): obj for obj in self.scene.objects}
        depsgraph = self.view_layer.depsgraph
        first = 0
        for node_index, node in enumerate(document.get("nodes", [])):
            if "mesh" not in node:
                continue
            obj = by_name.get(node.get("name"))
            primitives, numbers, normals = [], [], []
            for primitive_index, primitive in enumerate(document["meshes"][node["mesh"]]["primitives"]):
                attributes = primitive["attributes"]
                count = document["accessors"][attributes["POSITION"]]["count"]
                if obj is None or _GLTF_VERTEX_ATTRIBUTE not in attributes:
                    raise _Unmorphable(f"node '{node.get('name')}' has no numbered vertices")
                numbers.append(read_accessor(document, binary, attributes[_GLTF_VERTEX_ATTRIBUTE])[:, 0])
                if "NORMAL" in attributes:
                    normals.append(read_accessor(document, binary, attributes["NORMAL"]).astype(np.float64))
                else:
                    normals.append(np.zeros((count, 3)))
                primitives.append((primitive_index, first, count))
                first += count
            mesh_node = _MeshNode(node_index, obj, np.concatenate(numbers).round().astype(np.int64), primitives)
            co, corners, corner_normals, _ = _read_mesh(obj, depsgraph)
            if len(mesh_node.vertex_of) and mesh_node.vertex_of.max() >= len(co):
                raise _Unmorphable(f"node '{node.get('name')}' numbers vertices its mesh does not have")
            mesh_node.corner_of = _corners_for(mesh_node.vertex_of, corners, yup(corner_normals),
                                               np.concatenate(normals))
            mesh_node.matrix_c = _matrix(obj)
            mesh_node.inverse_c = _inverse_3x3(obj)
            self.nodes.append(mesh_node)
        self.total_vertices = first

    # -- probes ---------------------------------------------------------------------------
    def _valid(self, config: dict, overrides: dict) -> bool:
        """Whether the schema and its rules accept `config` (complete and validated) with
        some number parameters changed. A yes or no is all the search needs, and it asks
        some twenty times per job (a rule's bound is bisected): `validate_config` would
        also fill defaults, spell values and word every error, at three times the cost."""
        return self._check.is_valid({**config, **overrides})

    def _sample(self, config: dict, overrides: dict, normals: bool) -> Sample:
        """`config` is complete and validated; the search validated `overrides` with it."""
        apply_config(self.entry.inspection.bindings, {**config, **overrides}, self.view_layer)
        return self._read(normals)

    def _read(self, with_normals: bool) -> Sample:
        depsgraph = self.view_layer.depsgraph
        visible = tuple(obj.name for obj in self.scene.objects if obj.visible_get(view_layer=self.view_layer))
        topology, positions, normals = [visible], [], []
        for node in self.nodes:
            co, _, corner_normals, shape = _read_mesh(node.obj, depsgraph, with_normals)
            topology.append(shape)
            if len(node.vertex_of) and node.vertex_of.max() >= len(co):
                return Sample(tuple(topology) + ("short",), np.zeros((0, 3)), np.zeros((0, 3)))
            matrix = _matrix(node.obj)
            positions.append(co[node.vertex_of] @ matrix[:3, :3].T + matrix[:3, 3])
            if not with_normals:
                continue
            # Normals: object space now -> world (inverse transpose) -> local space of c.
            world = corner_normals[node.corner_of] @ _inverse_3x3(node.obj)
            local = world @ node.matrix_c[:3, :3]
            local /= np.maximum(np.linalg.norm(local, axis=1, keepdims=True), 1e-12)
            normals.append(yup(local))
        return Sample(tuple(topology), _stack(positions), _stack(normals) if with_normals else None)

    def _to_local(self, world_delta: np.ndarray) -> np.ndarray:
        local = np.empty_like(world_delta)
        for node in self.nodes:
            rows = slice(node.primitives[0][1], node.primitives[-1][1] + node.primitives[-1][2]) \
                if node.primitives else slice(0, 0)
            local[rows] = yup(world_delta[rows] @ node.inverse_c.T)
        return local

    # -- the whole thing --------------------------------------------------------------------
    def search(self, config: dict) -> MorphSearch:
        """Ranges and deltas of every number parameter around `config` (applied). The
        template is left at the last probe: every job writes every parameter anyway."""
        numbers = [{"key": p.key, "value": float(config[p.key]), "minimum": p.minimum, "maximum": p.maximum}
                   for p in number_parameters(self.entry.inspection)]
        found = RangeSearch(numbers, lambda overrides, normals: self._sample(config, overrides, normals),
                            lambda overrides: self._valid(config, overrides), base=self._base).run()
        for r in found.ranges:
            if r.delta is not None:
                r.delta = self._to_local(r.delta)
        return found

    def make(self, config: dict) -> tuple[bytes, MorphSearch]:
        """The morph GLB of `config` (a validated, complete configuration, applied)."""
        try:
            document, binary = glb.split_glb(self._export_numbered())
            try:
                self._map_nodes(document, binary)
                # The base is c as exported: read now, it costs no evaluation of its own.
                self._base = self._read(True)
                self._remove_numbering()
            except _Unmorphable as reason:  # exact GLB, every range a point
                self.nodes, self.total_vertices = [], 0
                points = [float(config[p.key]) for p in number_parameters(self.entry.inspection)]
                keys = [p.key for p in number_parameters(self.entry.inspection)]
                found = MorphSearch([MorphRange(k, v, v, v) for k, v in zip(keys, points, strict=True)],
                                    0, [str(reason)])
            else:
                found = self.search(config)
        finally:
            self._remove_numbering()
        binary = drop_attributes(document, binary, "_")
        segments = [(node.node_index, node.primitives) for node in self.nodes]
        binary = add_morph_targets(document, binary, segments, found.ranges, self.total_vertices)
        return glb.join_glb(document, binary), found


@lru_cache(maxsize=64)
def _schema_check(schema_json: str) -> Draft202012Validator:
    """One validator per schema (values and rules together), made once."""
    return Draft202012Validator(json.loads(schema_json))


class _Unmorphable(Exception):
    """The exported GLB cannot be matched to the evaluated meshes (a non-mesh object, say)."""


def _stack(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros((0, 3))
