"""`/blobs/…`: generated GLBs and catalogue thumbnails over HTTP, from either blob store (the
web app's own server for the local store; Azure also serves its own URLs). Templates are a
client's property and never served: workers read them from the store.

Every URL is signed and expires (`storage.signing`): `?expires=<unix seconds>&signature=…`
as `store.url()` made it. After the path's shape (a GLB's, else 404: templates never go
out), the signature is checked, in constant time, before the store is touched: a missing,
malformed or altered one is 403 `URL_SIGNATURE_INVALID`, an expired one 403 `URL_EXPIRED`,
and only then is a blob that does not exist 404, so paths cannot be probed without a URL
the API handed out. The Azure store's blobs are served here under the same signature.

`Cache-Control` stays long-lived and public for a signed URL: the URL itself expires (a
browser that needs the blob again after that asks the API and gets a new URL), and a copy
cached meanwhile holds bytes that never change and that its holder was given anyway. The
same blob asked for within one expiry window gets the same URL, so that cache is used.

A GLB is sent, never read whole into memory: from the local store with sendfile, from Azure
as a stream of ranged downloads. Both stores answer alike:
- `ETag` is the blob's name (its path is content-addressed, so the name is a strong
  validator) and `Cache-Control` says immutable; `If-None-Match` gives 304.
- `Range` (RFC 9110 §14): one byte range, `bytes=a-b`, `bytes=a-` or `bytes=-n`, gives 206
  with `Content-Range`; a range that starts at or past the end (or `bytes=-0`, or any range
  of an empty blob) gives 416 with `Content-Range: bytes */size`. A request for several
  ranges, a unit other than bytes or a malformed header is answered with the whole GLB
  (200), as RFC 9110 allows a server to ignore `Range`. `If-Range` with the blob's ETag
  keeps the range; anything else (another ETag, a date) gets the whole GLB.
- `Accept-Ranges: bytes` on every answer with a body; HEAD answers with the same headers.
- Compression (`server/compression.py`): a GLB asked for whole by a client that accepts gzip
  is gzipped on the fly (75–80% smaller) up to `MAX_GZIPPED_BYTES` (past that the API's CPU
  would go to one download for seconds; such models should be Draco-compressed anyway),
  with its own entity tag (`"<name>-gzip"`: another representation, RFC 9110 §8.8.3) and no
  length; a range request gets identity bytes (ranges count those). Every GLB answer says
  `Vary: Accept-Encoding`. Thumbnails and textures are WebP or PNG, compressed already: sent
  as they are.

Textures (`{client}/textures/{sha256}.{ext}`, `storage/textures.py`) are what generated GLBs
name by relative URI: their signature never expires (a stored GLB is cached for good, its
texture URIs with it) and a texture without the signature of its path is 404, like one that
does not exist. `?embedded=1` on a GLB's signed URL gives it with its textures embedded
again: the self-contained download. Where
  the Azure store hands out its own URLs the browser reads from the storage account, which
  sends the bytes as stored (no compression there; a CDN in front of the account, or storing
  GLBs gzipped with their Content-Encoding, would be the way).
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import stat
from collections.abc import AsyncIterator
from typing import BinaryIO

from aiohttp import web
from aiohttp.web_response import ContentCoding

from ... import logs
from ...errors import BlobNotFoundError, BlobPathError, BlobUrlSignatureInvalid, NotFoundError, RangeNotSatisfiable
from ...storage import (
    IMMUTABLE_CACHE_CONTROL,
    is_served_blob,
    is_texture_blob,
    served_content_type,
    validate_blob_path,
)
from ...storage.blob_store import STREAM_CHUNK_BYTES
from ...storage.textures import embedded_glb
from .. import keys
from ..compression import accepts
from ..problems import problem_response

routes = web.RouteTableDef()
log = logging.getLogger("configurator.server")

_RANGE_SPEC = re.compile(r"([0-9]*)-([0-9]*)")
MIN_GZIPPED_BYTES = 1024
MAX_GZIPPED_BYTES = 32 << 20


class Unsatisfiable:
    """The answer to a byte range that lies wholly past the blob's end."""


UNSATISFIABLE = Unsatisfiable()


