"""The Kafka side of a lane: records -> per-partition batches, written until Kafka takes them.

Partitioning is Kafka's default (runtime.partitioner: murmur2 of the key), computed once per
device. aiokafka's batch API costs a fraction of `send()` per record. Failed writes are sent
again in their original order, forever: the lane never acknowledges what Kafka did not take.
Each send remembers the offset floor and epoch of its partition (ingest/kafka_integrity.py),
so its answer can be judged against a broker that lost its data meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, UnknownTopicOrPartitionError

from events.connections import KafkaConnection
from ingest.config import IngestConfig
from ingest.core import OutboundRecord
from ingest.kafka_integrity import Integrity
from ingest.kafka_watch import Written
from ingest.stats import BridgeStats
from runtime.health import Flag
from runtime.kafka import producer_settings
from runtime.partitioner import partition_for_key

log = logging.getLogger(__name__)


def make_producer(kafka: KafkaConnection, config: IngestConfig, lane: str) -> AIOKafkaProducer:
    """acks=all, idempotent where the broker has it (runtime.kafka). The priority lane sends
    at once (linger 0): an alarm never waits for a batch to fill."""
    return AIOKafkaProducer(
        **producer_settings(
            kafka,
            client_id=f"{config.bridge_id}-{lane}",
            linger_ms=config.kafka_linger_ms if lane == "telemetry" else 0,
            max_batch_bytes=config.kafka_max_batch_bytes,
            request_timeout_ms=config.kafka_request_timeout_ms,
        )
    )


@dataclass
class Send:
    """Records submitted as one Kafka batch, the future of that batch, and where its
    partition's confirmed writes ended (`floor`) in which epoch when it was sent."""

    records: list[OutboundRecord]
    future: asyncio.Future[Any]
    topic: str = ""
    partition: int = 0
    floor: int | None = None
    epoch: int = 0


def _failed(exc: KafkaError) -> asyncio.Future[Any]:
    failed: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    failed.set_exception(exc)
    return failed


def _append(builder: Any, record: OutboundRecord) -> bool:
    """False when the batch is full (aiokafka closes it then)."""
    meta = builder.append(
        key=record.key, value=record.value, timestamp=None, headers=record.headers
    )
    return meta is not None


class KafkaWriter:
    def __init__(  # noqa: PLR0917 - the benchmark builds one positionally (benchmarks/ingest.py)
        self,
        name: str,
        producer: AIOKafkaProducer,
        stats: BridgeStats,
        retry_backoff_s: float,
        writable: Flag | None = None,
        integrity: Integrity | None = None,
    ) -> None:
        self.name = name
        self.producer = producer
        self.stats = stats
        self.retry_backoff_s = retry_backoff_s
        # Readiness: cleared while a write or metadata request fails, set when one succeeds.
        self.writable = writable or Flag(is_set=True)
        self.integrity = integrity
        self._partitions: dict[tuple[str, bytes], int] = {}
        self._refresh: asyncio.Future[bool] | None = None

    def forget_partitions(self) -> None:
        """After a broker came back without its data: the topics may have other partitions
        (Tansu creates a missing topic on first use with its own count), and the next write
        waits for the producer's fresh metadata. Choosing from the stale metadata would pick a
        partition the topic no longer has: aiokafka's send asserts on it once the refresh
        lands, or the write is refused and retried to the same partition for ever."""
        self._partitions.clear()
        self._refresh = self.producer.client.force_metadata_update()

    async def partition(self, topic: str, key: bytes) -> int:
        # Kafka's default partitioner, as a producer without an explicit partition would
        # choose (runtime.partitioner), computed once per device instead of per record.
        cached = self._partitions.get((topic, key))
        if cached is None:
            while self._refresh is not None:
                if await self._refresh:
                    self._refresh = None
                else:  # no broker answered: ask again, as `_metadata` waits for Kafka
                    await asyncio.sleep(self.retry_backoff_s)
                    self._refresh = self.producer.client.force_metadata_update()
            ordered = sorted(await self._metadata(topic))
            cached = ordered[partition_for_key(key, len(ordered))]
            self._partitions[(topic, key)] = cached
        return cached

    async def _metadata(self, topic: str) -> set[int]:
        while True:
            try:
                parts: set[int] = await self.producer.partitions_for(topic)
                self.writable.set()
                return parts
            except KafkaError as exc:  # Kafka away at start: wait for it, read nothing new
                self.writable.clear()
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
                    sends.append(await self._send(chunk, builder, topic, part))
                    builder, chunk = self.producer.create_batch(), []
                if not chunk and not _append(builder, record):
                    raise ValueError(f"a {len(record.value)}-byte record exceeds a Kafka batch")
                chunk.append(record)
            sends.append(await self._send(chunk, builder, topic, part))
        return sends

    async def _send(self, chunk: list[OutboundRecord], builder: Any, topic: str, part: int) -> Send:
        integrity = self.integrity
        floor = integrity.floor((topic, part)) if integrity is not None else None
        epoch = integrity.epoch if integrity is not None else 0
        future = await self._send_batch(builder, topic, part)
        return Send(chunk, future, topic, part, floor, epoch)

    async def _send_batch(self, builder: Any, topic: str, part: int) -> asyncio.Future[Any]:
        while True:
            try:
                fut: asyncio.Future[Any] = await self.producer.send_batch(
                    builder, topic, partition=part
                )
                return fut
            except AssertionError:
                # aiokafka asserts the partition is in its metadata: the topic came back with
                # fewer partitions (a broker that lost its data). A failed write, then, which
                # `until_written` holds once the watch has named the loss (CI, stop 22: the
                # assertion escaped and the held messages were never written).
                return _failed(UnknownTopicOrPartitionError(f"{topic} has no partition {part}"))
            except KafkaError as exc:  # buffer full / no metadata while Kafka is away
                self.writable.clear()
                self.stats.kafka_retries += 1
                log.warning("%s: Kafka send failed (%r); retrying", self.name, exc)
                await asyncio.sleep(self.retry_backoff_s)

    async def until_written(self, sends: list[Send]) -> list[Written] | None:
        """Never drop, never ack: writes that failed are sent again, in their original order,
        until Kafka takes them (one back-off per round, not per record). Returns what Kafka
        answered for each write, for the integrity watch to judge; None when the broker was
        found to have lost its data meanwhile (the caller writes it all again later: sending
        now could have Tansu create a missing topic with its own partition count)."""
        done: list[Written] = []
        while True:
            results = await asyncio.gather(*(s.future for s in sends), return_exceptions=True)
            failed = [
                (s, e) for s, e in zip(sends, results, strict=True) if isinstance(e, BaseException)
            ]
            done += [
                ((s.topic, s.partition), s.floor, s.epoch, int(r.offset), len(s.records))
                for s, r in zip(sends, results, strict=True)
                if not isinstance(r, BaseException)
            ]
            if not failed:
                self.writable.set()
                return done
            self.writable.clear()
            for _, exc in failed:
                if not isinstance(exc, KafkaError):
                    raise exc
            if self.integrity is not None and not self.integrity.is_intact:
                return None
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
