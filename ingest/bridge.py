"""The bridge: two lanes (priority and telemetry) sharing one core, tracker and counters.

The priority lane has its own MQTT session and its own Kafka producer, so a device alarm
never waits behind telemetry in a broker queue or a producer buffer (GB 26875.1 §4.1.2.3:
fire alarms pre-empt other traffic).

Shared subscriptions (`share_group`) let N bridges split the load. The broker then picks a
bridge per message, so per-device order across bridges is only kept when the broker routes
by topic: EMQX `shared_subscription_strategy = hash_topic`. Mosquitto distributes round-robin;
with Mosquitto, give each bridge its own compounds instead (`compounds`: per-compound
filters) and leave `share_group` unset. Downstream deduplicates by event id either way.

Shared by the lanes: the pure core, the sequence tracker, the Kafka integrity watch
(ingest/kafka_watch.py: a broker that lost its data is never trusted with an ack) and gap
repair (ingest/repair.py: resend requests go out on the telemetry lane's session).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from events.codec import encode_model
from events.connections import KafkaConnection, MqttConnection
from events.sequence import SequenceAnomaly
from events.topics import (
    MQTT_ROOT,
    PRIORITY_CHANNELS,
    UPLINK_CHANNELS,
    Topics,
    priority_subscriptions,
    telemetry_subscriptions,
)
from ingest.config import IngestConfig
from ingest.core import IngestCore
from ingest.kafka_integrity import Integrity
from ingest.kafka_watch import KafkaWatch
from ingest.kafka_writer import make_producer
from ingest.lane import Lane
from ingest.lane_session import LaneSpec
from ingest.repair import GapRepair
from ingest.sequence import SequenceTracker
from ingest.stats import BridgeStats
from runtime.clock import Clock, SystemClock
from runtime.health import Health

log = logging.getLogger(__name__)

# What the bridge writes: each must exist before anything is written or acknowledged.
OUTPUT_TOPICS = (Topics.READINGS, Topics.PRIORITY, Topics.DEAD_LETTER, Topics.SEQUENCE)
_REPAIR_TICK_S = 0.25


@dataclass(frozen=True)
class BridgeOptions:
    mqtt: MqttConnection
    kafka: KafkaConnection
    config: IngestConfig
    registry: frozenset[str] | None = None


class Bridge:
    """`health` receives each lane's readiness checks (runtime.health); the bridge makes its
    own when none is given, so `bridge.health` always reports."""

    def __init__(
        self, options: BridgeOptions, clock: Clock | None = None, health: Health | None = None
    ) -> None:
        cfg = options.config
        self.options = options
        self.stats = BridgeStats()
        self.core = IngestCore(cfg, options.registry)
        self.tracker = SequenceTracker(cfg.bridge_id, cfg.sequence_window)
        self.clock = clock or SystemClock()
        self.health = health or Health()
        # Not ready before the lanes exist (their own checks are registered as they start).
        self._started = self.health.ready_flag("ingest.lanes_started")
        self.lanes: list[Lane] = []
        self._producers: list[AIOKafkaProducer] = []
        self._stopped = False
        self.integrity = Integrity(OUTPUT_TOPICS)
        self._intact = self.health.ready_flag("kafka.intact")
        self.watch: KafkaWatch | None = None
        self.repair = GapRepair(cfg.bridge_id, self.tracker.missing)
        self._tasks: list[asyncio.Task[None]] = []

    def _lane_specs(self) -> list[LaneSpec]:
        cfg = self.options.config
        telemetry = _only(telemetry_subscriptions(cfg.share_group), cfg.compounds)
        priority = _only(priority_subscriptions(cfg.share_group), cfg.compounds)
        return [
            LaneSpec(
                "priority",
                f"{cfg.bridge_id}-priority",
                priority,
                cfg.priority_receive_maximum,
                cfg.session_expiry_s,
                cfg.retry_backoff_s,
                frozenset(PRIORITY_CHANNELS),
            ),
            LaneSpec(
                "telemetry",
                f"{cfg.bridge_id}-telemetry",
                telemetry,
                cfg.receive_maximum,
                cfg.session_expiry_s,
                cfg.retry_backoff_s,
                frozenset(UPLINK_CHANNELS) - frozenset(PRIORITY_CHANNELS),
                hold_s=cfg.telemetry_hold_ms / 1000,
            ),
        ]

    async def start(self) -> None:
        log.info(
            "kafka producer: acks=all, idempotent=%s (flavour %s)",
            self.options.kafka.is_idempotent,
            self.options.kafka.flavour.value,
        )
        specs = self._lane_specs()
        for spec in specs:
            producer = make_producer(self.options.kafka, self.options.config, spec.name)
            await _start_producer(producer, spec.name, self.options.config.retry_backoff_s)
            self._producers.append(producer)
        self.watch = watch = KafkaWatch(
            self.integrity,
            self._producers[-1],
            self._intact,
            self.stats,
            on_recovered=self._kafka_recovered,
        )
        await watch.first_check()
        for spec, producer in zip(specs, self._producers, strict=True):
            lane = Lane(
                spec=spec,
                mqtt_conn=lane_login(self.options.mqtt, spec.name),
                producer=producer,
                core=self.core,
                tracker=self.tracker,
                stats=self.stats,
                clock=self.clock,
                health=self.health,
                watch=watch,
                on_gaps=self._on_gaps,
            )
            self.lanes.append(lane)
            await lane.start()
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(watch.run(), name="kafka-watch"),
            loop.create_task(self._repair_loop(), name="gap-repair"),
        ]
        self._started.set()

    def _kafka_recovered(self) -> None:
        for lane in self.lanes:
            lane.kafka.forget_partitions()

    def _on_gaps(self, anomalies: list[SequenceAnomaly]) -> None:
        self.repair.on_anomalies(anomalies, self.clock.monotonic_s())

    async def _repair_loop(self) -> None:
        """Publishes the resend requests that are due, on the telemetry lane's session."""
        while True:
            await asyncio.sleep(_REPAIR_TICK_S)
            try:
                telemetry = self.lanes[-1]
                for topic, request in self.repair.due(self.clock.now(), self.clock.monotonic_s()):
                    telemetry.mqtt.publish(topic, encode_model(request))
                self.stats.resend_requests = self.repair.requested
            except Exception:
                # Repair is best effort on top of detection: a bug here leaves gaps reported,
                # never the bridge stopped.
                log.exception("gap repair failed; trying again")

    async def wait_failed(self) -> None:
        """Returns when a lane's writer or confirmer died (a bug): stop and exit non-zero."""
        waits = [asyncio.ensure_future(lane.failed.wait()) for lane in self.lanes]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    async def wait_subscribed(self) -> None:
        await asyncio.gather(*(lane.subscribed.wait() for lane in self.lanes))

    async def stop(self, drain_timeout_s: float | None = None) -> None:
        """Stop reading, finish and ack what was read, keep the sessions, close producers,
        all within the deadline: a supervisor kills what overstays (`docker stop` and our
        own stack wait 10 s), and a bridge killed mid-drain acknowledges nothing more."""
        if self._stopped:
            return
        self._stopped = True
        cfg = self.options.config
        timeout_s = cfg.drain_timeout_s if drain_timeout_s is None else drain_timeout_s
        drained = await asyncio.gather(*(lane.drain(timeout_s) for lane in self.lanes))
        if not all(drained):
            log.warning("stopped with messages in flight: the broker redelivers them")
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for lane in self.lanes:
            await lane.close()
        for producer in self._producers:
            try:
                await asyncio.wait_for(producer.stop(), cfg.producer_close_timeout_s)
            except (TimeoutError, KafkaError) as exc:
                log.warning("Kafka producer did not close cleanly (%r)", exc)

    async def run(self, stop: asyncio.Event) -> BridgeStats:
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()
        return self.stats


