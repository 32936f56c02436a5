"""Kafka adapters of the public side: reports out (`fw.reports.v1`, acks=all, keyed by
compound so a patrol's finding and its check-in stay in order), hazard statuses in
(`fw.hazards.v1`, its own consumer group) for the follow pages."""

from __future__ import annotations

import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pydantic import ValidationError

from community.follow import FollowStore
from events.codec import encode_model, kafka_headers
from events.connections import KafkaConnection
from events.hazards import HazardUpdate
from events.reports import HazardReport, PatrolCheckIn
from events.topics import Topics
from runtime.kafka import consumer_settings, producer_settings

log = logging.getLogger(__name__)


class KafkaReportSink:
    def __init__(self, kafka: KafkaConnection, producer_id: str) -> None:
        self.producer_id = producer_id
        self.producer = AIOKafkaProducer(
            **producer_settings(kafka, client_id=producer_id, request_timeout_ms=10_000)
        )

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    async def send(self, record: HazardReport | PatrolCheckIn) -> None:
        compound = (
            record.place.compound_id if isinstance(record, HazardReport) else record.compound_id
        )
        await self.producer.send_and_wait(
            Topics.REPORTS,
            encode_model(record),
            key=compound.encode(),
            headers=kafka_headers(record.kind, record.event_id, self.producer_id),
        )


class StatusFollower:
    """Keeps the follow pages current: every hazard update for reports made here."""

    def __init__(self, kafka: KafkaConnection, group: str, store: FollowStore) -> None:
        self.store = store
        self.consumer = AIOKafkaConsumer(
            Topics.HAZARDS,
            # Tansu answers a fetch only when the max wait passes (STACK-NOTES.md).
            **consumer_settings(kafka, client_id=group, group_id=group, fetch_max_wait_ms=50),
        )

    async def start(self) -> None:
        await self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()

    async def run(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=500, max_records=500)
            for records in batches.values():
                for record in records:
                    self.one(record)
            if batches:
                await self.consumer.commit()

    def one(self, record: Any) -> None:
        try:
            update = HazardUpdate.model_validate_json(record.value)
        except ValidationError as exc:
            # Dispatch validated it when it built it: a mismatch is a version skew to see.
            log.warning("undecodable hazard update at offset %s: %s", record.offset, exc)
            return
        self.store.apply(update)

    def is_ready(self) -> bool:
        return bool(self.consumer.assignment())
