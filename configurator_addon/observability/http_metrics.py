"""The HTTP request histogram: every request timed, labelled by its route's pattern (as
registered, `/api/v1/jobs/{id}`, never the path with its ids), its method and the status it
was answered with. Outermost middleware, so it sees the answer the client gets."""
from __future__ import annotations

import time

from aiohttp import web

from . import metrics

UNMATCHED = "unmatched"
JOB_SUBMISSION = ("POST", "/api/v1/jobs")


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
        route = route_pattern(request)
        metrics.http_request(route, request.method, status, time.perf_counter() - started)
        # A submission is answered 200 from the result cache, 202 when a job must run (or runs already).
        if (request.method, route) == JOB_SUBMISSION and status in (200, 202):
            metrics.result_cache(hit=status == 200)


def setup_http_metrics(app: web.Application) -> None:
    app.middlewares.insert(0, http_metrics_middleware)