def lane_login(conn: MqttConnection, lane: str) -> MqttConnection:
    """The lane's own MQTT username, `{username}-{lane}` (same password): the broker binds a
    session to its credential (Mosquitto `use_username_as_clientid`, docs/SECURITY.md), so the
    bridge's two sessions need two usernames or they would take each other's session over."""
    if conn.username is None:
        return conn
    return conn.model_copy(update={"username": f"{conn.username}-{lane}"})


def _only(filters: list[str], compounds: tuple[str, ...]) -> list[str]:
    """Narrow `.../fw/v1/+/...` and `.../fw/v1/#` filters to the given compounds (none
    given: all)."""
    if not compounds:
        return filters
    out = []
    for c in compounds:
        for f in filters:
            if f.endswith(f"{MQTT_ROOT}/#"):
                out.append(f"{f[:-1]}{c}/#")
            else:
                out.append(f.replace(f"{MQTT_ROOT}/+/", f"{MQTT_ROOT}/{c}/", 1))
    return out


async def _start_producer(producer: AIOKafkaProducer, lane: str, backoff_s: float) -> None:
    # Kafka may come up after us: wait for it rather than crash (nothing is read before).
    while True:
        try:
            await producer.start()
            return
        except KafkaError as exc:
            log.warning("%s: Kafka not reachable (%r); retrying", lane, exc)
            await asyncio.sleep(backoff_s)
