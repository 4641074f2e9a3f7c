"""Liveness (`/health`) and readiness (`/ready`), and the drain that a SIGTERM starts.

A process serving the API is stopped by its platform with SIGTERM while a load balancer may
still send it requests: it learns that the replica is going only from `/ready`. So the process
first drains (`drain`): `/ready` answers 503 for DRAIN_SECONDS, long enough for the readiness
probe to take the replica out of rotation, while every other route keeps answering; only then
does the listener close (docs/deploy.md, "Rollout and drain"). `/health` stays 200 throughout:
a draining process is alive, and a failed liveness probe would have it killed mid-request.
"""
from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from ...schemas.api import Health, Readiness
from .. import keys
from ..responses import model_response

routes = web.RouteTableDef()
log = logging.getLogger("configurator.serve")

# Set once the process has been asked to stop; made before the app starts (`drainable`).
DRAINING = web.AppKey("draining", asyncio.Event)


def drainable(app: web.Application) -> web.Application:
    """Give `app` the drain state `/ready` reads (before it starts: a started app is frozen)."""
    app[DRAINING] = asyncio.Event()
    return app


async def drain(app: web.Application, seconds: float) -> None:
    """From now on `/ready` answers 503; wait `seconds` for the probes to notice, then return
    (the caller closes the listener, which lets requests in flight finish)."""
    app[DRAINING].set()
    log.info("draining", extra={"seconds": seconds})
    await asyncio.sleep(seconds)


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
    """Ready when the database and the store answer, and the process is not draining (503 then,
    whatever they say)."""
    database = storage = "ok"
    try:
        await asyncio.wait_for(request.app[keys.RESOURCES].pool.fetchval("SELECT 1"), 2.0)
    except Exception as exc:
        database = f"unavailable: {type(exc).__name__}"
    try:
        await asyncio.wait_for(request.app[keys.RESOURCES].store.check(), 2.0)
    except Exception as exc:
        storage = f"unavailable: {type(exc).__name__}"
    draining = request.app.get(DRAINING)
    ok = database == storage == "ok" and not (draining is not None and draining.is_set())
    body = Readiness(status="ready" if ok else "unavailable", database=database, storage=storage)
    return model_response(body, status=200 if ok else 503)
