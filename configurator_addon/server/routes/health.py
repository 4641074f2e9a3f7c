"""Liveness (`/health`) and readiness (`/ready`)."""
from __future__ import annotations

import asyncio

from aiohttp import web

from ...schemas.api import Health, Readiness
from .. import keys
from ..responses import model_response

routes = web.RouteTableDef()


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    """Alive, unless this process's bpy executor is stuck past the job time limit."""
    app = request.app
    executor = app.get(keys.EXECUTOR)
    busy = executor.busy_seconds() if executor is not None else 0.0
    limit = app[keys.SETTINGS].job_timeout_seconds
    if busy > limit:
        body = Health(status="unhealthy", role=app[keys.ROLE], executor_busy_seconds=busy,
                      detail=f"bpy executor busy for {busy:.0f} s, over the {limit:.0f} s job limit")
        return model_response(body, status=503)
    return model_response(Health(status="ok", role=app[keys.ROLE], executor_busy_seconds=busy))


@routes.get("/ready")
async def ready(request: web.Request) -> web.Response:
    database = storage = "ok"
    try:
        await asyncio.wait_for(request.app[keys.RESOURCES].pool.fetchval("SELECT 1"), 2.0)
    except Exception as exc:
        database = f"unavailable: {type(exc).__name__}"
    try:
        await asyncio.wait_for(request.app[keys.RESOURCES].store.check(), 2.0)
    except Exception as exc:
        storage = f"unavailable: {type(exc).__name__}"
    ok = database == storage == "ok"
    body = Readiness(status="ready" if ok else "unavailable", database=database, storage=storage)
    return model_response(body, status=200 if ok else 503)
