"""The Kafka side of a lane: records -> per-partition batches, written until Kafka takes them.

Partitioning is aiokafka's default (murmur2 of the key, Java-compatible), computed once per
device. aiokafka's batch API costs a fraction of `send()` per record. Failed writes are sent
again in their original order, forever: the lane never acknowledges what Kafka did not take.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import murmur2

from events.connections import KafkaConnection
from ingest.config import IngestConfig
from ingest.core import OutboundRecord
from ingest.stats import BridgeStats

log = logging.getLogger(__name__)


def make_producer(kafka: KafkaConnection, config: IngestConfig, lane: str) -> AIOKafkaProducer:
    password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else None
    return AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap,
        client_id=f"{config.bridge_id}-{lane}",
        # acks=all everywhere (Tansu accepts it); idempotence only where the broker has it.
        acks="all",
        enable_idempotence=kafka.is_idempotent,
        linger_ms=config.kafka_linger_ms if lane == "telemetry" else 0,
        max_batch_size=config.kafka_max_batch_bytes,
        request_timeout_ms=config.kafka_request_timeout_ms,
        security_protocol=kafka.security_protocol,
        sasl_mechanism=kafka.sasl_mechanism or "PLAIN",
        sasl_plain_username=kafka.sasl_username,
        sasl_plain_password=password,
    )


@dataclass
class Send:
    """Records submitted as one Kafka batch, and the future of that batch."""

    records: list[OutboundRecord]
    future: asyncio.Future[Any]


def _append(builder: Any, record: OutboundRecord) -> bool:
    """False when the batch is full (aiokafka closes it then)."""
    meta = builder.append(
        key=record.key, value=record.value, timestamp=None, headers=record.headers
    )
    return meta is not None


class KafkaWriter:
    def __init__(
        self, name: str, producer: AIOKafkaProducer, stats: BridgeStats, retry_backoff_s: float
    ) -> None:
        self.name = name
        self.producer = producer
        self.stats = stats
        self.retry_backoff_s = retry_backoff_s
        self._partitions: dict[tuple[str, bytes], int] = {}

    async def partition(self, topic: str, key: bytes) -> int:
        # Same choice as aiokafka's default partitioner (murmur2, Java-compatible), computed
        # once per device instead of per record.
        cached = self._partitions.get((topic, key))
        if cached is None:
            ordered = sorted(await self._metadata(topic))
            cached = ordered[(murmur2(key) & 0x7FFFFFFF) % len(ordered)]
            self._partitions[(topic, key)] = cached
        return cached

    async def _metadata(self, topic: str) -> set[int]:
        while True:
            try:
                parts: set[int] = await self.producer.partitions_for(topic)
                return parts
            except KafkaError as exc:  # Kafka away at start: wait for it, read nothing new
                self.stats.kafka_retries += 1
                log.warning("%s: no metadata for %s (%r); retrying", self.name, topic, exc)
                await asyncio.sleep(self.retry_backoff_s)

    async def send_all(self, records: list[OutboundRecord]) -> list[Send]:
        """Records -> one Kafka batch per partition (more if full), in record order per
        partition: aiokafka's batch API costs a fraction of `send()` per record."""
        groups: dict[tuple[str, int], list[OutboundRecord]] = {}
        for record in records:
            part = await self.partition(record.topic, record.key)
            groups.setdefault((record.topic, part), []).append(record)
        sends: list[Send] = []
        for (topic, part), group in groups.items():
            builder = self.producer.create_batch()
            chunk: list[OutboundRecord] = []
            for record in group:
                if chunk and not _append(builder, record):
                    sends.append(Send(chunk, await self._send_batch(builder, topic, part)))
                    builder, chunk = self.producer.create_batch(), []
                if not chunk and not _append(builder, record):
                    raise ValueError(f"a {len(record.value)}-byte record exceeds a Kafka batch")
                chunk.append(record)
            sends.append(Send(chunk, await self._send_batch(builder, topic, part)))
        return sends

    async def _send_batch(self, builder: Any, topic: str, part: int) -> asyncio.Future[Any]:
        while True:
            try:
                fut: asyncio.Future[Any] = await self.producer.send_batch(
                    builder, topic, partition=part
                )
                return fut
            except KafkaError as exc:  # buffer full / no metadata while Kafka is away
                self.stats.kafka_retries += 1
                log.warning("%s: Kafka send failed (%r); retrying", self.name, exc)
                await asyncio.sleep(self.retry_backoff_s)

    async def until_written(self, sends: list[Send]) -> None:
        # Never drop, never ack: writes that failed are sent again, in their original order,
        # until Kafka takes them. One back-off per round, not per record.
        while True:
            results = await asyncio.gather(*(s.future for s in sends), return_exceptions=True)
            failed = [
                (s, e) for s, e in zip(sends, results, strict=True) if isinstance(e, BaseException)
            ]
            if not failed:
                return
            for _, exc in failed:
                if not isinstance(exc, KafkaError):
                    raise exc
            retry = [record for s, _ in failed for record in s.records]
            self.stats.kafka_retries += len(retry)
            log.warning(
                "%s: %d Kafka writes failed (%r); retrying",
                self.name,
                len(retry),
                failed[0][1],
            )
            await asyncio.sleep(self.retry_backoff_s)
            sends = await self.send_all(retry)
