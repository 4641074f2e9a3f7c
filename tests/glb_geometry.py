"""What a GLB holds, for tests: node and material names, world-space bounding box."""
from __future__ import annotations

import math

from configurator_addon.engine.glb import split_glb


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
