"""The sink loop: consume readings, batch, write, then commit. Nothing is silently dropped.

Invariants:
- offsets are committed only after the batch holding those records was written;
- while the database refuses writes, every assigned partition is paused and the loop keeps
  polling (so the group keeps the member) without taking records; it resumes and catches up
  from the uncommitted offsets when a write succeeds again;
- a record that is not a reading is named (log with topic/partition/offset, metric by reason)
  and stays in Kafka; it is never written half-parsed.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from aiokafka.errors import KafkaError

from events.codec import decode_reading
from events.errors import ContractViolation
from streams.telemetry.batch import Backoff, Batch, Batcher
from streams.telemetry.config import SinkConfig
from streams.telemetry.errors import UnusableRecord, WriteFailed
from streams.telemetry.lines import to_line
from streams.telemetry.metrics import SinkMetrics
from streams.telemetry.writer import LineWriter

log = logging.getLogger(__name__)

# While stalled, poll at least this often: keeps the group membership (max.poll.interval.ms)
# and notices a stop request promptly.
_STALLED_POLL_S = 1.0


class ConsumerRecord(Protocol):
    topic: str
    partition: int
    offset: int
    value: bytes | None


class Consumer(Protocol):
    """The part of aiokafka's AIOKafkaConsumer the sink uses (fakes implement it in tests)."""

    async def getmany(self, *, timeout_ms: int, max_records: int | None) -> Mapping[Any, Any]: ...

    def assignment(self) -> set[Any]: ...

    def pause(self, *partitions: Any) -> None: ...

    def resume(self, *partitions: Any) -> None: ...

    def highwater(self, partition: Any) -> int | None: ...

    async def commit(self, offsets: Mapping[Any, int]) -> None: ...


def _ms(seconds: float) -> int:
    # Rounded up: a 0 ms poll on a batch due in 0.4 ms would spin without waiting.
    return max(0, math.ceil(seconds * 1000))


def line_of(record: ConsumerRecord) -> str:
    """The line-protocol line of one Kafka record, or UnusableRecord naming why not."""
    if record.value is None:
        raise UnusableRecord("empty", "record has no value (tombstone)")
    try:
        return to_line(decode_reading(record.value))
    except ContractViolation as exc:
        raise UnusableRecord(str(exc.reason), exc.message) from None


