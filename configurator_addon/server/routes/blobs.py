"""`/blobs/…`: generated GLBs of the local blob store over HTTP (Azure serves its own URLs).
Templates are a client's property and never served: workers read them from the store."""
from __future__ import annotations

import asyncio
import os

from aiohttp import web

from ...errors import BlobPathError, NotFoundError
from ...storage import IMMUTABLE_CACHE_CONTROL, is_served_blob
from .. import keys

routes = web.RouteTableDef()


@routes.get("/blobs/{path:.+}")
async def get_blob(request: web.Request) -> web.StreamResponse:
    store = request.app[keys.RESOURCES].store
    if not hasattr(store, "local_file_path"):
        raise NotFoundError("blobs are served by the storage service")
    if not is_served_blob(request.match_info["path"]):
        raise NotFoundError("no such blob")
    try:
        path = store.local_file_path(request.match_info["path"])
    except BlobPathError:
        raise NotFoundError("no such blob") from None
    if not os.path.isfile(path):
        raise NotFoundError("no such blob")
    # Paths are content-addressed (cache key or template version), so the name is the entity tag.
    etag = '"' + os.path.splitext(os.path.basename(path))[0] + '"'
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE_CACHE_CONTROL}
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        return web.Response(status=304, headers=headers)
    data = await asyncio.to_thread(_read, path)
    return web.Response(body=data, headers=headers, content_type="model/gltf-binary")


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()
