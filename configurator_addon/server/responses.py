"""Writing responses from pydantic models."""
from __future__ import annotations

from aiohttp import web


def model_response(model, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(status=status, text=model.model_dump_json(), content_type="application/json",
                        headers=headers)
