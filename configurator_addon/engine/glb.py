"""Read and write GLB containers (no bpy): the exporter's output gets its authored names back."""
from __future__ import annotations

import json
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