class TelemetrySink:
    def __init__(
        self,
        config: SinkConfig,
        consumer: Consumer,
        writer: LineWriter,
        metrics: SinkMetrics,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        topic_partition: Callable[[str, int], Any] | None = None,
    ) -> None:
        self._config = config
        self._consumer = consumer
        self._writer = writer
        self._metrics = metrics
        self._clock = clock
        self._batcher = Batcher(config.batch_size, config.flush_interval_s)
        self._backoff = Backoff(config.retry_initial_s, config.retry_max_s, rng or random.Random(0))
        self._next_offsets: dict[tuple[str, int], int] = {}
        self._tp = topic_partition or (lambda topic, partition: (topic, partition))
        self.is_stalled = False
        self.last_tick_s = clock()

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set; then flush what is pending (commit only if written)."""
        while not stop.is_set():
            await self.step(stop)
        if len(self._batcher):
            await self._flush(stop=None)

    async def step(self, stop: asyncio.Event | None = None) -> None:
        """One poll, and a flush when the batch is due."""
        self.last_tick_s = self._clock()
        wait_s = self._batcher.seconds_until_due(self.last_tick_s)
        wait_s = self._config.flush_interval_s if wait_s is None else wait_s
        records = await self._consumer.getmany(
            timeout_ms=_ms(wait_s), max_records=self._batcher.room() or 1
        )
        self._take(records)
        self._update_lag()
        if self._batcher.is_due(self._clock()):
            await self._flush(stop)

    def _take(self, records: Mapping[Any, Sequence[ConsumerRecord]]) -> None:
        for batch in records.values():
            self._metrics.records_consumed.inc(len(batch))
            for record in batch:
                self._next_offsets[(record.topic, record.partition)] = record.offset + 1
                try:
                    line: str | None = line_of(record)
                except UnusableRecord as exc:
                    line = None
                    self._metrics.records_skipped.labels(exc.reason).inc()
                    log.error(
                        "skipped %s/%d@%d, not a reading: %s",
                        record.topic,
                        record.partition,
                        record.offset,
                        exc,
                    )
                now_s = self._clock()
                self._batcher.add(record.topic, record.partition, record.offset, line, now_s)

    def _update_lag(self) -> None:
        lag = 0
        for tp in self._consumer.assignment():
            high = self._consumer.highwater(tp)
            consumed = self._next_offsets.get((tp.topic, tp.partition))
            if high is not None and consumed is not None:
                lag += max(0, high - consumed)
        self._metrics.consumer_lag.set(lag)

    async def _flush(self, stop: asyncio.Event | None) -> None:
        batch = self._batcher.take()
        if batch.lines and not await self._write_until_done(batch, stop):
            log.warning(
                "stopping with %d records unwritten: not committed, re-read on restart",
                batch.record_count,
            )
            return
        await self._commit(batch)

    async def _write_until_done(self, batch: Batch, stop: asyncio.Event | None) -> bool:
        while True:
            started_s = self._clock()
            try:
                await self._writer.write(batch.lines)
            except WriteFailed as exc:
                self._metrics.write_retries.labels(exc.reason).inc()
                if stop is None or stop.is_set():
                    return False
                await self._stall(exc, stop)
                continue
            self._record_written(batch, self._clock() - started_s)
            return True

    async def _stall(self, exc: WriteFailed, stop: asyncio.Event) -> None:
        """Pause every partition and wait out one backoff delay, still polling."""
        if not self.is_stalled:
            log.warning("database refuses writes (%s): pausing consumption", exc)
            self.is_stalled = True
            self._metrics.stalled.set(1)
        deadline_s = self._clock() + self._backoff.next_delay_s()
        while not stop.is_set():
            self.last_tick_s = self._clock()
            remaining_s = deadline_s - self.last_tick_s
            if remaining_s <= 0:
                return
            # Re-pause on every poll: a rebalance hands over partitions unpaused.
            self._consumer.pause(*self._consumer.assignment())
            late = await self._consumer.getmany(
                timeout_ms=_ms(min(remaining_s, _STALLED_POLL_S)), max_records=None
            )
            self._take(late)  # fetched before the pause took hold: kept for the next batch

    def _record_written(self, batch: Batch, elapsed_s: float) -> None:
        if self.is_stalled:
            log.info("database takes writes again: resuming consumption")
            self.is_stalled = False
            self._metrics.stalled.set(0)
            self._consumer.resume(*self._consumer.assignment())
        self._backoff.reset()
        for measurement, count in batch.points_by_measurement.items():
            self._metrics.points_written.labels(measurement).inc(count)
        self._metrics.batches.inc()
        self._metrics.batch_points.observe(len(batch.lines))
        self._metrics.write_seconds.observe(elapsed_s)
        self._metrics.last_write.set(time.time())

    async def _commit(self, batch: Batch) -> None:
        assigned = {(tp.topic, tp.partition) for tp in self._consumer.assignment()}
        offsets = {
            self._tp(topic, partition): offset
            for (topic, partition), offset in batch.commit_offsets.items()
            if (topic, partition) in assigned
        }
        if len(offsets) < len(batch.commit_offsets):
            # Revoked while the batch was written: the new owner re-reads those records and
            # rewrites the same points (same series and time), which is harmless.
            self._metrics.commit_failures.inc()
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except KafkaError as exc:  # CommitFailedError, IllegalStateError: rebalance
            self._metrics.commit_failures.inc()
            log.warning("offset commit refused (%s): records will be re-read", exc)
