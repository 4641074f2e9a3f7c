"""Typed application keys: everything a handler may take from the app, declared once."""
from __future__ import annotations

from aiohttp import web

SETTINGS = web.AppKey("settings", object)
POOL = web.AppKey("pool", object)
STORE = web.AppKey("store", object)
PRODUCTS = web.AppKey("products", object)
CONFIGURATIONS = web.AppKey("configurations", object)
JOBS = web.AppKey("jobs", object)
JOB_EVENTS = web.AppKey("job_events", object)
EXECUTOR = web.AppKey("executor", object)  # the main-thread executor, in processes that run bpy work
ROLE = web.AppKey("role", str)
