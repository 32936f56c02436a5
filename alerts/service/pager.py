"""Send one ladder step's pages on every contact channel at once; report what came of each.

Pages go out concurrently: the first page must not wait for a slow webhook. The shell records
every delivery in the ledger (off the event loop) and tells the core how many recipients no
channel reached: an unreached recipient pulls the next step forward (escalation.Step).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from alerts.ledger.batch import PageRecord
from alerts.ledger.sharing import StepClaim
from alerts.notify.base import Channel, Delivery, Forwarder119, Page
from alerts.registry.models import ContactChannel
from alerts.service.effects import PageOrder

log = logging.getLogger(__name__)

# Ask the shared ledger whether this instance may send a step's pages (alerts/ledger/sharing.py).
Claim = Callable[[Sequence[PageRecord]], Awaitable[StepClaim]]


async def _always(_records: Sequence[PageRecord]) -> StepClaim:
    return StepClaim.FIRST


@dataclass(frozen=True, slots=True)
class StepReport:
    records: list[PageRecord]
    unreached: int  # recipients none of whose channels delivered


class Pager:
    def __init__(
        self,
        channels: Mapping[ContactChannel, Channel],
        forwarder: Forwarder119,
        observe: Callable[[bool], None] = lambda _ok: None,
        claim: Claim = _always,
    ) -> None:
        self._observe = observe
        self._claim = claim
        self._channels = channels
        self._forwarder = forwarder
        self.delivered = 0
        self.failed = 0

    def _pages(self, order: PageOrder) -> list[Page]:
        inc, step, who, at = order.incident, order.step, order.recipients, order.at
        title = f"[{inc.severity.value}] {inc.title}"
        body = f"{inc.title}; {len(inc.tasks)} linkage tasks" if inc.tasks else inc.title
        key, severity = inc.incident_key, inc.severity.value
        pages = [
            Page(
                key,
                step.step_id,
                f"terminal:{t}",
                ContactChannel.MQTT_TERMINAL,
                t,
                severity,
                title,
                body,
                at,
            )
            for t in who.terminals
        ]
        for member in who.members:
            for contact in member.contacts:
                if contact.channel not in self._channels:
                    continue  # no adapter configured for it here (e.g. no SMS gateway)
                address = contact.address or member.member_id
                pages.append(
                    Page(
                        key,
                        step.step_id,
                        member.member_id,
                        contact.channel,
                        address,
                        severity,
                        title,
                        body,
                        at,
                    )
                )
        if who.is_forward_119:
            pages.append(
                Page(
                    key,
                    step.step_id,
                    "119",
                    ContactChannel.VOICE,
                    "119",
                    severity,
                    f"Forward to 119: {inc.kind.value}",
                    body,
                    at,
                )
            )
        return pages

    async def _one(self, page: Page) -> Delivery:
        if page.recipient_id == "119":
            return await self._forwarder.forward(page)
        channel = self._channels.get(page.channel)
        if channel is None:
            return Delivery(False, f"no adapter for channel {page.channel.value}")
        try:
            return await channel.deliver(page)
        except (OSError, RuntimeError) as exc:  # an adapter fault is a failed page, not a crash
            log.warning("page %s to %s failed: %s", page.step_id, page.recipient_id, exc)
            return Delivery(False, f"{type(exc).__name__}: {exc}")

    @staticmethod
    def _record(order: PageOrder, page: Page, result: Delivery) -> PageRecord:
        return PageRecord(
            page.incident_key,
            page.step_id,
            page.recipient_id,
            page.channel.value,
            order.at,
            result.is_ok,
            result.detail,
        )

    async def send(self, order: PageOrder) -> StepReport:
        """Deliver one step's pages; what came of each, and who was not reached at all."""
        pages = self._pages(order)
        claims = [self._record(order, p, Delivery(False, "")) for p in pages]
        claim = await self._claim(claims)
        if claim is StepClaim.ELSEWHERE:
            # Another dispatch instance fired this step (issue 16.4): no page twice.
            log.warning(
                "step %s of %s fired elsewhere", order.step.step_id, order.incident.incident_key
            )
            return StepReport([], 0)
        if claim is StepClaim.RESEND:
            # Its sender stopped before recording what came of it: some pages may have
            # arrived. Sent again, each saying so, for the receiver to drop by its key.
            log.warning(
                "step %s of %s was cut short: sending it again, marked resend",
                order.step.step_id,
                order.incident.incident_key,
            )
            pages = [replace(p, is_resend=True) for p in pages]
        results = await asyncio.gather(*(self._one(p) for p in pages))
        reached: dict[str, bool] = {}
        records = []
        for page, result in zip(pages, results, strict=True):
            reached[page.recipient_id] = reached.get(page.recipient_id, False) or result.is_ok
            self._observe(result.is_ok)
            records.append(self._record(order, page, result))
        failed = sum(not r.is_ok for r in results)
        self.delivered += len(results) - failed
        self.failed += failed
        return StepReport(records, sum(not ok for ok in reached.values()))
