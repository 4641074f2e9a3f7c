"""Cross-origin access for the web app when it is served from another origin (`CORS_ORIGINS`)."""
from __future__ import annotations

import aiohttp_cors
from aiohttp import web

from ..errors import ForbiddenError

EXPOSED_HEADERS = ("Location", "Server-Timing", "X-Request-Id", "ETag", "Content-Range", "Accept-Ranges",
                   "Content-Length", "Retry-After")


def setup_cors(app: web.Application, origins: tuple[str, ...]) -> None:
    """Call after every route is added: each route gets the rule."""
    cors = aiohttp_cors.setup(app, defaults={
        origin: aiohttp_cors.ResourceOptions(allow_headers="*", expose_headers=EXPOSED_HEADERS, allow_methods="*")
        for origin in origins
    })
    for route in list(app.router.routes()):
        if route.method != "HEAD":
            cors.add(route)


def require_allowed_origin(request: web.Request, origins: tuple[str, ...]) -> None:
    """For what CORS does not cover (WebSocket handshakes): a page of another site must not
    act with the visitor's credentials. Clients that are not browsers send no `Origin`."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}" and origin not in origins:
        raise ForbiddenError(f"origin {origin!r} may not open this socket")
