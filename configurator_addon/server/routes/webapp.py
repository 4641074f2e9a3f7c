"""The built web configurator (`frontend/dist`) at `/`, with SPA fallback: any other page
path gets `index.html` and the app's router takes over. API, blob and health paths are
never shadowed: they are matched first."""
from __future__ import annotations

import os

from aiohttp import web

from ...errors import NotFoundError
from ...storage import IMMUTABLE_CACHE_CONTROL
from .. import keys

routes = web.RouteTableDef()
RESERVED_PREFIXES = ("/api/", "/blobs/", "/health", "/ready")
HASHED_ASSETS = "/assets/"  # Vite fingerprints these: safe to cache forever
NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>Configurator</title>
<p>The web app is not built yet: run <code>make run</code> (or <code>npm run build</code> in
<code>frontend/</code>). The API is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>"""


@routes.get("/{path:.*}")
async def webapp(request: web.Request) -> web.StreamResponse:
    path = "/" + request.match_info["path"]
    if path.startswith(RESERVED_PREFIXES) or "\x00" in path:
        raise NotFoundError(f"no such resource: {path}")
    root = request.app[keys.SETTINGS].webapp_dir
    index = os.path.join(root, "index.html")
    if not os.path.isfile(index):
        return web.Response(text=NOT_BUILT, content_type="text/html", status=200)
    candidate = os.path.realpath(os.path.join(root, path.lstrip("/")))
    if candidate.startswith(os.path.realpath(root) + os.sep) and os.path.isfile(candidate):
        cache = IMMUTABLE_CACHE_CONTROL if path.startswith(HASHED_ASSETS) else "no-cache"
        return web.FileResponse(candidate, headers={"Cache-Control": cache})
    if os.path.splitext(path)[1]:  # a missing file, not a page of the app
        raise NotFoundError(f"no such file: {path}")
    return web.FileResponse(index, headers={"Cache-Control": "no-cache"})
