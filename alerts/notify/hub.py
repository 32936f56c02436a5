"""In-process fan-out to the duty console's live streams (SSE): incidents and pages.

A page to the console channel is delivered only when a console of its recipient is open and
the page was queued to it: never claimed delivered into the void (issue 13)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from alerts.notify.base import Delivery, Page

log = logging.getLogger(__name__)


Queue = asyncio.Queue[dict[str, Any]]


class ConsoleHub:
    def __init__(self, queue_size: int = 1000) -> None:
        self._subscribers: set[Queue] = set()
        self._members: dict[Queue, str] = {}  # whose console each stream is
        self._queue_size = queue_size

    def subscribe(self, member_id: str | None = None) -> Queue:
        queue: Queue = asyncio.Queue(self._queue_size)
        self._subscribers.add(queue)
        if member_id is not None:
            self._members[queue] = member_id
        return queue

    def unsubscribe(self, queue: Queue) -> None:
        self._subscribers.discard(queue)
        self._members.pop(queue, None)

    def page(self, member_id: str, event: dict[str, Any]) -> int:
        """Queue a page for every open console of `member_id`; how many took it."""
        taken = 0
        for queue, member in list(self._members.items()):
            if member != member_id:
                continue
            try:
                queue.put_nowait(event)
                taken += 1
            except asyncio.QueueFull:
                log.warning("console stream of %s not reading: dropping it", member_id)
                self.unsubscribe(queue)
        return taken

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
                self.unsubscribe(queue)
        return len(self._subscribers)


class ConsoleChannel:
    def __init__(self, hub: ConsoleHub) -> None:
        self._hub = hub

    async def deliver(self, page: Page) -> Delivery:
        event = {
            "type": "page",
            "incident_key": page.incident_key,
            "recipient": page.recipient_id,
            "step": page.step_id,
            "title": page.title,
            "resend": page.is_resend,
        }
        if self._hub.page(page.recipient_id, event):
            return Delivery(True, "shown on the member's console")
        return Delivery(False, "no console of this member is open")
