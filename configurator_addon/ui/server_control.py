"""Run the configurator server inside Blender's GUI: the API and a worker in this Blender, the
Blender work drained on the main thread by a persistent timer. For artists who want to try a
template through the real web configurator without a separate server."""
from __future__ import annotations

import contextlib

import bpy

from . import online_access

# The server's own dependencies (aiohttp, asyncpg…) are imported only when it starts, so the
# authoring tool works in a Blender that lacks them.


class _RunningServer:
    def __init__(self, server, executor, database):
        self.server = server
        self.executor = executor
        self.database = database  # closing it stops an embedded PostgreSQL

    def drain(self) -> float:
        return self.executor.drain()


_running: _RunningServer | None = None


def is_running() -> bool:
    return _running is not None and _running.server.running


def url() -> str | None:
    if _running is None:
        return None
    return f"http://{_running.server.settings.host}:{_running.server.settings.port}"


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
        server = InProcessServer(settings, executor, Engine())
        server.start()
        _running = _RunningServer(server, executor, stack.pop_all())
    bpy.app.timers.register(drain_queue, persistent=True)
    return url()


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
