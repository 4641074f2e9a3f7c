"""Textures of generated GLBs as blobs of their own: stored once per client, shared by every
GLB that uses them, served as immutable images (`routes/blobs.py`).

`store_textures` runs in the worker after the export: each embedded image becomes the blob
`{client}/textures/{sha256}.{ext}` and the GLB that is stored names it by the URI
`../textures/{sha256}.{ext}?{store.lasting_query(path)}`, relative to the GLB's own URL
(`{client}/glb/{key}.glb`, on this server's `/blobs/` or on Azure alike), so it resolves
wherever the GLB is served from without the GLB naming a host. The cache key of a result is
unchanged: the GLB stays the unit of caching, its textures follow it.

A texture is written again with a GLB that uses it, although its bytes are the same, unless
this worker wrote it less than `RECENT_WRITE_SECONDS` ago (`RecentTextureWrites`): the write
refreshes its last-modified time, which the retention sweep's grace period and its
conditional delete rely on (`services/retention.py`), so a texture a GLB is being stored with
is never collected. Skipping a recent one is as safe: the sweep deletes only textures written
more than G (`BLOB_GRACE_HOURS`, at least `MIN_BLOB_GRACE_HOURS` on every host) before its
listing began, and the GLB is stored seconds after the decision, well inside G minus the
window. A GLB stored later than the window after it (a long storage outage) has its textures
written again at once (`jobs/worker.py`).

`embedded_glb` is the other way: the stored GLB with its textures embedded again, the
self-contained file *Download GLB* gives. Only textures in the GLB's own client's folder are
ever read for it, so a GLB can never pull another client's blobs in.
"""
from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable

from ..engine import glb_textures
from ..engine.glb import split_glb
from ..errors import BlobNotFoundError, StorageError
from .blob_store import BlobStore, texture_blob_path

TEXTURE_FOLDER = "../textures/"
# How long a texture this worker wrote is taken as freshly written (module docstring). Every
# sweeping host's grace (at least MIN_BLOB_GRACE_HOURS) is far longer.
RECENT_WRITE_SECONDS = 600.0
_URI = re.compile(r"\.\./textures/(?P<name>[A-Za-z0-9_-]+\.[a-z]+)(?:\?.*)?")


class RecentTextureWrites:
    """The texture blobs one worker wrote within the last `window` seconds (by its own clock)."""

    def __init__(self, window: float = RECENT_WRITE_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.window = window
        self.clock = clock
        self._written: dict[str, float] = {}

    def fresh(self, path: str) -> bool:
        written = self._written.get(path)
        return written is not None and self.clock() - written < self.window

    def wrote(self, path: str) -> None:
        now = self.clock()
        self._written = {p: t for p, t in self._written.items() if now - t < self.window}  # forget the stale
        self._written[path] = now


async def store_textures(store: BlobStore, client_id: object, glb: bytes,
                         recent: RecentTextureWrites | None = None) -> tuple[bytes, list[str]]:
    """Store the GLB's embedded images as `client_id`'s texture blobs, except those `recent`
    says were written lately; the GLB that refers to them instead, and their blob paths. A
    GLB without images comes back as it was."""
    textures = glb_textures.embedded_textures(glb)
    if not textures:
        return glb, []

    async def stored(texture) -> tuple[str, str]:
        path = texture_blob_path(client_id, texture.digest, texture.extension)
        query = await store.lasting_query(path)
        if recent is None or not recent.fresh(path):
            await store.put(path, texture.data, texture.mime_type)
            if recent is not None:
                recent.wrote(path)
        return path, f"{TEXTURE_FOLDER}{path.rsplit('/', 1)[1]}" + (f"?{query}" if query else "")

    # All at once: on Azure each write is a round trip, and a GLB holds several textures.
    written = await asyncio.gather(*(stored(texture) for texture in textures))
    uris = {texture.digest: uri for texture, (_, uri) in zip(textures, written, strict=True)}
    split, _ = glb_textures.externalize(glb, lambda texture: uris[texture.digest])
    return split, [path for path, _ in written]


def referenced_textures(glb_path: str, document: dict) -> list[str]:
    """The texture blobs a stored GLB (at `glb_path`, its JSON `document`) refers to: only
    those in its own client's folder (a URI of any other shape names no blob of ours)."""
    paths = [_texture_path(glb_path, uri) for uri in glb_textures.image_uris(document)]
    return [path for path in paths if path is not None]


async def embedded_glb(store: BlobStore, glb_path: str) -> bytes:
    """The stored GLB at `glb_path` with its textures embedded again: self-contained.
    Raises `BlobNotFoundError` if the GLB is gone, `StorageError` if a texture is."""
    glb = await store.get(glb_path)
    document, _ = split_glb(glb)
    uris = glb_textures.image_uris(document)
    if not uris:
        return glb
    contents = {}
    for uri in uris:
        path = _texture_path(glb_path, uri)
        if path is None:
            raise StorageError(f"{glb_path} names an image {uri!r} that is not one of its client's textures")
        try:
            contents[uri] = await store.get(path)
        except BlobNotFoundError as exc:
            raise StorageError(f"texture {path} of {glb_path} is missing") from exc
    return glb_textures.embed(glb, contents.__getitem__)


def _texture_path(glb_path: str, uri: str) -> str | None:
    """The blob a texture URI of the GLB at `glb_path` names, in that GLB's client's folder;
    None for a URI of any other shape."""
    match = _URI.fullmatch(uri)
    return None if match is None else f"{glb_path.split('/', 1)[0]}/textures/{match['name']}"
