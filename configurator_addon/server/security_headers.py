"""Headers every response carries: no content sniffing, no referrer beyond the origin, no
server version, and a content security policy (scripts and styles from this origin only;
`FRAME_ANCESTORS` says who may embed the web app, unless the response set its own policy: the
embeddable configurator's page names its key's origins)."""
from __future__ import annotations

from aiohttp import web

SERVER_NAME = "Configurator"


def content_security_policy(frame_ancestors: str) -> str:
    # GLBs may come from the storage account's origin (https); thumbnails are blob: images.
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            f"connect-src 'self' https:; object-src 'none'; base-uri 'self'; frame-ancestors {frame_ancestors}")


def setup_security_headers(app: web.Application, frame_ancestors: str) -> None:
    policy = content_security_policy(frame_ancestors)

    async def add_headers(_request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Server"] = SERVER_NAME
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers.setdefault("Content-Security-Policy", policy)

    app.on_response_prepare.append(add_headers)
