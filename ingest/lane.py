"""One lane of the bridge: an MQTT session (lane_session.py), a Kafka producer, and
ack-after-write in order.

Flow: the socket becomes readable -> paho parses PUBLISHes -> `_on_publish` runs the pure core
and appends to the current batch -> the batch goes to the writer (Kafka sends, in receive
order; batches that queued up meanwhile go out as one) -> the confirmer awaits the writes,
retries failures forever, has the integrity watch vouch for them, then PUBACKs the batch.

In-flight is bounded by the lane itself: MQTT v5 Receive Maximum (§3.1.2.11.3) should stop
the broker at `window` unacknowledged messages, but Mosquitto 2.0.11 releases up to a whole
window per PUBACK once its queue for us is not empty (issue 19: 98,000 in flight with a window
of 2,000). So the lane closes its receive gate (ingest/paho_compat.py) at `window` messages
read and not yet written, QoS 0 included, and stops watching the socket until acks reopen it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import paho.mqtt.client as mqtt
from aiokafka import AIOKafkaProducer

from events.connections import MqttConnection
from events.deadletter import DeadLetterReason
from events.sequence import AnomalyType, SequenceAnomaly
from ingest.core import (
    Accepted,
    InboundMessage,
    IngestCore,
    Outcome,
    anomaly_record,
)
from ingest.kafka_watch import KafkaWatch
from ingest.kafka_writer import KafkaWriter
from ingest.lane_batch import Batch, coalesce
from ingest.lane_session import LaneSession, LaneSpec
from ingest.log_limit import LogLimiter
from ingest.sequence import SequenceTracker
from ingest.stats import BridgeStats
from ingest.urgency import is_urgent
from runtime.clock import Clock
from runtime.health import Health

log = logging.getLogger(__name__)

_MAX_PACKETS_PER_WAKE = 512


class Lane:
    def __init__(
        self,
        *,
        spec: LaneSpec,
        mqtt_conn: MqttConnection,
        producer: AIOKafkaProducer,
        core: IngestCore,
        tracker: SequenceTracker,
        stats: BridgeStats,
        clock: Clock,
        health: Health,
        watch: KafkaWatch,
        on_gaps: Callable[[list[SequenceAnomaly]], None] = lambda anomalies: None,
    ) -> None:
        self.spec = spec
        self.core, self.tracker, self.stats, self.clock = core, tracker, stats, clock
        self.lane_stats = stats.lane(spec.name)
        self.watch = watch
        self.on_gaps = on_gaps
        self.mqtt = LaneSession(
            spec, mqtt_conn, health=health, stats=self.lane_stats, on_lost=self._on_lost
        )
        self.client = self.mqtt.client
        self.client.on_publish_fast = self._on_publish
        self.subscribed = self.mqtt.subscribed
        # Readiness: cleared while Kafka refuses our writes (the MQTT side: LaneSession).
        writable = health.ready_flag(f"kafka.{spec.name}.writable", is_set=True)
        self.kafka = KafkaWriter(
            spec.name, producer, stats, spec.retry_backoff_s, writable, watch.integrity
        )
        self.failed = asyncio.Event()
        self.errors = LogLimiter(log, f"{spec.name}: core failed")
        self.rejects = LogLimiter(log, f"{spec.name}: dead-lettered")
        self._generation = 0
        self._batch = Batch(0)
        self._unwritten = 0  # messages read whose batch is not through the confirmer yet
        self._flush_at = max(1, spec.receive_maximum // 4)
        self._is_holding = False  # not watching the socket: the window is full
        self._now = clock.now()
        self._now_iso = self._now.isoformat().encode()
        self._writes: asyncio.Queue[Batch] = asyncio.Queue()
        self._confirms: asyncio.Queue[Batch] = asyncio.Queue()
        self._idle = asyncio.Event()
        # Set when a held write should go at once: an urgent reading queued (ingest/urgency.py),
        # the window half full, or draining. Cleared by the write that takes them all.
        self._pressure = asyncio.Event()
        self._is_draining = False
        self._tasks: list[asyncio.Task[None]] = []

    # --- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._writer(), name=f"{self.spec.name}-writer"),
            loop.create_task(self._confirmer(), name=f"{self.spec.name}-confirmer"),
        ]
        for task in self._tasks:
            task.add_done_callback(self._task_done)
        self.mqtt.start(self._on_readable)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        # A writer or confirmer that died would leave the lane reading nothing, acking
        # nothing, looking alive. Say so: the process exits and its supervisor restarts it
        # (nothing is lost: what was not acknowledged is redelivered).
        if not task.cancelled() and task.exception() is not None:
            log.critical(
                "%s: %s failed", self.spec.name, task.get_name(), exc_info=task.exception()
            )
            self.failed.set()

    async def drain(self, timeout_s: float) -> bool:
        """Stop reading, then wait until every message read so far is written and acked."""
        self.mqtt.stop_reading()
        self._flush_batch()
        self._is_draining = True
        self._pressure.set()  # nothing more is coming: a held write goes now
        if self.lane_stats.in_flight > 0:
            self._idle.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), timeout_s)
        return self.lane_stats.in_flight == 0

    async def close(self) -> None:
        await self.mqtt.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- reading (all on the event-loop thread) -----------------------------------------------

    def _on_lost(self) -> None:
        # Unacked messages of the old connection will be redelivered (same packet ids,
        # v5 §4.4); acking them on the new connection could ack a different message. What
        # was read is still written (counters reconcile; the redelivery is a duplicate).
        self._flush_batch()
        self._generation += 1
        self._batch = Batch(self._generation)
        self.lane_stats.in_flight = 0
        self._is_holding = False  # a new socket is watched from its start
        self._set_gate()
        self._idle.set()

    def _on_readable(self) -> None:
        self._now = now = self.clock.now()
        self._now_iso = now.isoformat().encode()
        client = self.client
        for _ in range(_MAX_PACKETS_PER_WAKE):
            client.drain_publishes()
            if client.is_publish_held():
                self._is_holding = True
                self.lane_stats.holds += 1
                self.mqtt.hold_reading()
                break
            if client.loop_read() != mqtt.MQTT_ERR_SUCCESS or not client.has_buffered():
                break
        else:
            # Bytes left in our buffer will not make the socket readable again.
            asyncio.get_running_loop().call_soon(self._on_readable)
        self._flush_batch()

    def _set_gate(self) -> None:
        self.client.is_publish_gate_open = self._unwritten < self.spec.receive_maximum

    def _on_publish(  # noqa: PLR0917 - the per-message hook: positional, no wrapper object
        self, topic_b: bytes, payload: bytes, qos: int, is_retained: bool, is_dup: bool, mid: int
    ) -> None:
        self.lane_stats.received += 1
        if self._batch.messages >= self._flush_at:
            # A quarter of the window goes to the writer at once: its write and ack overlap
            # the reading of the next quarter instead of the whole window waiting on one.
            self._flush_batch()
        batch = self._batch
        batch.messages += 1
        self._unwritten += 1
        if qos > 0:
            batch.mids.append(mid)
            stats = self.lane_stats
            stats.in_flight += 1
            stats.in_flight_peak = max(stats.in_flight_peak, stats.in_flight)
        if self._unwritten >= self.spec.receive_maximum:
            self.client.is_publish_gate_open = False
        try:
            topic: str | None = topic_b.decode("utf-8")
        except UnicodeDecodeError:
            topic = None
        if topic is not None and self.core.is_elsewhere(topic, self.spec.channels):
            batch.skipped += 1  # a command, a page, the other lane's alarm: acked, not ours
            return
        inbound = InboundMessage(
            topic if topic is not None else repr(topic_b), payload, qos, is_retained, is_dup
        )
        self._record(batch, inbound, is_topic_utf8=topic is not None)

    def _record(self, batch: Batch, inbound: InboundMessage, is_topic_utf8: bool) -> None:
        outcome = self._outcome(inbound, is_topic_utf8)
        batch.records.append(outcome.record)
        if not isinstance(outcome, Accepted):
            batch.dead_lettered += 1
            letter = outcome.dead_letter
            self.stats.dead_letter_reasons[letter.reason] += 1
            self.rejects.warning(letter.reason.value, f"{letter.reason.value} on {inbound.topic}")
            if outcome.fault is not None:  # a known device's sensor failed (issue #15.3)
                batch.records.append(outcome.fault)
            return
        batch.published += 1
        if self.spec.hold_s and not batch.is_urgent and is_urgent(outcome.reading):
            batch.is_urgent = True  # it may start a P1: the hold ends (ingest/urgency.py)
            self.lane_stats.urgent += 1
        if outcome.is_sequence_checked:
            anomalies = self.tracker.observe(outcome.reading, self._now, inbound.is_dup)
            for anomaly in anomalies:
                self.stats.anomalies[anomaly.anomaly] += 1
                batch.records.append(anomaly_record(anomaly, self.core.config.bridge_id))
            if anomalies:
                self.stats.missing_readings += sum(
                    a.missing_count for a in anomalies if a.anomaly is AnomalyType.GAP
                )
                self.on_gaps(anomalies)

    def _outcome(self, inbound: InboundMessage, is_topic_utf8: bool) -> Outcome:
        if not is_topic_utf8:
            return self.core.reject(
                inbound, DeadLetterReason.BAD_TOPIC, "topic is not UTF-8", self._now
            )
        try:
            return self.core.process(inbound, self._now, self._now_iso)
        except Exception as exc:
            # A bug of ours must not lose the message (its ack is already counted on) nor
            # crash the bridge on every redelivery: dead-letter it, loudly but once a while
            # (a flood of one bad input must not become a flood of tracebacks).
            self.errors.exception(inbound.topic, exc)
            return self.core.reject(
                inbound, DeadLetterReason.BRIDGE_ERROR, f"bridge error: {exc!r}", self._now
            )

    def _flush_batch(self) -> None:
        if self._batch.messages or self._batch.records:
            self._batch.read_at = asyncio.get_running_loop().time()
            self._writes.put_nowait(self._batch)
            if self._batch.is_urgent or self._is_pressed():
                self._pressure.set()
            self._batch = Batch(self._generation)

    # --- Kafka side ---------------------------------------------------------------------------

    async def _writer(self) -> None:
        # One writer, batches in receive order: a device's records reach its partition in
        # order. Batches that queued while a write was under way go out as one: live traffic
        # arrives a few messages per wake, and aiokafka keeps one batch per partition in
        # flight, so writing each wake's batch alone capped the live rate far below the
        # drain rate of a backlog (issue 19).
        later: Batch | None = None
        while True:
            batch = later or await self._writes.get()
            await self._hold(batch)
            later = coalesce(batch, self._writes)
            if later is None:  # every batch queued, urgent ones too, is in this write
                self._pressure.clear()
            await self.watch.wait_intact()
            batch.sends = await self.kafka.send_all(batch.records)
            self.lane_stats.writes += 1
            self._confirms.put_nowait(batch)

    def _is_pressed(self) -> bool:
        return self._is_draining or self._unwritten >= max(1, self.spec.receive_maximum // 2)

    async def _hold(self, batch: Batch) -> None:
        """Let what arrives within the hold join this write (fewer, larger Kafka batches).
        A window half full (a backlog draining) or a drain writes at once: the hold must
        never cap the lane's rate at a window per hold."""
        wait_s = batch.read_at + self.spec.hold_s - asyncio.get_running_loop().time()
        if wait_s <= 0 or self._pressure.is_set() or self._is_pressed():
            return
        self.lane_stats.held_writes += 1
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait_s):
                await self._pressure.wait()

    async def _confirmer(self) -> None:
        while True:
            batch = await self._confirms.get()
            await self._until_vouched(batch)
            self.lane_stats.published += batch.published
            self.lane_stats.dead_lettered += batch.dead_lettered
            self.lane_stats.skipped += batch.skipped
            self._unwritten -= batch.messages
            self._ack(batch)

    async def _until_vouched(self, batch: Batch) -> None:
        """Written, and kept by a broker that did not lose it (ingest/kafka_integrity.py);
        else held until Kafka has the topics again, and written again."""
        while True:
            written = await self.kafka.until_written(batch.sends)
            if written is not None and await self.watch.vouch(written):
                for (topic, _), _floor, _epoch, _base, count in written:
                    self.stats.records_by_topic[topic] += count
                return
            await self.watch.wait_intact()
            batch.sends = await self.kafka.send_all(batch.records)

    def _ack(self, batch: Batch) -> None:
        if batch.generation == self._generation and batch.mids:
            self.client.ack_many(batch.mids)
            self.lane_stats.acked += len(batch.mids)
            self.lane_stats.in_flight -= len(batch.mids)
        # else: written, but its connection is gone: the broker redelivers (dup downstream)
        if self.lane_stats.in_flight == 0:
            self._idle.set()
        self._set_gate()
        if self._is_holding and self.client.is_publish_gate_open:
            self._is_holding = False
            self.mqtt.resume_reading()
            asyncio.get_running_loop().call_soon(self._on_readable)
