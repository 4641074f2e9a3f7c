"""The app factory: `create_app(settings)` builds the whole HTTP API with no globals, so the
server thread, the API process and tests all start it the same way."""
from __future__ import annotations

import logging
import time
import uuid

import aiohttp_cors
from aiohttp import web

from .. import logs
from ..db.pool import create_pool
from ..services.container import build_services
from ..storage import create_blob_store
from . import keys
from .job_events import JobEventHub
from .openapi import routes as openapi_routes
from .problems import problem_middleware
from .routes import blobs, configurations, health, jobs, products, webapp

log = logging.getLogger("configurator.http")


@web.middleware
async def request_context_middleware(request: web.Request, handler):
    """A request id for every request (taken from X-Request-Id if given), in logs and reply."""
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


def _services_context(settings, inspector):
    async def context(app: web.Application):
        pool = await create_pool(settings.database_url)
        store = create_blob_store(settings)
        services = build_services(settings, pool, store, inspector)
        hub = JobEventHub(settings.database_url)
        await hub.start()
        app[keys.POOL] = pool
        app[keys.STORE] = store
        app[keys.PRODUCTS] = services.products
        app[keys.CONFIGURATIONS] = services.configurations
        app[keys.JOBS] = services.jobs
        app[keys.JOB_EVENTS] = hub
        yield
        await hub.stop()
        await store.close()
        await pool.close()
    return context


def create_app(settings, *, role: str = "api", executor=None, inspector=None) -> web.Application:
    """`settings.database_url` must name a migrated database (`serve` and the GUI's Start Server
    start an embedded one if needed and migrate before they build the app).
    `inspector` inspects uploaded templates (default: a short-lived Blender process each)."""
    app = web.Application(client_max_size=settings.max_upload_bytes,
                          middlewares=[request_context_middleware, problem_middleware])
    app[keys.SETTINGS] = settings
    app[keys.ROLE] = role
    if executor is not None:
        app[keys.EXECUTOR] = executor
    app.cleanup_ctx.append(_services_context(settings, inspector))
    for table in (health.routes, products.routes, configurations.routes, jobs.routes, blobs.routes,
                  openapi_routes, webapp.routes):  # the web app's catch-all last
        app.add_routes(table)
    cors = aiohttp_cors.setup(app, defaults={
        origin: aiohttp_cors.ResourceOptions(allow_headers="*", expose_headers=("Location", "Server-Timing",
                                                                                 "X-Request-Id", "ETag"),
                                             allow_methods="*")
        for origin in settings.cors_origins
    })
    for route in list(app.router.routes()):
        if route.method != "HEAD":
            cors.add(route)
    return app
