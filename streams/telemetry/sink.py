"""The sink loop: consume readings, batch, write, then commit. Nothing is silently dropped.

Invariants:
- offsets are committed only after the batch holding those records was written;
- one batch is written (in the background) while the next one fills: writes and commits happen
  in batch order, never two at once, so a commit never passes an unwritten record;
- while the database refuses writes (or is slower than the stream), the next batch fills, then
  every assigned partition is paused and the loop keeps polling (so the group keeps the member)
  without taking records; it resumes and catches up when a write succeeds again;
- a record that is not a reading is named (log with topic/partition/offset, metric by reason)
  and stays in Kafka; it is never written half-parsed.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from aiokafka.errors import KafkaError

from events.codec import decode_reading
from events.errors import ContractViolation
from events.readings import Reading
from runtime.clock import Clock, SystemClock
from runtime.health import Health
from streams.telemetry.batch import Backoff, Batch, Batcher
from streams.telemetry.config import SinkConfig
from streams.telemetry.consumer import Consumer, ConsumerRecord
from streams.telemetry.errors import UnusableRecord, WriteFailed
from streams.telemetry.metrics import SinkMetrics
from streams.telemetry.templates import to_line
from streams.telemetry.writer import LineWriter

log = logging.getLogger(__name__)

# Liveness: the loop ticks at least once per poll (<= 1 s while stalled); a minute of silence
# means it hangs, and a restart is the cure. A database outage is not a reason to restart.
LIVENESS_S = 60.0
# While stalled, poll at least this often: keeps the group membership (max.poll.interval.ms)
# and notices a stop request promptly.
_STALLED_POLL_S = 1.0
# Records decoded between two turns of the event loop (about 3 ms of work): often enough for
# the write in flight and the consumer's own tasks, rarely enough to cost nothing.
_DECODE_SLICE = 500


def _ms(seconds: float) -> int:
    # Rounded up: a 0 ms poll on a batch due in 0.4 ms would spin without waiting.
    return max(0, math.ceil(seconds * 1000))


def reading_of(record: ConsumerRecord) -> Reading:
    """The reading of one Kafka record, or UnusableRecord naming why not."""
    if record.value is None:
        raise UnusableRecord("empty", "record has no value (tombstone)")
    try:
        return decode_reading(record.value)
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
        clock: Clock | None = None,
        rng: random.Random | None = None,
        topic_partition: Callable[[str, int], Any] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._config = config
        self._consumer = consumer
        self._writer = writer
        self._metrics = metrics
        self._clock = clock or SystemClock()
        self._batcher = Batcher(config.batch_size, config.flush_interval_s)
        self._backoff = Backoff(config.retry_initial_s, config.retry_max_s, rng or random.Random(0))
        self._next_offsets: dict[tuple[str, int], int] = {}
        self._tp = topic_partition or (lambda topic, partition: (topic, partition))
        self._sleep = sleep
        self._in_flight: asyncio.Task[bool] | None = None
        self._is_paused = False
        self._has_unwritten = False  # a batch was given up (stopping): commit nothing more
        self.is_stalled = False
        self.has_partitions = False  # read by the HTTP thread: a plain bool, set by the loop
        self.last_tick_s = self._clock.monotonic_s()

    def register_health(self, health: Health) -> None:
        """Alive while the loop ticks; ready while it holds partitions of its group and the
        database takes writes (a stalled sink keeps its partitions paused and catches up when
        writes succeed again)."""
        health.add_live("sink.loop_ticking", self.is_ticking)
        health.add_ready("kafka.assigned", lambda: self.has_partitions)
        health.add_ready("influx.writing", self.is_writing)

    def is_ticking(self) -> bool:
        return self._clock.monotonic_s() - self.last_tick_s < LIVENESS_S

    def is_writing(self) -> bool:
        return not self.is_stalled

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set; then finish the write in flight and flush what is pending, each
        committed only if written."""
        while not stop.is_set():
            await self.step(stop)
        if self._in_flight is not None:
            self._has_unwritten |= not await self._in_flight
            self._in_flight = None
        if len(self._batcher) and not await self._write_and_commit(self._batcher.take(), None):
            log.warning("stopping with batches unwritten: not committed, re-read on restart")

    async def step(self, stop: asyncio.Event) -> None:
        """One poll. A due batch starts writing in the background while the next one fills;
        when the next is due too and the write is still going (slow database), or the database
        refuses writes, the partitions stay paused until it ends: at most two batches in
        memory."""
        self.last_tick_s = self._clock.monotonic_s()
        self._reap()
        is_due = self._batcher.is_due(self.last_tick_s)
        if self._in_flight is not None and (is_due or self.is_stalled):
            await self._wait_for_writer()
            return
        if is_due:
            self._in_flight = asyncio.create_task(
                self._write_and_commit(self._batcher.take(), stop)
            )
        self._set_paused(False)
        wait_s = self._batcher.seconds_until_due(self.last_tick_s)
        wait_s = self._config.flush_interval_s if wait_s is None else wait_s
        records = await self._consumer.getmany(
            timeout_ms=_ms(wait_s), max_records=self._batcher.room() or 1
        )
        await self._take(records)
        self.has_partitions = bool(self._consumer.assignment())
        self._update_lag()

    def _reap(self) -> None:
        if self._in_flight is not None and self._in_flight.done():
            task, self._in_flight = self._in_flight, None
            # result() re-raises what the write task did not handle: never swallowed.
            self._has_unwritten |= not task.result()

    async def _wait_for_writer(self) -> None:
        self._set_paused(True)
        assert self._in_flight is not None
        await asyncio.wait({self._in_flight}, timeout=_STALLED_POLL_S)
        # Still a poll (the group keeps the member: max.poll.interval.ms); paused partitions
        # give nothing, but records fetched before the pause took hold are kept, not lost.
        await self._take(await self._consumer.getmany(timeout_ms=0, max_records=None))
        self._update_lag()  # the lag grows while the database is down: show it

    def _set_paused(self, is_paused: bool) -> None:
        partitions = self._consumer.assignment()
        if is_paused:
            # Every time: a rebalance hands over partitions unpaused.
            self._consumer.pause(*partitions)
        elif self._is_paused:
            self._consumer.resume(*partitions)
        self._is_paused = is_paused

    async def _take(self, records: Mapping[Any, Sequence[ConsumerRecord]]) -> None:
        """Decode and batch, a slice at a time, letting the loop run in between: the write in
        flight sends its request and the database works on it while the next batch decodes."""
        for partition_records in records.values():
            self._metrics.records_consumed.inc(len(partition_records))
            for start in range(0, len(partition_records), _DECODE_SLICE):
                self._add(partition_records[start : start + _DECODE_SLICE])
                await asyncio.sleep(0)

    def _add(self, records: Sequence[ConsumerRecord]) -> None:
        """Records of one partition, in offset order."""
        lines: list[str] = []
        measurements: list[str] = []
        for record in records:
            try:
                reading = reading_of(record)
            except UnusableRecord as exc:
                self._metrics.records_skipped.labels(exc.reason).inc()
                log.error(
                    "skipped %s/%d@%d, not a reading: %s",
                    record.topic,
                    record.partition,
                    record.offset,
                    exc,
                )
                continue
            lines.append(to_line(reading))
            measurements.append(reading.kind)
        last = records[-1]
        self._next_offsets[(last.topic, last.partition)] = last.offset + 1
        self._batcher.extend(
            last.topic,
            last.partition,
            last.offset,
            lines=lines,
            measurements=measurements,
            record_count=len(records),
            now_s=self._clock.monotonic_s(),
        )

    def _update_lag(self) -> None:
        lag = 0
        for tp in self._consumer.assignment():
            high = self._consumer.highwater(tp)
            consumed = self._next_offsets.get((tp.topic, tp.partition))
            if high is not None and consumed is not None:
                lag += max(0, high - consumed)
        self._metrics.consumer_lag.set(lag)

    async def _write_and_commit(self, batch: Batch, stop: asyncio.Event | None) -> bool:
        if self._has_unwritten:
            return False  # a later commit would pass the records of the unwritten batch
        if batch.lines and not await self._write_until_done(batch, stop):
            self._has_unwritten = True
            return False
        await self._commit(batch)
        return True

    async def _write_until_done(self, batch: Batch, stop: asyncio.Event | None) -> bool:
        """Retry with back-off until written or `stop` (None: one attempt)."""
        while True:
            started_s = self._clock.monotonic_s()
            try:
                await self._writer.write(batch.lines)
            except WriteFailed as exc:
                self._metrics.write_retries.labels(exc.reason).inc()
                if stop is None or stop.is_set():
                    return False
                await self._stall(exc, stop)
                continue
            self._record_written(batch, self._clock.monotonic_s() - started_s)
            return True

    async def _stall(self, exc: WriteFailed, stop: asyncio.Event) -> None:
        """Wait out one back-off delay, consumption paused (the poll loop keeps it so)."""
        if not self.is_stalled:
            log.warning("database refuses writes (%s): pausing consumption", exc)
            self.is_stalled = True
            self._metrics.stalled.set(1)
            # At once, not when the next batch fills: the decode of the next batch no longer
            # runs in one piece, so the retry can come before the poll loop's next turn.
            self._set_paused(True)
        deadline_s = self._clock.monotonic_s() + self._backoff.next_delay_s()
        while not stop.is_set() and (remaining_s := deadline_s - self._clock.monotonic_s()) > 0:
            await self._sleep(min(remaining_s, _STALLED_POLL_S))

    def _record_written(self, batch: Batch, elapsed_s: float) -> None:
        if self.is_stalled:
            log.info("database takes writes again: resuming consumption")
            self.is_stalled = False
            self._metrics.stalled.set(0)
        self._backoff.reset()
        for measurement, count in batch.points_by_measurement.items():
            self._metrics.points_written.labels(measurement).inc(count)
        self._metrics.batches.inc()
        self._metrics.batch_points.observe(len(batch.lines))
        self._metrics.write_seconds.observe(elapsed_s)
        self._metrics.last_write.set(self._clock.now_s())

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
