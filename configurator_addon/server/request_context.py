"""Every request gets an id (taken from `X-Request-Id` when it is a plausible id), carried by
its log lines and its reply, and one access log line with its status and duration."""
from __future__ import annotations

import logging
import re
import time
import uuid

from aiohttp import web

from .. import logs

log = logging.getLogger("configurator.http")
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # what a proxy or client sends; nothing to inject into logs


@web.middleware
async def request_context_middleware(request: web.Request, handler):
    given = request.headers.get("X-Request-Id", "")
    rid = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
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
