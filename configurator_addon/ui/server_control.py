"""Run the configurator server inside Blender's GUI: the API and a worker in this Blender, the
Blender work drained on the main thread by a persistent timer. For artists who want to try a
template through the real web configurator without a separate server.

Starting it also makes sure the demo client has the server's storefront key (so the web app
at `/` works without logging in) and issues an admin secret key for the live link
(`ui/live_link.py`), named "Live link". That key's plaintext lives in this module only, for
as long as this server runs: never in the .blend or the preferences. Stopping the server
revokes it (one left by a Blender that ended without stopping cannot be used by anyone: only
its hash is stored; an admin may revoke it in the web admin area).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging

import bpy

from . import online_access

log = logging.getLogger("configurator.serve")
LIVE_LINK_KEY_NAME = "Live link"

# The server's own dependencies (aiohttp, asyncpg…) are imported only when it starts, so the
# authoring tool works in a Blender that lacks them.


class _RunningServer:
    def __init__(self, server, executor, database):
        self.server = server
        self.executor = executor
        self.database = database  # closing it stops an embedded PostgreSQL
        self.live_link_key: str | None = None  # sk_…, this session only
        self.live_link_key_id: str | None = None
        self.storefront_key: str | None = None

    def drain(self) -> float:
        return self.executor.drain()


class _LeavesNoTrace:
    """The worker's engine, in the artist's own Blender: it appends each template it
    generates into the open file's data (`engine/blender/loading.py`), and keeps it there
    warm between jobs. Here every job unloads what it appended before it returns, on the
    main thread, so between jobs the open file holds only the artist's own data: the
    sidebar sees one product collection, a save or a publish writes nothing of the server's.
    Each job loads its template again (a fraction of a second for a typical template)."""

    def __init__(self, engine):
        self.engine = engine

    def generate(self, *args, **kwargs):
        try:
            return self.engine.generate(*args, **kwargs)
        finally:
            self.engine.cache.clear()


_running: _RunningServer | None = None


def is_running() -> bool:
    return _running is not None and _running.server.running


def url() -> str | None:
    if _running is None:
        return None
    return f"http://{_running.server.settings.host}:{_running.server.settings.port}"


def local_url() -> str | None:
    """The server's address as this machine reaches it: a server listening on every
    address (`0.0.0.0`, `::` or none) is reached on 127.0.0.1."""
    if _running is None:
        return None
    host = _running.server.settings.host
    if not host or host in ("0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    return f"http://{host}:{_running.server.settings.port}"


def live_link_key() -> str | None:
    """The admin secret key the live link publishes with (None while no server runs)."""
    return _running.live_link_key if _running is not None else None


def storefront_key() -> str | None:
    """The storefront key the web app at `/` uses while nobody is logged in."""
    return _running.storefront_key if _running is not None else None


def start(settings=None) -> str:
    """Start the server (idempotent); returns its URL. No job time limit here: the watchdog
    would end the artist's Blender. With Blender's online access off it serves this machine
    only (ui/online_access.py)."""
    global _running
    if is_running():
        return url()
    from ..engine.blender.generation import Engine
    from ..runtime.in_process import InProcessServer
    from ..runtime.main_thread import MainThreadExecutor
    from ..services.resources import database
    from ..settings import Settings

    settings = settings or Settings.from_env()  # data under the extension's user folder (settings.py)
    if refusal := online_access.refusal_for_server(settings):
        raise online_access.OnlineAccessRefused(refusal)
    with contextlib.ExitStack() as stack:
        settings = stack.enter_context(database(settings))
        executor = MainThreadExecutor()
        server = InProcessServer(settings, executor, _LeavesNoTrace(Engine()))
        server.start()
        _running = _RunningServer(server, executor, stack.pop_all())
    bpy.app.timers.register(drain_queue, persistent=True)
    try:
        _running.storefront_key, made = _run_on_database(settings.database_url, _issue_keys)
    except BaseException:
        stop()
        raise
    _running.live_link_key, _running.live_link_key_id = made["key"], made["id"]
    return url()


def _run_on_database(database_url: str, work, *args):
    """`await work(pool, *args)` on a short-lived pool and event loop of this thread. Nothing
    in it waits for the main-thread executor (the server's own loop runs in its thread), so
    this thread blocking here for the few queries cannot deadlock."""
    from ..db.pool import create_pool

    async def run():
        pool = await create_pool(database_url, min_size=1, max_size=1)
        try:
            return await work(pool, *args)
        finally:
            await pool.close()

    return asyncio.run(run())


async def _issue_keys(pool):
    """The storefront key, and a new live link key. Keys of other sessions are left alone:
    another Blender may be serving from the same database."""
    from ..accounts import api_keys, storefront
    from ..services.seeding import DEMO_CLIENT_ID

    shop = await storefront.ensure_storefront_key(pool, DEMO_CLIENT_ID)
    made = await api_keys.create_key(pool, DEMO_CLIENT_ID, kind="secret", role="admin", name=LIVE_LINK_KEY_NAME)
    return shop, made


async def _revoke_key(pool, key_id):
    from ..accounts import api_keys
    from ..services.seeding import DEMO_CLIENT_ID

    await api_keys.revoke_key(pool, DEMO_CLIENT_ID, key_id)


def drain_queue() -> float | None:
    """The timer: run queued Blender work on the main thread; unregisters itself when stopped."""
    if _running is None:
        return None
    return _running.drain()


def stop(timeout: float = 30.0) -> None:
    global _running
    running, _running = _running, None
    if running is None:
        return
    if running.live_link_key_id is not None:
        try:
            _run_on_database(running.server.settings.database_url, _revoke_key, running.live_link_key_id)
        except Exception:  # the server stops all the same; the key dies with its plaintext
            log.exception("the live link key could not be revoked")
    running.server.request_stop()
    # The worker may be waiting for Blender work queued for this (main) thread: keep draining.
    for _ in range(int(timeout / 0.05)):
        running.executor.drain()
        running.server.join(0.05)
        if not running.server.running:
            break
    if bpy.app.timers.is_registered(drain_queue):
        bpy.app.timers.unregister(drain_queue)
    running.database.close()


class CONFIGURATOR_OT_server_start(bpy.types.Operator):
    """Serve the configurator API and web app from this Blender (settings from the environment)"""

    bl_idname = "configurator.server_start"
    bl_label = "Start Server"

    def execute(self, context):
        try:
            address = start()
        except Exception as exc:  # shown to the artist, not a traceback
            self.report({"ERROR"}, f"the server did not start: {exc}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"serving at {address}")
        return {"FINISHED"}


class CONFIGURATOR_OT_server_stop(bpy.types.Operator):
    """Stop the configurator server running in this Blender"""

    bl_idname = "configurator.server_stop"
    bl_label = "Stop Server"

    @classmethod
    def poll(cls, context):
        return is_running()

    def execute(self, context):
        stop()
        self.report({"INFO"}, "server stopped")
        return {"FINISHED"}


CLASSES = (CONFIGURATOR_OT_server_start, CONFIGURATOR_OT_server_stop)
