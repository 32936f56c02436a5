"""Notification ports: a page to one recipient on one channel, and what came of it.

Adapters: the duty console (hub), webhooks (httpx), MQTT station terminals, SMS / voice
gateways (interface + Recording fake), and the 119 forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from alerts.registry.models import ContactChannel


@dataclass(frozen=True, slots=True)
class Page:
    incident_key: str
    step_id: str
    recipient_id: str
    channel: ContactChannel
    address: str
    severity: str
    title: str
    body: str
    at: datetime
    # Sent again after its sender stopped between sending and recording the outcome: the
    # receiver may have it already (at least once: a fire page lost to a crash is worse than a
    # repeat the receiver can drop by its key, alerts/ledger/sharing.py).
    is_resend: bool = False

    @property
    def idempotency_key(self) -> str:
        """The same for every send of this page: incident, ladder step, recipient, channel."""
        return f"{self.incident_key}|{self.step_id}|{self.recipient_id}|{self.channel.value}"


@dataclass(frozen=True, slots=True)
class Delivery:
    is_ok: bool
    detail: str = ""


class Channel(Protocol):
    async def deliver(self, page: Page) -> Delivery: ...


class RecordingChannel:
    """Test double: keeps every page; `is_failing` makes every delivery fail."""

    def __init__(self, is_failing: bool = False) -> None:
        self.pages: list[Page] = []
        self.is_failing = is_failing

    async def deliver(self, page: Page) -> Delivery:
        self.pages.append(page)
        if self.is_failing:
            return Delivery(False, "recording channel set to fail")
        return Delivery(True, "recorded")


class SmsVoiceGateway(Protocol):
    """An SMS or voice-call provider (vendor adapters implement this)."""

    async def send(self, address: str, text: str) -> Delivery: ...


class RecordingGateway:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, address: str, text: str) -> Delivery:
        self.sent.append((address, text))
        return Delivery(True, "recorded")


class GatewayChannel:
    """Adapts an SMS / voice gateway to the Channel port."""

    def __init__(self, gateway: SmsVoiceGateway) -> None:
        self._gateway = gateway

    async def deliver(self, page: Page) -> Delivery:
        return await self._gateway.send(page.address, f"{page.title}: {page.body}")


class Forwarder119(Protocol):
    """Forward a confirmed fire to the 119 command centre (GB 50440: within 3 s)."""

    async def forward(self, page: Page) -> Delivery: ...


class RecordingForwarder119:
    def __init__(self) -> None:
        self.forwarded: list[Page] = []

    async def forward(self, page: Page) -> Delivery:
        self.forwarded.append(page)
        return Delivery(True, "recorded")
