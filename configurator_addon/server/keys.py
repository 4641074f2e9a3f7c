"""Typed application keys: everything a handler may take from the app, declared once."""
from __future__ import annotations

from typing import Protocol

from aiohttp import web

from ..services.resources import Resources
from ..settings import Settings
from .event_hub import EventHub


class BlenderExecutor(Protocol):
    """The main-thread executor of a process that runs bpy work (`runtime/main_thread.py`)."""

    def busy_seconds(self) -> float: ...


SETTINGS = web.AppKey("settings", Settings)
RESOURCES = web.AppKey("resources", Resources)  # pool, store, queue and the services on them
EVENT_HUB = web.AppKey("event_hub", EventHub)
EXECUTOR = web.AppKey("executor", BlenderExecutor)  # only in processes that run bpy work
ROLE = web.AppKey("role", str)
