"""The app factory: `create_app(settings)` builds the whole HTTP API with no globals, so the
server thread, the API process and tests all start it the same way."""
from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from ..accounts.sessions import Sessions
from ..observability.http_metrics import setup_http_metrics
from ..observability.tracing import setup_tracing
from ..services.resources import open_resources
from ..services.retention import RetentionSweep, sweep_periodically
from . import keys
from .authentication import AUTHENTICATOR, Authenticator, credential, setup_authentication
from .compression import setup_compression
from .cors import setup_cors
from .event_hub import EventHub
from .openapi import routes as openapi_routes
from .problems import setup_problems
from .request_context import setup_request_context
from .routes import (
    api_keys,
    audit,
    auth,
    blobs,
    configurations,
    health,
    jobs,
    product_versions,
    products,
    users,
    webapp,
)
from .security_headers import setup_security_headers


def _resources_context(settings, inspector):
    async def context(app: web.Application):
        async with open_resources(settings, inspector=inspector) as resources:
            hub = EventHub(settings.database_url)
            await hub.start()
            app[keys.RESOURCES] = resources
            app[keys.EVENT_HUB] = hub
            try:
                yield
            finally:
                await hub.stop()
    return context


async def _accounts_context(app: web.Application):
    """Sessions and the credential checks, on the resources' pool."""
    app[AUTHENTICATOR] = Authenticator(Sessions(app[keys.RESOURCES].pool))
    yield


API_ROLES = ("api", "all")


def _retention_context(settings):
    """The retention sweep, every `retention_interval_seconds`, in processes serving the API."""
    async def context(app: web.Application):
        task = None
        if app[keys.ROLE] in API_ROLES:
            sweep = RetentionSweep.from_settings(settings, app[keys.RESOURCES].store)
            task = asyncio.create_task(sweep_periodically(sweep, settings.retention_interval_seconds))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    return context


async def _thumbnail_catch_up_context(app: web.Application):
    """Processes serving the API render the thumbnails that versions still lack, in the
    background (`ProductService.catch_up_thumbnails`; stopped with the resources)."""
    if app[keys.ROLE] in API_ROLES:
        app[keys.RESOURCES].products.catch_up_thumbnails_later()
    yield


def create_app(settings, *, role: str = "api", executor=None, inspector=None) -> web.Application:
    """`settings.database_url` must name a migrated database (`resources.database` makes one).
    `inspector` inspects uploaded templates (default: a short-lived Blender process each)."""
    app = web.Application(client_max_size=settings.max_upload_bytes)
    setup_http_metrics(app)  # outermost: times every request, as answered
    setup_compression(app)
    setup_request_context(app)
    setup_tracing(app, credential)  # a span per request, with its id; off: nothing installed
    setup_problems(app)
    setup_security_headers(app, settings.frame_ancestors)
    setup_authentication(app)
    app[keys.SETTINGS] = settings
    app[keys.ROLE] = role
    if executor is not None:
        app[keys.EXECUTOR] = executor
    app.cleanup_ctx.append(_resources_context(settings, inspector))
    app.cleanup_ctx.append(_accounts_context)
    app.cleanup_ctx.append(_retention_context(settings))  # stopped before the resources close
    app.cleanup_ctx.append(_thumbnail_catch_up_context)
    for table in (health.routes, auth.routes, products.routes, configurations.routes, jobs.routes, blobs.routes,
                  api_keys.routes, audit.routes, users.routes, product_versions.routes,
                  openapi_routes, webapp.routes):  # the web app's catch-all last
        app.add_routes(table)
    setup_cors(app, settings.cors_origins)
    return app
