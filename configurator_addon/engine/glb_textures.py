"""Images out of a GLB and back in (no bpy): the delivery form references each texture by URI,
the download form embeds them again.

A configuration's GLB is mostly texture bytes once finishes are textured, and those bytes are
the same for every width and door count of a finish. So the worker stores each image once
(content-addressed: `storage.texture_blob_path`) and the GLB it keeps carries only geometry
and `images[i].uri`; a browser that has the textures of one configuration downloads only the
geometry of the next. `externalize` makes that form, `embed` the self-contained one again
(*Download GLB*, other tools). Both keep everything else byte for byte: the exporter's JSON
stays as it was apart from the images, their buffer views and the buffer's length.

Compaction: the image buffer views leave the binary chunk; every other view keeps its order
and its offset modulo 4 (so each accessor stays aligned to its component size however the
exporter packed it), and every `bufferView` index anywhere in the JSON (accessors, sparse
accessors, Draco's extension) is renumbered to match.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import NamedTuple

from .glb import join_glb, split_glb

# The image types glTF (core and EXT_texture_webp) carries, and the name each is stored under.
IMAGE_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


class Texture(NamedTuple):
    """One image taken out of a GLB: its bytes, their sha256 and media type."""

    data: bytes
    digest: str
    mime_type: str

    @property
    def extension(self) -> str:
        return IMAGE_EXTENSIONS[self.mime_type]


def embedded_textures(data: bytes) -> list[Texture]:
    """The textures `externalize` would take out of the GLB, each once (reading only)."""
    document, binary = split_glb(data)
    return list({texture.digest: texture for _, texture in _embedded(document, binary)}.values())


def externalize(data: bytes, uri_for: Callable[[Texture], str]) -> tuple[bytes, list[Texture]]:
    """The GLB with every embedded image replaced by `uri_for(texture)`, and the textures
    (each once, in first-use order). A GLB without embedded images comes back unchanged."""
    document, binary = split_glb(data)
    found = _embedded(document, binary)
    if not found:
        return data, []
    textures: dict[str, Texture] = {}
    image_views = set()
    for image, texture in found:
        texture = textures.setdefault(texture.digest, texture)
        image_views.add(image.pop("bufferView"))
        image["uri"] = uri_for(texture)
    # A view an accessor also reads (never so from the exporter) must stay where it is.
    if image_views & _views_in_use(document):
        raise ValueError("an image's buffer view is read by something else too")
    binary = _compact(document, binary, image_views)
    return join_glb(document, binary), list(textures.values())


def embed(data: bytes, read: Callable[[str], bytes]) -> bytes:
    """The GLB with every image that has a `uri` embedded again: `read(uri)` gives its bytes.
    The images are appended to the binary chunk, each 4-byte aligned."""
    document, binary = split_glb(data)
    images = [image for image in document.get("images") or [] if "uri" in image]
    if not images:
        return data
    views = document.setdefault("bufferViews", [])
    binary = bytearray(binary)
    for image in images:
        content = read(image.pop("uri"))
        binary += b"\0" * (-len(binary) % 4)
        views.append({"buffer": 0, "byteOffset": len(binary), "byteLength": len(content)})
        binary += content
        image["bufferView"] = len(views) - 1
        image.setdefault("mimeType", _sniff(content))
    binary += b"\0" * (-len(binary) % 4)
    buffers = document.setdefault("buffers", [{}])
    buffers[0]["byteLength"] = len(binary)
    return join_glb(document, bytes(binary))


def image_uris(document: dict) -> list[str]:
    """The URIs a GLB's JSON names its images by (an embedded image has none)."""
    return [image["uri"] for image in document.get("images") or [] if "uri" in image]


def json_chunk_length(header: bytes) -> int:
    """The length of a GLB's JSON chunk, from its first 20 bytes (the file header and the
    JSON chunk's header): what to read to learn a GLB's texture references without its
    geometry."""
    if len(header) < 20 or header[:4] != b"glTF" or header[16:20] != b"JSON":
        raise ValueError("not a glTF 2.0 binary file")
    return int.from_bytes(header[12:16], "little")


def _embedded(document: dict, binary: bytes) -> list[tuple[dict, Texture]]:
    """Each image held in the binary chunk, with the texture it holds."""
    views = document.get("bufferViews") or []
    found = []
    for image in document.get("images") or []:
        if "bufferView" not in image:
            continue
        mime_type = image.get("mimeType")
        if mime_type not in IMAGE_EXTENSIONS:
            raise ValueError(f"image {image.get('name')!r} is {mime_type!r}; textures are "
                             f"{', '.join(IMAGE_EXTENSIONS)}")
        view = views[image["bufferView"]]
        if view.get("buffer", 0) != 0:
            raise ValueError("a GLB's images live in its own binary chunk (buffer 0)")
        start = view.get("byteOffset", 0)
        content = bytes(binary[start:start + view["byteLength"]])
        found.append((image, Texture(content, hashlib.sha256(content).hexdigest(), mime_type)))
    return found


def _sniff(content: bytes) -> str:
    if content.startswith(b"\x89PNG"):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return "image/jpeg"


def _views_in_use(document: dict) -> set[int]:
    used: set[int] = set()
    _walk_views(document, lambda index: used.add(index) or index)
    return used


def _walk_views(node, renumber: Callable[[int], int], skip_images: bool = True) -> None:
    """Apply `renumber` to every `bufferView` index in the JSON tree except the images' own."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "bufferView" and isinstance(value, int):
                node[key] = renumber(value)
            elif not (skip_images and key == "images"):
                _walk_views(value, renumber, skip_images=False)
    elif isinstance(node, list):
        for item in node:
            _walk_views(item, renumber, skip_images=False)


def _compact(document: dict, binary: bytes, dropped: set[int]) -> bytes:
    views = document["bufferViews"]
    new_index: dict[int, int] = {}
    kept = []
    packed = bytearray()
    for index, view in enumerate(views):
        if index in dropped:
            continue
        start = view.get("byteOffset", 0)
        piece = binary[start:start + view["byteLength"]]
        if view.get("buffer", 0) == 0:
            packed += b"\0" * ((start - len(packed)) % 4)  # the same offset modulo 4 as before
            view = {**view, "byteOffset": len(packed)}
            packed += piece
        new_index[index] = len(kept)
        kept.append(view)
    document["bufferViews"] = kept
    _walk_views(document, new_index.__getitem__)
    packed += b"\0" * (-len(packed) % 4)
    document["buffers"][0]["byteLength"] = len(packed)
    return bytes(packed)
