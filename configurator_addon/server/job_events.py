"""Job progress for WebSocket subscribers: one LISTEN connection per API process fans
database notifications out to the sockets following each job."""
from __future__ import annotations

import asyncio
import json
from collections import defaultdict

from ..db.listen import listen_forever
from ..jobs.queue import EVENTS_CHANNEL


class JobEventHub:
    def __init__(self, dsn: str):
        self.dsn = dsn
        self._subscribers: dict[str, set[asyncio.Queue]] = defaultdict(set)
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(listen_forever(self.dsn, EVENTS_CHANNEL, self._dispatch))

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def subscribe(self, job_id: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=100)
        self._subscribers[job_id].add(queue)
        return queue

    def unsubscribe(self, job_id: str, queue: asyncio.Queue) -> None:
        self._subscribers[job_id].discard(queue)
        if not self._subscribers[job_id]:
            del self._subscribers[job_id]

    def _dispatch(self, _conn, _pid, _channel, payload: str) -> None:
        try:
            event = json.loads(payload)
        except json.JSONDecodeError:
            return
        for queue in list(self._subscribers.get(event.get("id"), ())):
            if queue.full():
                queue.get_nowait()  # a slow reader only needs the newest state
            queue.put_nowait(event)
