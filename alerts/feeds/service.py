"""The feeds as a service: the incidents and hazards topics in (its own consumer group), the
hub out, the ledger's waiting deliveries retried on time. A record is committed once every
feed has it delivered or waiting in the ledger (so a crash redelivers, the ledger dedupes)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pydantic import ValidationError

from alerts.feeds.config import FeedsConfig
from alerts.feeds.delivery import Sender
from alerts.feeds.hub import FeedHub, FeedMetrics
from alerts.feeds.items import from_hazard, from_incident
from alerts.feeds.store import DeliveryLedger
from alerts.hazards.ledger_audit import FEEDS, join_audit, keyring_of
from alerts.hazards.maintenance import MaintenanceItems
from alerts.ledger.db import Database
from events.connections import KafkaConnection
from events.feeds import FeedItem
from events.hazards import HazardUpdate
from events.incidents import IncidentUpdate
from events.topics import Topics
from runtime.clock import Clock, SystemClock
from runtime.kafka import consumer_settings, producer_settings

log = logging.getLogger(__name__)


class FeedService:
    def __init__(  # noqa: PLR0917 - settings and injected adapters
        self,
        config: FeedsConfig,
        kafka: KafkaConnection,
        database_url: str,
        clock: Clock | None = None,
        incident_topics: tuple[str, ...] = (Topics.INCIDENTS,),
        metrics: FeedMetrics | None = None,
        audit_key_file: Path | None = None,
    ) -> None:
        """`audit_key_file`: the dispatch keyring, so the feeds' entries in the one audit
        chain are signed (docs/SECURITY.md)."""
        self.clock = clock or SystemClock()
        self.db = Database(database_url)
        audit = join_audit(self.db, keyring_of(audit_key_file))
        self.http = httpx.AsyncClient()
        self.producer = AIOKafkaProducer(**producer_settings(kafka, client_id="fw-feeds"))
        self.ledger = DeliveryLedger(self.db, audit)
        sender = Sender(self.http, self.producer)
        items = MaintenanceItems(self.db, audit, actor=FEEDS)
        self.hub = FeedHub(config, sender, self.ledger, items, self.clock, metrics)
        self.consumer = AIOKafkaConsumer(
            Topics.HAZARDS,
            *incident_topics,
            **consumer_settings(
                kafka,
                client_id=config.consumer_group,
                group_id=config.consumer_group,
                fetch_max_wait_ms=50,
            ),
        )
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.producer.start()
        await self.consumer.start()
        self._tasks = [asyncio.create_task(self._consume()), asyncio.create_task(self._retry())]

    async def wait_ready(self, timeout_s: float = 30.0) -> None:
        async with asyncio.timeout(timeout_s):
            while not self.consumer.assignment():  # noqa: ASYNC110 - aiokafka has no event
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.consumer.stop()
        await self.producer.stop()
        await self.http.aclose()
        self.db.close()

    async def _consume(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=500, max_records=200)
            for records in batches.values():
                for record in records:
                    item = self._item(record)
                    if item is not None:
                        await self.hub.offer(item)
            if batches:
                await self.consumer.commit()

    def _item(self, record: Any) -> FeedItem | None:
        try:
            if record.topic == Topics.HAZARDS:
                return from_hazard(HazardUpdate.model_validate_json(record.value))
            return from_incident(IncidentUpdate.model_validate_json(record.value))
        except (ValidationError, ValueError, KeyError) as exc:
            # The producers validated these; a record we cannot read is a version skew: log it
            # with where it is, it stays on its topic for a fixed feed to read again.
            log.error("feeds: unreadable record %s@%s: %s", record.topic, record.offset, exc)
            return None

    async def _retry(self) -> None:
        while True:
            due = self.ledger.next_retry_at()
            delay_s = 5.0 if due is None else max(0.0, (due - self.clock.now()).total_seconds())
            await asyncio.sleep(min(delay_s, 5.0))
            try:
                await self.hub.retry_due()
            except Exception:  # the retry loop must outlive one bad row
                log.exception("feeds: retrying waiting deliveries failed")
