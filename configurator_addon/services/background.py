"""Work a request starts and does not wait for (thumbnail renders): `BackgroundTasks` keeps
each task until it ends, so a caller can wait for them all (a process that exits after its
uploads, tests) and shutdown can give them a bounded time before cancelling the rest."""
from __future__ import annotations

import asyncio
from collections.abc import Coroutine

STOP_SECONDS = 15.0


class BackgroundTasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def start(self, work: Coroutine) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def all_done(self) -> None:
        """Wait until none is under way (tasks started meanwhile included)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Let the tasks under way finish within `timeout`; cancel the rest."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
