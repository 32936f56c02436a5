"""Pages to station terminals over MQTT (fw/v1/terminals/{terminal}/page, QoS 1).

The topic is outside the device scheme on purpose: ingest never subscribes to it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from alerts.notify.base import Delivery, Page


def terminal_topic(terminal_id: str) -> str:
    return f"fw/v1/terminals/{terminal_id}/page"


class MqttTerminalChannel:
    def __init__(self, publish: Callable[[str, bytes], bool]) -> None:
        """`publish(topic, payload)` returns False when the broker connection is down."""
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
            }
        ).encode()
        if self._publish(terminal_topic(page.address), payload):
            return Delivery(True, "published")
        return Delivery(False, "MQTT not connected")
