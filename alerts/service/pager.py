"""Send one ladder step's pages on every contact channel at once and record each in the ledger.

Pages go out concurrently: the first page must not wait for a slow webhook. A failed delivery
is recorded and counted (it pulls the next step forward, see escalation.Step).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from alerts.escalation import Step
from alerts.ledger.store import Ledger
from alerts.lifecycle import Incident
from alerts.notify.base import Channel, Delivery, Forwarder119, Page
from alerts.recipients import Recipients
from alerts.registry.models import ContactChannel

log = logging.getLogger(__name__)


class Pager:
    def __init__(
        self,
        channels: Mapping[ContactChannel, Channel],
        forwarder: Forwarder119,
        ledger: Ledger,
        observe: Callable[[bool], None] = lambda _ok: None,
    ) -> None:
        self._observe = observe
        self._channels = channels
        self._forwarder = forwarder
        self._ledger = ledger
        self.delivered = 0
        self.failed = 0

    def _pages(self, inc: Incident, step: Step, who: Recipients, at: datetime) -> list[Page]:
        title = f"[{inc.severity.value}] {inc.kind.value} at {inc.compound_id}"
        where = " ".join(x for x in (inc.building_id, inc.device_id) if x)
        body = f"{inc.summary} {where}".strip()
        pages = [
            Page(inc.incident_key, step.step_id, f"terminal:{t}", ContactChannel.MQTT_TERMINAL,
                 t, inc.severity.value, title, body, at)
            for t in who.terminals
        ]  # fmt: skip
        for member in who.members:
            for contact in member.contacts:
                if contact.channel not in self._channels:
                    continue  # no adapter configured for it here (e.g. no SMS gateway)
                address = contact.address or member.member_id
                pages.append(
                    Page(inc.incident_key, step.step_id, member.member_id, contact.channel,
                         address, inc.severity.value, title, body, at)
                )  # fmt: skip
        return pages

    async def _one(self, page: Page) -> Delivery:
        channel = self._channels.get(page.channel)
        if channel is None:
            return Delivery(False, f"no adapter for channel {page.channel.value}")
        try:
            return await channel.deliver(page)
        except (OSError, RuntimeError) as exc:  # an adapter fault is a failed page, not a crash
            log.warning("page %s to %s failed: %s", page.step_id, page.recipient_id, exc)
            return Delivery(False, f"{type(exc).__name__}: {exc}")

    async def send(self, inc: Incident, step: Step, who: Recipients, at: datetime) -> int:
        """Deliver and record; return the number of failed deliveries."""
        pages = self._pages(inc, step, who, at)
        jobs = [self._one(p) for p in pages]
        forward_page = None
        if who.is_forward_119:
            forward_page = Page(inc.incident_key, step.step_id, "119", ContactChannel.VOICE,
                                "119", inc.severity.value, f"Forward to 119: {inc.kind.value}",
                                inc.summary, at)  # fmt: skip
            jobs.append(self._forwarder.forward(forward_page))
        results = await asyncio.gather(*jobs)
        if forward_page is not None:
            pages.append(forward_page)
        failures = 0
        for page, result in zip(pages, results, strict=True):
            failures += not result.is_ok
            self._observe(result.is_ok)
            self._ledger.record_page(
                page.incident_key, page.step_id, page.recipient_id, page.channel.value, at,
                result.is_ok, result.detail,
            )  # fmt: skip
        self.delivered += len(results) - failures
        self.failed += failures
        return failures
