"""Pages to station terminals over MQTT (fw/v1/terminals/{terminal}/page, QoS 1).

The topic is outside the device scheme on purpose: ingest never subscribes to it. A page is
delivered when the broker acknowledged it (MQTT v5 PUBACK reason code below 0x80): one the
broker refuses (its ACL, a quota) is a failed page that escalates (issue 12.2).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from alerts.notify.base import Delivery, Page


def terminal_topic(terminal_id: str) -> str:
    return f"fw/v1/terminals/{terminal_id}/page"


class MqttTerminalChannel:
    def __init__(self, publish: Callable[[str, bytes], Awaitable[Delivery]]) -> None:
        """`publish(topic, payload)` waits for the broker's verdict on the page."""
        self._publish = publish

    async def deliver(self, page: Page) -> Delivery:
        payload = json.dumps(
            {
                "incident_key": page.incident_key,
                "step": page.step_id,
                "severity": page.severity,
                "title": page.title,
                "body": page.body,
                "at": page.at.isoformat(),
                "resend": page.is_resend,
            }
        ).encode()
        return await self._publish(terminal_topic(page.address), payload)
