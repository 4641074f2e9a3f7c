"""Cross-origin access for the web app when it is served from another origin (`CORS_ORIGINS`)."""
from __future__ import annotations

import aiohttp_cors
from aiohttp import web

EXPOSED_HEADERS = ("Location", "Server-Timing", "X-Request-Id", "ETag")


def setup_cors(app: web.Application, origins: tuple[str, ...]) -> None:
    """Call after every route is added: each route gets the rule."""
    cors = aiohttp_cors.setup(app, defaults={
        origin: aiohttp_cors.ResourceOptions(allow_headers="*", expose_headers=EXPOSED_HEADERS, allow_methods="*")
        for origin in origins
    })
    for route in list(app.router.routes()):
        if route.method != "HEAD":
            cors.add(route)
