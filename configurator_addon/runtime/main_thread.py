"""Run bpy work on the main thread, from any thread.

bpy may only be touched by the main thread. In Blender's GUI (the artist's server) a
persistent timer calls `drain`; other threads `submit` callables and get
`concurrent.futures.Future`s (or `await run(...)` from asyncio). The service itself runs no
bpy in its own processes: its engine processes loop over their pipe instead.
"""
from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

_STOP = object()


class MainThreadExecutor:
    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._busy_since: float | None = None
        self._stopped = threading.Event()

    # -- callers (any thread) ------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], *args, **kwargs) -> Future:
        future: Future = Future()
        if self._stopped.is_set():
            future.set_exception(RuntimeError("the main-thread executor has stopped"))
            return future
        self._queue.put((future, fn, args, kwargs))
        return future

    async def run(self, fn: Callable[..., Any], *args, **kwargs) -> Any:
        return await asyncio.wrap_future(self.submit(fn, *args, **kwargs))

    def busy_seconds(self) -> float:
        """How long the current item has been running (0 when idle): a stuck executor shows here."""
        started = self._busy_since
        return 0.0 if started is None else time.monotonic() - started

    def stop(self) -> None:
        self._stopped.set()
        self._queue.put(_STOP)

    # -- the driver (main thread) -----------------------------------------------------------
    def drain(self, max_seconds: float = 0.05) -> float:
        """GUI driver: run what is queued for up to `max_seconds`; returns the timer interval."""
        deadline = time.monotonic() + max_seconds
        while time.monotonic() < deadline:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                self._cancel_pending()
                return 1.0
            self._run(item)
        return 0.01

    def _run(self, item) -> None:
        future, fn, args, kwargs = item
        if not future.set_running_or_notify_cancel():
            return
        self._busy_since = time.monotonic()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the caller, never lost
            future.set_exception(exc)
        else:
            future.set_result(result)
        finally:
            self._busy_since = None

    def _cancel_pending(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not _STOP:
                item[0].cancel()