def requested_range(header: str | None, size: int) -> tuple[int, int] | Unsatisfiable | None:
    """The `[start, end)` slice a `Range` header asks of a blob of `size` bytes, `UNSATISFIABLE`,
    or None when the whole blob is to be sent (no header, several ranges, not understood)."""
    if header is None:
        return None
    unit, equals, specs = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return None
    ranges = [spec.strip() for spec in specs.split(",") if spec.strip()]
    if len(ranges) != 1:
        return None
    match = _RANGE_SPEC.fullmatch(ranges[0])
    if match is None or not (match[1] or match[2]):
        return None
    try:
        first = int(match[1]) if match[1] else None
        last = int(match[2]) if match[2] else None
    except ValueError:  # more digits than Python converts: no such blob size anyway
        return None
    if first is None:  # a suffix: the last `last` bytes
        if last == 0 or size == 0:
            return UNSATISFIABLE
        return max(0, size - last), size
    if last is not None and last < first:
        return None  # not a valid range: ignored
    if first >= size:
        return UNSATISFIABLE
    return first, size if last is None else min(last + 1, size)


@routes.get("/blobs/{path:.+}")
async def get_blob(request: web.Request) -> web.StreamResponse:
    store = request.app[keys.RESOURCES].store
    path = request.match_info["path"]
    if not is_served_blob(path):
        raise NotFoundError("no such blob")
    try:
        validate_blob_path(path)
    except BlobPathError:
        raise NotFoundError("no such blob") from None
    if is_texture_blob(path):
        await _verify_lasting_signature(request, store, path)
    else:
        await _verify_signature(request, store, path)
    if path.endswith(".glb") and request.query.get("embedded") == "1":
        return await _embedded_answer(request, store, path)
    try:
        local_path = store.local_file_path(path) if hasattr(store, "local_file_path") else None
    except BlobPathError:
        raise NotFoundError("no such blob") from None

    handle: BinaryIO | None = None
    if local_path is not None:
        opened = await asyncio.to_thread(_open_regular_file, local_path)
        if opened is None:
            raise NotFoundError("no such blob")
        handle, size = opened
    else:
        try:
            size = await store.size(path)
        except BlobNotFoundError:
            raise NotFoundError("no such blob") from None
    try:
        return await _answer(request, store, path, handle, size)
    finally:
        if handle is not None:
            await asyncio.to_thread(handle.close)


async def _verify_signature(request: web.Request, store, path: str) -> None:
    signer = getattr(store, "url_signer", None)
    if signer is None:
        raise BlobUrlSignatureInvalid("this server hands out no URLs of its own for this store's blobs")
    expires, signature = (request.query.getall(name, []) for name in ("expires", "signature"))
    # Exactly one of each: with two, which one the signature was checked against would be a guess.
    await signer.verify(path, expires[0] if len(expires) == 1 else None,
                        signature[0] if len(signature) == 1 else None)


async def _verify_lasting_signature(request: web.Request, store, path: str) -> None:
    """A texture's URL carries a signature without expiry (`storage/textures.py`); without
    the one made for its path it is 404, as a texture that does not exist: a digest (another
    client's, or of an image one holds) cannot be probed."""
    signer = getattr(store, "url_signer", None)
    signature = request.query.getall("signature", [])
    if signer is None or len(signature) != 1 or not await signer.verify_lasting(path, signature[0]):
        raise NotFoundError("no such blob")


async def _embedded_answer(request: web.Request, store, path: str) -> web.Response:
    """The GLB with its textures embedded (`?embedded=1`): the self-contained file to
    download. Made from the blobs on each request, whole in memory (the API's GLBs are
    bounded by the job limits); immutable like its parts, under an entity tag of its own."""
    name = path.rsplit("/", 1)[1].rpartition(".")[0]
    etag = f'"{name}-embedded"'
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE_CACHE_CONTROL,
               "Content-Disposition": f'attachment; filename="{name[:12]}.glb"'}
    if _none_match(request, f"{name}-embedded"):
        return web.Response(status=304, headers=headers)
    try:
        body = await embedded_glb(store, path)
    except BlobNotFoundError:
        raise NotFoundError("no such blob") from None
    return web.Response(body=b"" if request.method == "HEAD" else body, headers=headers,
                        content_type=served_content_type(path))


