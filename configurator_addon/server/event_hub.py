"""Changes for WebSocket subscribers: LISTEN connections of the API process fan database
notifications out to the sockets following each job (progress, status) or product (a new
template version). Job and product ids are UUIDs, so one table of subscribers serves both."""
from __future__ import annotations

import asyncio
import json
from collections import defaultdict

from ..db.listen import listen_forever
from ..jobs.queue import EVENTS_CHANNEL

PRODUCT_EVENTS_CHANNEL = "configurator_product_events"


class EventHub:
    def __init__(self, dsn: str):
        self.dsn = dsn
        self._subscribers: dict[str, set[asyncio.Queue]] = defaultdict(set)
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(listen_forever(self.dsn, channel, self._dispatch))
                       for channel in (EVENTS_CHANNEL, PRODUCT_EVENTS_CHANNEL)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def subscribe(self, subject_id: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=100)
        self._subscribers[subject_id].add(queue)
        return queue

    def unsubscribe(self, subject_id: str, queue: asyncio.Queue) -> None:
        self._subscribers[subject_id].discard(queue)
        if not self._subscribers[subject_id]:
            del self._subscribers[subject_id]

    def _dispatch(self, _conn, _pid, _channel, payload: str) -> None:
        try:
            event = json.loads(payload)
        except json.JSONDecodeError:
            return
        for queue in list(self._subscribers.get(event.get("id"), ())):
            if queue.full():
                queue.get_nowait()  # a slow reader only needs the newest state
            queue.put_nowait(event)
