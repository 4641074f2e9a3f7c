"""Cross-origin access: for the web app when it is served from another origin
(`CORS_ORIGINS`), and, without credentials (no cookies), for any site: a page elsewhere can
then act only with an API key it holds, and a publishable key only from the origins it lists
(authentication.py). Cookies could not come along anyway: they are SameSite=Lax."""
from __future__ import annotations

import aiohttp_cors
from aiohttp import web

from ..errors import ForbiddenError

EXPOSED_HEADERS = ("Location", "Server-Timing", "X-Request-Id", "ETag", "Content-Range", "Accept-Ranges",
                   "Content-Length", "Retry-After")
KEY_HEADERS = ("Authorization", "Content-Type", "Range", "X-Request-Id")  # what a site calling with a key sends


def setup_cors(app: web.Application, origins: tuple[str, ...]) -> None:
    """Call after every route is added: each route gets the rule."""
    defaults = {origin: aiohttp_cors.ResourceOptions(allow_headers="*", expose_headers=EXPOSED_HEADERS,
                                                     allow_methods="*") for origin in origins}
    defaults["*"] = aiohttp_cors.ResourceOptions(allow_headers=KEY_HEADERS, expose_headers=EXPOSED_HEADERS,
                                                 allow_methods="*", allow_credentials=False)
    cors = aiohttp_cors.setup(app, defaults=defaults)
    for route in list(app.router.routes()):
        if route.method != "HEAD":
            cors.add(route)


def require_allowed_origin(request: web.Request, origins: tuple[str, ...]) -> None:
    """For what CORS does not cover (WebSocket handshakes): a page of another site must not
    act with the visitor's credentials. Clients that are not browsers send no `Origin`."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}" and origin not in origins:
        raise ForbiddenError(f"origin {origin!r} may not open this socket")