async def _answer(request: web.Request, store, path: str, handle: BinaryIO | None, size: int) -> web.StreamResponse:
    # Paths are content-addressed (result cache key, image digest), so the name is the entity tag.
    name = path.rsplit("/", 1)[1].rpartition(".")[0]
    glb = path.endswith(".glb")
    etag = f'"{name}"'
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE_CACHE_CONTROL}
    if glb:
        headers["Vary"] = "Accept-Encoding"
    wanted = requested_range(request.headers.get("Range"), size)
    if wanted is not None and request.headers.get("If-Range", etag).strip() != etag:
        wanted = None  # the client's partial copy is of something else: send it all
    gzipped = (glb and wanted is None and MIN_GZIPPED_BYTES <= size <= MAX_GZIPPED_BYTES
               and accepts(request, "gzip"))
    if gzipped:
        name = f"{name}-gzip"
        headers["ETag"] = f'"{name}"'
    if _none_match(request, name):
        return web.Response(status=304, headers=headers)

    headers["Accept-Ranges"] = "bytes"
    if isinstance(wanted, Unsatisfiable):
        error = RangeNotSatisfiable(f"the blob has {size} bytes; the range asked for lies past its end")
        response = problem_response(error, request.path)
        response.headers.update({"Accept-Ranges": "bytes", "Content-Range": f"bytes */{size}"})
        return response
    start, end = wanted if wanted is not None else (0, size)
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"

    pieces = None
    first = b""
    sending_body = request.method != "HEAD" and end > start
    if handle is None and sending_body:
        # The first piece before the status line, so a blob gone meanwhile is still a 404.
        pieces = store.stream(path, start, end - start)
        try:
            first = await anext(pieces)
        except BaseException as exc:
            await pieces.aclose()
            if isinstance(exc, BlobNotFoundError):
                raise NotFoundError("no such blob") from None
            raise

    if (request_id := logs.request_id.get()) is not None:
        headers["X-Request-Id"] = request_id  # sent before the request middleware sees the response
    response = web.StreamResponse(status=206 if wanted is not None else 200, headers=headers)
    response.content_type = served_content_type(path)
    if gzipped:
        response.enable_compression(ContentCoding.gzip)
    else:
        response.content_length = end - start
    try:
        await response.prepare(request)
        if sending_body:
            if handle is not None:
                await _send_file(request, response, handle, start, end - start, use_sendfile=not gzipped)
            else:
                await _send_pieces(response, first, pieces)
        await response.write_eof()
    except ConnectionError:
        pass  # the client went away
    except Exception as exc:  # the status line is out: all that is left is to cut the body short
        log.warning("sending blob %s failed: %s: %s", path, type(exc).__name__, exc, extra={"path": request.path})
        if request.transport is not None:
            request.transport.close()
    finally:
        if pieces is not None:
            await pieces.aclose()
    return response


def _none_match(request: web.Request, name: str) -> bool:
    tags = request.if_none_match  # weak comparison (RFC 9110 §13.1.2): W/"x" matches "x"
    return tags is not None and any(tag.value in (name, "*") for tag in tags)


def _open_regular_file(path: str) -> tuple[BinaryIO, int] | None:
    """The file open for reading and its size; None if it is missing or not a regular file."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the caller, after sending
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    status = os.fstat(handle.fileno())
    if not stat.S_ISREG(status.st_mode):
        handle.close()
        return None
    return handle, status.st_size


async def _send_file(request: web.Request, response: web.StreamResponse, handle: BinaryIO,
                     offset: int, count: int, *, use_sendfile: bool = True) -> None:
    """The file's bytes: by sendfile when they go out as they are, else through the response
    (which compresses them)."""
    transport = request.transport
    if transport is None:
        raise ConnectionResetError("the client went away")
    if use_sendfile:
        try:
            await asyncio.get_running_loop().sendfile(transport, handle, offset, count)
            return
        except NotImplementedError:
            pass  # no sendfile for this transport: read the file piece by piece
    await asyncio.to_thread(handle.seek, offset)
    while count > 0:
        piece = await asyncio.to_thread(handle.read, min(STREAM_CHUNK_BYTES, count))
        if not piece:
            raise OSError("the file ended before its size")
        count -= len(piece)
        await response.write(piece)


async def _send_pieces(response: web.StreamResponse, first: bytes, pieces: AsyncIterator[bytes]) -> None:
    await response.write(first)
    async for piece in pieces:
        await response.write(piece)
