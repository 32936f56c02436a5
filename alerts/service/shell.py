"""The imperative shell of dispatch: applies the core's effects once, in a fixed order.

1. linkage commands to the devices (GB 50166-2019 §4.1.3: within 3 s); 2. console events
(each changed incident once); 3. pages, all steps at once; 4. the ledger: incidents (fired
steps included), transitions, commands, work orders and the page deliveries in one
transaction, in a worker thread (the event loop never waits on the database); 5. incident
updates on Kafka; 6. the delivery results back to the core, whose new effects (an unreached
recipient pulls the next step) go round again.

Pages before the ledger, on purpose: the ledger is what a restarted dispatch resumes from, so
a step it records as fired must have been sent. A crash between the two pages again after
the restart (at least once; the ledger keeps the last delivery), never not at all.
Callers hold the service's lock, so one step's effects never interleave with another's.
"""

from __future__ import annotations

import asyncio

from alerts.ledger.batch import LedgerBatch
from alerts.ledger.store import Ledger
from alerts.notify.hub import ConsoleHub
from alerts.service.dispatcher import Dispatcher
from alerts.service.effects import Effects
from alerts.service.pager import Pager
from alerts.service.ports import Outbox
from alerts.service.readback_feed import NoReadback, Readback
from runtime.clock import Clock


class Shell:
    def __init__(  # noqa: PLR0917 - the adapters the effects go to
        self,
        core: Dispatcher,
        ledger: Ledger,
        pager: Pager,
        outbox: Outbox,
        hub: ConsoleHub,
        clock: Clock,
        readback: Readback | None = None,
    ) -> None:
        self.core, self.ledger, self.pager, self.outbox = core, ledger, pager, outbox
        self.hub, self.clock = hub, clock
        # Read only while a command awaits its read-back (alerts.service.readback_feed).
        self.readback: Readback = readback or NoReadback()
        # Record keys of the devices whose read-back is awaited: the read-back consumer
        # skips every other record before decoding anything (issue 13).
        self.watched: frozenset[bytes] = frozenset()

    async def apply(self, fx: Effects) -> None:
        while not fx.is_empty:
            if fx.commands:  # the feed's start positions are taken before a reply can exist
                await self.readback.before_commands(min(p.command.issued_at for p in fx.commands))
            for pending in fx.commands:
                await self.outbox.command(pending.command)
            for inc in fx.changed.values():
                self.hub.publish({"type": "incident", "incident": inc})
            reports = await asyncio.gather(*(self.pager.send(order) for order in fx.pages))
            batch = LedgerBatch.of(
                fx.changed.values(),
                fx.transitions,
                [*fx.commands, *fx.command_states],
                fx.work_orders,
            )
            batch.pages = [r for report in reports for r in report.records]
            await asyncio.to_thread(self.ledger.write, batch)
            for update in fx.updates:
                await self.outbox.update(update)
            after = Effects()
            for order, report in zip(fx.pages, reports, strict=True):
                key, step = order.incident.incident_key, order.step.step_id
                after.merge(self.core.on_pages_sent(key, step, report.unreached, self.clock.now()))
            fx = after
        self.watched = frozenset(d.encode() for d in self.core.readback_devices())
        await self.readback.settle(self.core.oldest_pending_command())
