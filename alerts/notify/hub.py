"""In-process fan-out to the duty console's live streams (SSE): incidents and pages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from alerts.notify.base import Delivery, Page

log = logging.getLogger(__name__)


class ConsoleHub:
    def __init__(self, queue_size: int = 1000) -> None:
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._queue_size = queue_size

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._queue_size)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(queue)

    def close(self) -> None:
        """Tell every open stream to end (the service is stopping)."""
        for queue in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait({"type": "shutdown"})

    def publish(self, event: dict[str, Any]) -> int:
        """Queue the event for every open console; a console that stopped reading is cut off
        (it reloads the full list when it reconnects), never allowed to block dispatch."""
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                log.warning("console stream not reading: dropping it (it will resync)")
                self._subscribers.discard(queue)
        return len(self._subscribers)


class ConsoleChannel:
    def __init__(self, hub: ConsoleHub) -> None:
        self._hub = hub

    async def deliver(self, page: Page) -> Delivery:
        self._hub.publish(
            {
                "type": "page",
                "incident_key": page.incident_key,
                "recipient": page.recipient_id,
                "step": page.step_id,
                "title": page.title,
            }
        )
        return Delivery(True, "on the console")
