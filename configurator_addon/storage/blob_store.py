"""The `BlobStore` protocol every storage backend implements, and the blob path rules.

Blob paths are client-prefixed (`{client_id}/templates/...`, `{client_id}/glb/...`) and are
checked by `validate_blob_path` before any backend touches them: they end up as file names
(local store) and URL paths (Azure), so only a small, safe alphabet is accepted.

Stores also list their blobs with last-modified times (`list_blobs`) and delete blobs,
optionally only if unchanged since a listing (`delete(..., if_unmodified_since=...)`): the
retention sweep (`services/retention.py`) collects unreferenced GLBs that way.

Large blobs are read in pieces: `size` then `stream(path, offset, length)`, so serving a
GLB (`/blobs/...`, byte ranges included) never holds a whole blob in memory.
"""
from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import NamedTuple, Protocol, runtime_checkable

from ..errors import BlobPathError

MAX_BLOB_PATH_LENGTH = 1024
# Blob paths name their content (template version, result cache key): cache them for good.
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
GLB_CONTENT_TYPE = "model/gltf-binary"
# A generated result is a GLB or a USDZ for AR: AR Quick Look wants the .usdz name and type.
RESULT_CONTENT_TYPES = {"glb": GLB_CONTENT_TYPE, "usdz": "model/vnd.usdz+zip"}
# Catalogue thumbnails rendered on the server (services/products.py): what browsers may fetch
# besides GLBs, and the type each is served as.
THUMBNAIL_CONTENT_TYPES = {"webp": "image/webp", "png": "image/png"}
# Textures taken out of generated GLBs (`storage/textures.py`), by the name they are stored under.
TEXTURE_CONTENT_TYPES = {"webp": "image/webp", "png": "image/png", "jpg": "image/jpeg"}
# The folders of a client whose blobs browsers fetch, and the media types each holds.
_SERVED_FOLDERS = {"glb": RESULT_CONTENT_TYPES, "thumbnails": THUMBNAIL_CONTENT_TYPES,
                   "textures": TEXTURE_CONTENT_TYPES}
# The largest piece `stream` yields: what one reader of a blob holds in memory at a time.
STREAM_CHUNK_BYTES = 1024 * 1024

_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")


def _validate_segment(segment: str, path: str) -> None:
    if not _SEGMENT.fullmatch(segment) or segment in (".", ".."):
        raise BlobPathError(
            f"invalid blob path {path!r}: each '/'-separated segment must be non-empty, "
            "use only A-Z a-z 0-9 . _ - and not be '.' or '..'"
        )


def validate_blob_path(path: str) -> str:
    """Return `path` unchanged if it is a safe blob path, else raise `BlobPathError`."""
    if not isinstance(path, str):
        raise BlobPathError(f"blob path must be a string, not {type(path).__name__}")
    if not path:
        raise BlobPathError("blob path must not be empty")
    if len(path) > MAX_BLOB_PATH_LENGTH:
        raise BlobPathError(f"blob path is longer than {MAX_BLOB_PATH_LENGTH} characters")
    for segment in path.split("/"):
        _validate_segment(segment, path)
    return path


def validate_blob_prefix(prefix: str) -> str:
    """Return `prefix` unchanged if it can start blob paths ("" for all, "acme/glb/" or "acme/gl"),
    else raise `BlobPathError`: every complete segment must be valid, the last may be partial."""
    if not isinstance(prefix, str):
        raise BlobPathError(f"blob prefix must be a string, not {type(prefix).__name__}")
    if len(prefix) > MAX_BLOB_PATH_LENGTH:
        raise BlobPathError(f"blob prefix is longer than {MAX_BLOB_PATH_LENGTH} characters")
    *complete, partial = prefix.split("/")
    for segment in complete:
        _validate_segment(segment, prefix)
    if partial and not _SEGMENT.fullmatch(partial):
        raise BlobPathError(f"invalid blob prefix {prefix!r}: only A-Z a-z 0-9 . _ - and '/' are allowed")
    return prefix


class BlobInfo(NamedTuple):
    """One listed blob: its path and when it was last written (an aware UTC datetime)."""

    path: str
    last_modified: datetime


def _single_segment(value: object, what: str) -> str:
    text = str(value)
    # A component containing '/' would let one client's id reach into another's namespace.
    if "/" in text:
        raise BlobPathError(f"{what} {text!r} must not contain '/'")
    _validate_segment(text, text)
    return text


def template_blob_path(client_id: object, product_id: object, template_version: object) -> str:
    """Where a product's template `.blend` of one version is stored."""
    client = _single_segment(client_id, "client_id")
    product = _single_segment(product_id, "product_id")
    version = _single_segment(template_version, "template_version")
    return validate_blob_path(f"{client}/templates/{product}/{version}.blend")


