"""Every request gets an id (taken from `X-Request-Id` when given), carried by its log lines
and its reply, and one access log line with its status and duration."""
from __future__ import annotations

import logging
import time
import uuid

from aiohttp import web

from .. import logs

log = logging.getLogger("configurator.http")


@web.middleware
async def request_context_middleware(request: web.Request, handler):
    rid = request.headers.get("X-Request-Id") or uuid.uuid4().hex
    token = logs.request_id.set(rid)
    started = time.perf_counter()
    try:
        response = await handler(request)
    finally:
        logs.request_id.reset(token)
    if not response.prepared:
        response.headers["X-Request-Id"] = rid
    log.info("request", extra={"method": request.method, "path": request.path, "status": response.status,
                               "ms": round((time.perf_counter() - started) * 1000, 2), "request_id": rid})
    return response


def setup_request_context(app: web.Application) -> None:
    app.middlewares.append(request_context_middleware)
