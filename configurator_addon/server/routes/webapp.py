"""The built web configurator (`frontend/dist`) at `/`, with SPA fallback: any other page
path gets `index.html` and the app's router takes over. API, blob and health paths are
never shadowed: they are matched first.

Pages carry the server's storefront key (`<meta name="configurator-storefront-key">`), which
the app sends while nobody is logged in. `/embed/{product}?key=pk_…` is the configurator
alone, for a client's own website: it carries no key of ours (the page uses the one in its
address) and may be framed only by that key's allowed origins (CSP `frame-ancestors`).
A page asked for without the session cookie says so (`<meta name="configurator-session"
content="none">`): the app then knows at once that nobody is logged in instead of asking
`GET /api/v1/auth/me` for a 401 (a failed request in every anonymous shopper's console, and a
round trip before the first job).

The catalogue (`/`) asked for by such a shopper also names the first product's thumbnail
(`<link rel="preload" as="image" imagesrcset=…>`, the same signed URLs the API will give
within their expiry window): the browser fetches the page's largest image beside the scripts
instead of after them and the product list. A configurator page (`/configure/{id}`, no
configuration in its address) names that product's thumbnails the same way: the app shows
them as the model's poster until the first frame of the model is drawn.

The build writes a brotli (`.br`) and a gzip (`.gz`) copy beside each text asset
(`frontend/vite.config.ts`); aiohttp's FileResponse sends the one the client accepts, with
`Content-Encoding` (brotli first: 15–20% smaller than gzip for our scripts). Such files say
`Vary: Accept-Encoding` whichever copy goes out. Pages are compressed on the fly
(`server/compression.py`)."""
from __future__ import annotations

import html
import logging
import os
import uuid

from aiohttp import web

from ...accounts.api_keys import SELF_ORIGIN
from ...errors import ConfiguratorError, NotFoundError
from ...storage import IMMUTABLE_CACHE_CONTROL
from .. import keys
from ..authentication import AUTHENTICATOR, SESSION_COOKIE
from ..responses import thumbnail_urls
from ..security_headers import content_security_policy

routes = web.RouteTableDef()
log = logging.getLogger("configurator.server")
RESERVED_PREFIXES = ("/api/", "/blobs/", "/health", "/ready", "/metrics")  # /metrics: on METRICS_PORT only
HASHED_ASSETS = "/assets/"  # Vite fingerprints these: safe to cache forever
PRECOMPRESSED_SUFFIXES = (".br", ".gz")
EMBED_PREFIX = "/embed/"
STOREFRONT_META = "configurator-storefront-key"
NO_SESSION_META = '<meta name="configurator-session" content="none" />'
# As the catalogue's <img sizes> (frontend/src/lib/thumbnails.ts CARD_SIZES): the same pick.
CARD_SIZES = "(max-width: 640px) calc(100vw - 32px), 360px"
# As the configurator's poster (frontend/src/components/scene/Poster.tsx POSTER_SIZES).
CONFIGURE_PREFIX = "/configure/"
POSTER_SIZES = "(max-width: 560px) 78vw, 520px"
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
        headers = {"Cache-Control": IMMUTABLE_CACHE_CONTROL if path.startswith(HASHED_ASSETS) else "no-cache"}
        if any(os.path.isfile(candidate + suffix) for suffix in PRECOMPRESSED_SUFFIXES):
            headers["Vary"] = "Accept-Encoding"
        return web.FileResponse(candidate, headers=headers)
    if os.path.splitext(path)[1]:  # a missing file, not a page of the app
        raise NotFoundError(f"no such file: {path}")
    return await _page(request, index, path)


async def _page(request: web.Request, index: str, path: str) -> web.Response:
    page, headers = _read_index(index), {"Cache-Control": "no-cache"}
    authenticator = request.app[AUTHENTICATOR]
    if path.startswith(EMBED_PREFIX):
        row = await authenticator.key_row(request.query.get("key", ""))
        usable = row is not None and row["kind"] == "publishable" and not row["revoked"] and not row["client_disabled"]
        ancestors = " ".join("'self'" if origin == SELF_ORIGIN else origin
                             for origin in row["allowed_origins"]) if usable else "'none'"
        headers["Content-Security-Policy"] = content_security_policy(ancestors or "'none'")
    else:
        anonymous = not request.cookies.get(SESSION_COOKIE)
        metas = [NO_SESSION_META] if anonymous else []
        if key := await authenticator.storefront_key():
            metas.append(f'<meta name="{STOREFRONT_META}" content="{html.escape(key)}" />')
            if anonymous and path == "/":
                metas.extend(await _thumbnail_preload(request, key, None, CARD_SIZES))
            elif anonymous and path.startswith(CONFIGURE_PREFIX) and "c" not in request.query:
                if (product_id := _uuid_or_none(path[len(CONFIGURE_PREFIX):])) is not None:
                    metas.extend(await _thumbnail_preload(request, key, product_id, POSTER_SIZES))
        if metas:
            page = page.replace("</head>", "\n".join(metas) + "\n</head>", 1)
    return web.Response(text=page, content_type="text/html", headers=headers)


async def _thumbnail_preload(request: web.Request, key: str, product_id: uuid.UUID | None, sizes: str) -> list[str]:
    """The preload link of the thumbnails of the storefront's `product_id` (None: its first
    product), if it has any, for an image of `sizes`."""
    row = await request.app[AUTHENTICATOR].key_row(key)
    if row is None or row["revoked"] or row["client_disabled"]:
        return []
    resources = request.app[keys.RESOURCES]
    try:
        if product_id is None:
            products, _ = await resources.products.list(row["client_id"], 1, 0)
            thumbnails = products[0]["thumbnails"] if products else None
        else:
            thumbnails = (await resources.products.get(row["client_id"], product_id))["thumbnails"]
        if not thumbnails:
            return []
        candidates = [f"{t['url']} {t['width']}w"
                      for t in sorted(await thumbnail_urls(request, thumbnails), key=lambda t: t["width"])]
    except NotFoundError:  # another client's product, or none: the app says so
        return []
    except ConfiguratorError as exc:  # the page goes out without it
        log.warning("no thumbnail preload for %s: %s", request.path, exc)
        return []
    return [f'<link rel="preload" as="image" imagesrcset="{html.escape(", ".join(candidates))}" '
            f'imagesizes="{sizes}" fetchpriority="high" />']


def _uuid_or_none(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


_INDEX_CACHE: dict[str, tuple[float, str]] = {}


def _read_index(index: str) -> str:
    """index.html, read again only when the build replaced it."""
    modified = os.stat(index).st_mtime
    cached = _INDEX_CACHE.get(index)
    if cached is None or cached[0] != modified:
        with open(index, encoding="utf-8") as handle:
            cached = _INDEX_CACHE[index] = (modified, handle.read())
    return cached[1]
