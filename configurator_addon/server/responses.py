"""Writing responses from pydantic models, and the parts of bodies several routes share."""
from __future__ import annotations

from aiohttp import web

from . import keys


def model_response(model, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(status=status, text=model.model_dump_json(), content_type="application/json",
                        headers=headers)


async def thumbnail_urls(request: web.Request, made: list[dict] | None) -> list[dict] | None:
    """Recorded thumbnails (a product version's or a saved configuration's) as a body gives
    them: each at its signed URL; None until they are rendered."""
    if made is None:
        return None
    store, base_url = request.app[keys.RESOURCES].store, request.app[keys.SETTINGS].public_base_url
    return [{**{k: t[k] for k in ("width", "height", "content_type")}, "url": await store.url(t["blob_path"], base_url)}
            for t in made]
