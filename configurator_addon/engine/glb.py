"""Read and write GLB containers and measure their geometry (no bpy).

Used to restore authored names in exported files and, by tests and tools, to check what a
GLB holds (node and material names, world-space bounding box).
"""
from __future__ import annotations

import json
import math
import struct

GLB_MAGIC = 0x46546C67
CHUNK_JSON = 0x4E4F534A
CHUNK_BIN = 0x004E4942


def split_glb(data: bytes) -> tuple[dict, bytes]:
    magic, version, length = struct.unpack_from("<III", data, 0)
    if magic != GLB_MAGIC or version != 2 or length != len(data):
        raise ValueError("not a glTF 2.0 binary file")
    json_len, json_type = struct.unpack_from("<II", data, 12)
    if json_type != CHUNK_JSON:
        raise ValueError("first GLB chunk is not JSON")
    document = json.loads(data[20:20 + json_len])
    binary = b""
    offset = 20 + json_len
    if offset < len(data):
        bin_len, bin_type = struct.unpack_from("<II", data, offset)
        if bin_type == CHUNK_BIN:
            binary = data[offset + 8:offset + 8 + bin_len]
    return document, binary


def join_glb(document: dict, binary: bytes) -> bytes:
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * (-len(text) % 4)
    chunks = struct.pack("<II", len(text), CHUNK_JSON) + text
    if binary:
        binary += b"\0" * (-len(binary) % 4)
        chunks += struct.pack("<II", len(binary), CHUNK_BIN) + binary
    return struct.pack("<III", GLB_MAGIC, 2, 12 + len(chunks)) + chunks


_NAMED = ("nodes", "meshes", "materials", "images", "textures", "scenes", "cameras", "skins", "animations")


def rename(data: bytes, names: dict[str, str], scene_name: str | None = None) -> bytes:
    """Replace names (nodes, meshes, materials…) using `names`; optionally name the scene."""
    document, binary = split_glb(data)
    for section in _NAMED:
        for item in document.get(section, []):
            if "name" in item and item["name"] in names:
                item["name"] = names[item["name"]]
    if scene_name is not None:
        for scene in document.get("scenes", []):
            scene["name"] = scene_name
    return join_glb(document, binary)


def names(data: bytes, section: str) -> list[str]:
    document, _ = split_glb(data)
    return [item.get("name", "") for item in document.get(section, [])]


# -- geometry -----------------------------------------------------------------------------
def _matmul(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(4)) for j in range(4)] for i in range(4)]


def _local_matrix(node) -> list[list[float]]:
    if "matrix" in node:
        m = node["matrix"]
        return [[m[c * 4 + r] for c in range(4)] for r in range(4)]
    tx, ty, tz = node.get("translation", (0, 0, 0))
    qx, qy, qz, qw = node.get("rotation", (0, 0, 0, 1))
    sx, sy, sz = node.get("scale", (1, 1, 1))
    rot = [
        [1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - qz * qw), 2 * (qx * qz + qy * qw)],
        [2 * (qx * qy + qz * qw), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - qx * qw)],
        [2 * (qx * qz - qy * qw), 2 * (qy * qz + qx * qw), 1 - 2 * (qx * qx + qy * qy)],
    ]
    return [
        [rot[0][0] * sx, rot[0][1] * sy, rot[0][2] * sz, tx],
        [rot[1][0] * sx, rot[1][1] * sy, rot[1][2] * sz, ty],
        [rot[2][0] * sx, rot[2][1] * sy, rot[2][2] * sz, tz],
        [0, 0, 0, 1],
    ]


def bounding_box(data: bytes) -> tuple[list[float], list[float]]:
    """World-space axis-aligned bounds (glTF axes: +Y up) of every mesh in the default
    scene, from the POSITION accessors' min/max transformed by each node's world matrix."""
    document, _ = split_glb(data)
    lo = [math.inf] * 3
    hi = [-math.inf] * 3
    identity = [[float(i == j) for j in range(4)] for i in range(4)]
    scene = document["scenes"][document.get("scene", 0)]
    stack = [(index, identity) for index in scene.get("nodes", [])]
    while stack:
        index, parent = stack.pop()
        node = document["nodes"][index]
        world = _matmul(parent, _local_matrix(node))
        if "mesh" in node:
            for primitive in document["meshes"][node["mesh"]]["primitives"]:
                accessor = document["accessors"][primitive["attributes"]["POSITION"]]
                amin, amax = accessor["min"], accessor["max"]
                for corner in range(8):
                    p = [amax[a] if corner >> a & 1 else amin[a] for a in range(3)]
                    w = [sum(world[r][c] * p[c] for c in range(3)) + world[r][3] for r in range(3)]
                    lo = [min(lo[a], w[a]) for a in range(3)]
                    hi = [max(hi[a], w[a]) for a in range(3)]
        stack.extend((child, world) for child in node.get("children", []))
    return lo, hi


def dimensions(data: bytes) -> tuple[float, float, float]:
    """(width, height, depth) in metres: glTF X, Y (up) and Z extents."""
    lo, hi = bounding_box(data)
    return tuple(hi[a] - lo[a] for a in range(3))