def _served_types(path: str) -> dict[str, str] | None:
    """The media types by extension of the served folder `path` is in, None if it is in none."""
    parts = path.split("/")
    return _SERVED_FOLDERS.get(parts[1]) if len(parts) == 3 else None


def is_served_blob(path: str) -> bool:
    """Whether browsers may fetch the blob: generated GLBs and USDZs, their textures and
    thumbnails, never templates."""
    types = _served_types(path)
    return types is not None and path.rpartition(".")[2] in types


def served_content_type(path: str) -> str:
    """The media type a served blob (`is_served_blob`) goes out as."""
    return _served_types(path)[path.rpartition(".")[2]]


def thumbnail_blob_path(client_id: object, digest: object, extension: str) -> str:
    """Where a thumbnail image is stored, named by its content's digest (so never rewritten
    with other bytes, and cacheable for good)."""
    client = _single_segment(client_id, "client_id")
    name = _single_segment(digest, "digest")
    if extension not in THUMBNAIL_CONTENT_TYPES:
        raise BlobPathError(f"thumbnails are {', '.join(THUMBNAIL_CONTENT_TYPES)}, not {extension!r}")
    return validate_blob_path(f"{client}/thumbnails/{name}.{extension}")


def texture_blob_path(client_id: object, digest: object, extension: str) -> str:
    """Where a texture of a client's generated GLBs is stored, named by the sha256 of its
    bytes: the same image in any number of GLBs is one blob, never rewritten with other bytes."""
    client = _single_segment(client_id, "client_id")
    name = _single_segment(digest, "digest")
    if extension not in TEXTURE_CONTENT_TYPES:
        raise BlobPathError(f"textures are {', '.join(TEXTURE_CONTENT_TYPES)}, not {extension!r}")
    return validate_blob_path(f"{client}/textures/{name}.{extension}")


def is_texture_blob(path: str) -> bool:
    """Whether `path` names a texture (`texture_blob_path`)."""
    return is_served_blob(path) and path.split("/")[1] == "textures"


def glb_blob_path(client_id: object, cache_key: object, file_format: str = "glb") -> str:
    """Where a generated GLB (or USDZ: `file_format` "usdz") is stored, keyed by its result
    cache key."""
    client = _single_segment(client_id, "client_id")
    key = _single_segment(cache_key, "cache_key")
    if file_format not in RESULT_CONTENT_TYPES:
        raise BlobPathError(f"results are {', '.join(RESULT_CONTENT_TYPES)}, not {file_format!r}")
    return validate_blob_path(f"{client}/glb/{key}.{file_format}")


@runtime_checkable
class BlobStore(Protocol):
    """Byte blobs under validated paths. Every method raises `BlobPathError` for an invalid
    path and `StorageError` when the backend fails or cannot be reached."""

    async def put(self, path: str, data: bytes, content_type: str) -> None:
        """Store `data` at `path`, replacing any existing blob."""

    async def get(self, path: str) -> bytes:
        """Return the blob's bytes; raise `BlobNotFoundError` if there is none."""

    async def exists(self, path: str) -> bool:
        """Whether a blob exists at `path`."""

    async def size(self, path: str) -> int:
        """The blob's length in bytes; raise `BlobNotFoundError` if there is none."""

    def stream(self, path: str, offset: int = 0, length: int | None = None) -> AsyncIterator[bytes]:
        """The blob's bytes from `offset` on, `length` of them (None: to the end), in pieces
        of at most `STREAM_CHUNK_BYTES`. Raises `BlobNotFoundError` if there is no blob and
        `StorageError` if the blob ends before `offset + length`."""

    async def delete(self, path: str, *, if_unmodified_since: datetime | None = None) -> bool:
        """Remove the blob at `path`; return whether a blob was removed. Deleting a missing
        blob is not an error (False). With `if_unmodified_since` (a `last_modified` from
        `list_blobs`), a blob written again after that time is left alone (False)."""

    def list_blobs(self, prefix: str = "") -> AsyncIterator[BlobInfo]:
        """The blobs whose paths start with `prefix` (`validate_blob_prefix`), each once, with
        its last-modified time; in path order where the backend keeps one. Blobs written or
        deleted while the listing runs may or may not appear."""

    async def url(self, path: str, base_url: str | None = None) -> str:
        """Where a browser fetches the blob. `base_url` is this server's public address,
        used only by stores that the server itself serves."""

    async def lasting_query(self, path: str) -> str:
        """The query (without `?`) that lets a browser read blob `path` at the store's own
        address for as long as the blob exists ("" where blobs are public): what a stored GLB
        appends to the relative URIs of its textures, which must outlive any expiring URL."""

    async def check(self) -> None:
        """Readiness probe: raise `StorageError` if the store cannot be used."""

    async def close(self) -> None:
        """Release connections; the store must not be used afterwards."""
