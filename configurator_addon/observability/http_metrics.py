"""The HTTP request histogram: every request timed, labelled by its route's pattern (as
registered, `/api/v1/jobs/{id}`, never the path with its ids), its method and the status it
was answered with. Outermost middleware, so it sees the answer the client gets."""
from __future__ import annotations

import time

from aiohttp import web

from . import metrics

UNMATCHED = "unmatched"


def route_pattern(request: web.Request) -> str:
    route = request.match_info.route
    resource = getattr(route, "resource", None)
    return resource.canonical if resource is not None else UNMATCHED


@web.middleware
async def http_metrics_middleware(request: web.Request, handler):
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        metrics.http_request(route_pattern(request), request.method, status, time.perf_counter() - started)


def setup_http_metrics(app: web.Application) -> None:
    app.middlewares.insert(0, http_metrics_middleware)
