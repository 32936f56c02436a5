"""Every item to every feed that wants it, once (by event id), through the delivery ledger; a
feed that keeps failing alerts the operator: an error in the log, `firewatch_feeds_failing`
set to 1, and a maintenance item (closed again by the first delivery that goes through)."""

from __future__ import annotations

import logging
from datetime import timedelta

from prometheus_client import CollectorRegistry

from alerts.feeds.config import FeedConfig, FeedsConfig
from alerts.feeds.delivery import Outcome, Sender
from alerts.feeds.items import body_of, matches, project
from alerts.feeds.store import DeliveryLedger, Pending
from alerts.hazards.maintenance import ItemKind, MaintenanceItem, MaintenanceItems
from events.feeds import FeedItem
from runtime.clock import Clock
from runtime.metrics_catalogue import counter, gauge

log = logging.getLogger(__name__)
# A failing feed is a maintenance job within 24 h (DOMAIN.md §2: work order within 24 h).
FAILING_DUE = timedelta(hours=24)


class FeedMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        # `feed` takes one value per configured recipient: a handful (runtime/metrics_catalogue.py).
        self.deliveries = counter("firewatch_feeds_deliveries_total", self.registry)
        self.failing = gauge("firewatch_feeds_failing", self.registry)


class FeedHub:
    def __init__(  # noqa: PLR0917 - the hub's collaborators, injected
        self,
        config: FeedsConfig,
        sender: Sender,
        ledger: DeliveryLedger,
        items: MaintenanceItems,
        clock: Clock,
        metrics: FeedMetrics | None = None,
    ) -> None:
        self.config, self.sender, self.ledger, self.items = config, sender, ledger, items
        self.clock = clock
        self.metrics = metrics or FeedMetrics()
        self.failures_in_a_row = {f.feed_id: 0 for f in config.feeds}
        self._feeds = {f.feed_id: f for f in config.feeds}

    async def offer(self, item: FeedItem) -> int:
        """Deliver one item to every feed whose filter takes it; how many took it."""
        taken = 0
        for feed in self.config.feeds:
            if not matches(item, feed.filter):
                continue
            taken += 1
            if self.ledger.state(feed.feed_id, item.event_id) is not None:
                continue  # delivered before, or waiting in the ledger: a redelivered record
            body = body_of(project(item, feed))
            pending = Pending(
                feed.feed_id, item.event_id, item.item_kind.value, item.compound_id or "", 0, body
            )
            await self._send(feed, pending)
        return taken

    async def retry_due(self) -> None:
        for pending in self.ledger.due(self.clock.now()):
            feed = self._feeds.get(pending.feed_id)
            if feed is not None:
                await self._send(feed, pending)

    async def _send(self, feed: FeedConfig, pending: Pending) -> Outcome:
        outcome = await self.sender.deliver(feed, pending.body, pending.compound_id)
        now = self.clock.now()
        attempts = pending.attempts + outcome.attempts
        next_at = None if outcome.is_ok else now + timedelta(seconds=feed.retry_after_s)
        self.ledger.record(
            pending,
            is_ok=outcome.is_ok,
            attempts=attempts,
            at=now,
            next_at=next_at,
            detail=outcome.detail,
        )
        self.metrics.deliveries.labels(feed.feed_id, "ok" if outcome.is_ok else "failed").inc()
        self._health(feed, outcome)
        return outcome

    def _health(self, feed: FeedConfig, outcome: Outcome) -> None:
        item_id = f"feed_failing:{feed.feed_id}"
        if outcome.is_ok:
            if self.failures_in_a_row[feed.feed_id] >= feed.failing_after:
                log.info("feed %s delivers again", feed.feed_id)
            self.failures_in_a_row[feed.feed_id] = 0
            self.metrics.failing.labels(feed.feed_id).set(0)
            self.items.close(item_id, self.clock.now())
            return
        self.failures_in_a_row[feed.feed_id] += 1
        count = self.failures_in_a_row[feed.feed_id]
        if count < feed.failing_after:
            log.warning("feed %s: delivery failed (%s)", feed.feed_id, outcome.detail)
            return
        self.metrics.failing.labels(feed.feed_id).set(1)
        now = self.clock.now()
        detail = f"{count} deliveries in a row failed; last: {outcome.detail}"
        item = MaintenanceItem(
            item_id, ItemKind.FEED_FAILING, feed.feed_id, None, now, now + FAILING_DUE, detail
        )
        if self.items.open(item):
            log.error("FEED FAILING: %s (%s): %s", feed.feed_id, feed.name, detail)
