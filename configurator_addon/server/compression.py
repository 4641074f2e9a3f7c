"""Compressed answers for clients that ask for them (`Accept-Encoding`).

Three kinds of body, three ways:
- JSON (API answers, problem+json, the OpenAPI document) and the web app's pages are made per
  request: this middleware gzips those of at least `MIN_COMPRESSED_BYTES` on the fly. A
  product with its schema, a page of products or of jobs shrink 4–10×; a tiny body would gain
  nothing and cost a compressor.
- The web app's files are compressed once, at build (`frontend/vite.config.ts` writes `.br`
  and `.gz` beside each): `routes/webapp.py` serves the sibling the client accepts (aiohttp's
  FileResponse picks it), brotli first.
- GLBs (`routes/blobs.py`) are gzipped on the fly (they shrink 75–80%) up to 32 MiB, unless a
  byte range is asked for: ranges count bytes of the identity body, so those stay uncompressed.
Every answer whose body could be compressed says `Vary: Accept-Encoding`, compressed or not,
so a shared cache keeps one copy per encoding.
"""
from __future__ import annotations

from aiohttp import hdrs, web
from aiohttp.web_response import ContentCoding

MIN_COMPRESSED_BYTES = 1024
COMPRESSED_TYPES = frozenset({"application/json", "application/problem+json", "text/html", "text/plain",
                              "application/vnd.oai.openapi+json"})


def accepts(request: web.Request, coding: str) -> bool:
    """Whether `Accept-Encoding` allows `coding` (RFC 9110 §12.5.3: a q of 0 refuses it; `*`
    stands for codings not named)."""
    named: dict[str, float] = {}
    for item in request.headers.get(hdrs.ACCEPT_ENCODING, "").lower().split(","):
        name, _, params = item.strip().partition(";")
        if not name:
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        named[name.strip()] = quality
    if coding in named:
        return named[coding] > 0
    return named.get("*", 0) > 0


def add_vary(response: web.StreamResponse) -> None:
    present = [v.strip().lower() for v in response.headers.get(hdrs.VARY, "").split(",") if v.strip()]
    if "accept-encoding" not in present and "*" not in present:
        response.headers[hdrs.VARY] = ", ".join([*filter(None, [response.headers.get(hdrs.VARY)]), "Accept-Encoding"])


def compress_if_asked(request: web.Request, response: web.StreamResponse) -> None:
    """gzip a made-up (not yet sent) JSON or HTML answer when the client accepts it."""
    if not isinstance(response, web.Response) or response.prepared or isinstance(response, web.FileResponse):
        return
    if response.content_type not in COMPRESSED_TYPES or hdrs.CONTENT_ENCODING in response.headers:
        return
    add_vary(response)
    body = response.body
    if (request.method == "HEAD" or response.status in (204, 304) or not isinstance(body, bytes)
            or len(body) < MIN_COMPRESSED_BYTES):
        return
    if accepts(request, "gzip"):
        response.enable_compression(ContentCoding.gzip)


@web.middleware
async def compression_middleware(request: web.Request, handler) -> web.StreamResponse:
    response = await handler(request)
    compress_if_asked(request, response)
    return response


def setup_compression(app: web.Application) -> None:
    """Outside the problems middleware, so problem+json answers are compressed too."""
    app.middlewares.append(compression_middleware)
