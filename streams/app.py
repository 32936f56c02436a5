"""The Faust app: batch lanes over the readings, priority, sequence and signals topics, agents
for incident resets, timers, and the changelog tables behind the in-memory state.

Device stage (keyed by device): readings (12 partitions), priority and sequence (3 each) each
have their own processor and table, co-partitioned with their topic, fed by a lane
(streams/faust_compat.py: Faust's consumer group and commits, without its per-record delivery;
lanes.py). Compound stage: signals keyed by compound, also through a lane. Alerts go to
Topics.ALERTS keyed by compound. At least once (Tansu has no transactions; STACK-NOTES.md):
replays are dropped by seq and incidents are idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

import faust

from events.alerts import ALERT_SCHEMA_VERSION
from events.codec import encode_model, kafka_headers
from events.connections import KafkaConnection, KafkaFlavour
from events.topics import KAFKA_TOPICS, Topics
from runtime.clock import Clock, SystemClock
from runtime.health import Health
from runtime.health_kafka import KafkaProbe
from runtime.kafka import faust_credentials
from streams import codec, faust_compat, metrics
from streams.config import StreamsConfig
from streams.detectors.area import CompoundEngine
from streams.detectors.engine import DeviceEngine
from streams.faust_types import FaustTable, FaustTopic
from streams.group_lag import GroupLag
from streams.lanes import stage_lane
from streams.priority_fetch import PriorityFetch, SideFeed
from streams.priority_producer import AlertProducer
from streams.processor import CompoundProcessor, DeviceProcessor, Emitted
from streams.resets import ResetStage, reset_agents
from streams.table_store import Sender, TableStore
from streams.timers import WorkerTimers

log = logging.getLogger(__name__)
_PARTITIONS = {spec.name: spec.partitions for spec in KAFKA_TOPICS}
# The device stage: one processor and table per topic, co-partitioned with it.
_DEVICE_TOPICS = {
    "readings": Topics.READINGS,
    "priority": Topics.PRIORITY,
    "sequence": Topics.SEQUENCE,
}
# What the worker's consumer holds of fetched records not yet taken (issue #17.4): aiokafka
# keeps each partition's last fetch response until it is consumed, and Tansu 0.6.0 returns
# about four times the bytes asked a partition (docs/PERFORMANCE.md "Memory over time"). At
# Faust's default, 1 MiB asked, a worker behind its 18 device-topic partitions could hold
# ~70 MB of them (a traced soak whose worker fell behind: +11 MB of fetch responses held).
# 256 KiB asked (~1 MiB returned, about a thousand readings a partition per fetch) bounds
# that to ~18 MB, and is the bridge's producer batch, so its largest batches pass
# (tests/streams/test_fetch_bound.py); no throughput lost in bench streams, alternated with
# main (docs/PERFORMANCE.md "Memory over time", fifth run).
PARTITION_FETCH_BYTES = 256 * 1024
_TABLES = {
    "readings": "device-state",
    "priority": "priority-state",
    "sequence": "sequence-state",
}

T = TypeVar("T")


def build_app(
    cfg: StreamsConfig,
    kafka: KafkaConnection,
    *,
    clock: Clock | None = None,
    web_port: int | None = None,
    on_ready: Callable[[], object] | None = None,
    health: Health | None = None,
) -> Worker:
    """The app and everything wired into it; `health` receives the worker's checks."""
    app = faust.App(
        cfg.app_id,
        broker=f"kafka://{kafka.bootstrap}",
        broker_credentials=faust_credentials(kafka),  # TLS / SASL as configured
        value_serializer="raw",
        key_serializer="raw",
        store="memory://",
        datadir=cfg.data_dir,
        topic_partitions=cfg.signals_partitions,
        broker_session_timeout=cfg.session_timeout_s,
        broker_heartbeat_interval=cfg.heartbeat_interval_s,
        table_standby_replicas=0,  # standbys were not kept current on Tansu (STACK-NOTES.md)
        consumer_auto_offset_reset="earliest",
        producer_max_batch_size=cfg.producer_max_batch_bytes,
        consumer_max_fetch_size=PARTITION_FETCH_BYTES,
        web_enabled=web_port is not None,
        web_port=web_port or 6066,
        web_in_thread=False,
    )
    faust_compat.install(app, cfg.fetch_max_wait_ms)
    health = health or Health()
    # Group membership does not see a frozen cluster: a probe of its own (runtime/health_kafka).
    app.task(KafkaProbe(kafka, health, Topics.READINGS).run)
    inputs = {topic: _PARTITIONS[topic] for topic in _DEVICE_TOPICS.values()}
    app.task(GroupLag(kafka, cfg.app_id, inputs, metrics.CONSUMER_LAG).run)
    worker = Worker(
        app,
        cfg,
        clock or SystemClock(),
        health,
        on_ready=on_ready,
        # Tansu reports a partition's end offset as the base offset of its last batch + 1
        # (STACK-NOTES.md): table recovery needs each changelog partition to end in a
        # one-record batch (TableStore.drain).
        single_record_tail=kafka.flavour is KafkaFlavour.TANSU,
        alerts=AlertProducer(kafka, client_id=f"{cfg.app_id}-alerts"),
    )
    app.task(worker.alerts.run)
    if cfg.priority_fetch_max_wait_ms:
        app.task(worker.side_fetch(kafka))
    return worker


def _tables(app: faust.App, cfg: StreamsConfig) -> dict[str, FaustTable]:
    """One changelog table per stage, partitioned like the stage's topic."""
    tables = {
        name: faust_compat.raw_table(app, table, _PARTITIONS[_DEVICE_TOPICS[name]])
        for name, table in _TABLES.items()
    }
    tables["compound"] = faust_compat.raw_table(app, "compound-state", cfg.signals_partitions)
    return tables


class Worker:
    """One worker's parts and how they meet: processors over changelog tables, lanes feeding
    them, reset agents, timers, and `publish`, the one way out for alerts, signals and state.
    It holds the concrete faust.App (a faust Worker runs it); its parts see a FaustApp."""

    def __init__(
        self,
        app: faust.App,
        cfg: StreamsConfig,
        clock: Clock,
        health: Health,
        *,
        on_ready: Callable[[], object] | None,
        single_record_tail: bool,
        alerts: AlertProducer,
    ) -> None:
        self.app, self.cfg, self.clock, self.health = app, cfg, clock, health
        self.sender = Sender(app)
        self.alerts = alerts  # not Faust's producer: streams/priority_producer.py
        self.tables = _tables(app, cfg)
        self.stores = {
            name: TableStore(table, single_record_tail=single_record_tail)
            for name, table in self.tables.items()
        }
        engine = DeviceEngine(cfg.detectors)
        stages = {
            name: DeviceProcessor(engine, clock, self.stores[name], _PARTITIONS[topic])
            for name, topic in _DEVICE_TOPICS.items()
        }
        self.readings, self.priority, self.sequence = (
            stages["readings"],
            stages["priority"],
            stages["sequence"],
        )
        self.compound = CompoundProcessor(
            CompoundEngine(cfg.detectors), clock, self.stores["compound"], cfg.signals_partitions
        )
        self.lanes = self._lanes()
        self.topics = self._subscribe_lanes()
        self.agents = self._wire_resets(stages)
        self.timers = WorkerTimers(
            app,
            cfg,
            stages,
            self.compound,
            topics=_DEVICE_TOPICS,
            tables=self.tables,
            publish=self.publish,
            clock=clock,
            health=health,
            on_ready=on_ready,
        )
        self.timers.install()

    def side_fetch(self, kafka: KafkaConnection) -> Callable[[], Any]:
        """The priority partitions' own fetch, run as an app task: a device's alarm is handled
        as soon as it is on Kafka, not after the readings' fetch (streams/priority_fetch.py)."""

        async def run() -> None:
            feed = cast(SideFeed, self.app.consumer)  # faust_compat.FastConsumer
            await PriorityFetch(
                kafka,
                feed,
                Topics.PRIORITY,
                client_id=f"{self.cfg.app_id}-priority",
                fetch_max_wait_ms=self.cfg.priority_fetch_max_wait_ms,
            ).run()

        return run

    def _lanes(self) -> dict[str, faust_compat.LaneHandler]:
        # The urgent lane sends its state itself (its batches are acked at once); the others'
        # once after a fetch's batches, so an alert is not behind every earlier batch's write.
        faust_compat.settle_lanes_with(self.app, self.send_state)
        return {
            "readings": self._lane(Topics.READINGS, codec.read, self.readings.on_reading),
            "priority": self._lane(
                Topics.PRIORITY, codec.read, self.priority.on_reading, sends_state=True
            ),
            "sequence": self._lane(Topics.SEQUENCE, codec.read_anomaly, self.sequence.on_sequence),
            "compound": self._lane(
                self.cfg.signals_topic, codec.read_signal, self.compound.on_signal
            ),
        }

    def _subscribe_lanes(self) -> dict[str, FaustTopic]:
        cfg = self.cfg
        signals = self.app.topic(
            cfg.signals_topic, partitions=cfg.signals_partitions, internal=True
        )
        topics: dict[str, FaustTopic] = {
            name: self.app.topic(t, internal=False) for name, t in _DEVICE_TOPICS.items()
        }
        topics["compound"] = signals
        for name, handler in self.lanes.items():
            # A device's own alarm must not wait behind telemetry (issue #17; DOMAIN.md: P1).
            urgent = name == "priority"
            faust_compat.add_lane(self.app, topics[name], handler, urgent=urgent)
        return topics

    def _lane(
        self,
        topic: str,
        decode: Callable[[bytes], T],
        apply: Callable[[T, Emitted], None],
        *,
        sends_state: bool = False,
    ) -> faust_compat.LaneHandler:
        return stage_lane(
            self.cfg,
            topic,
            decode,
            apply,
            publish=self.publish,
            clock=self.clock,
            sender=self.sender,
            sends_state=sends_state,
        )

    def _wire_resets(self, stages: dict[str, DeviceProcessor]) -> dict[str, Any]:
        resets = {name: ResetStage(proc, is_keyed_by_device=True) for name, proc in stages.items()}
        resets["compound"] = ResetStage(self.compound, is_keyed_by_device=False)
        return reset_agents(
            self.app, self.cfg, resets, publish=self.publish, clock=self.clock, sender=self.sender
        )

    async def send_state(self) -> None:
        """The changelog records every stage has pending, to the producer."""
        await self.publish(Emitted())

    async def publish(self, emitted: Emitted, *, with_state: bool = True) -> None:
        """Hand alerts, signals and (unless `with_state` is False) the changelog records to
        the producers now. Not Faust's `topic.send` inside an agent: that attaches them to the
        event and publishes only at the next commit (~3 s). At least once holds: alerts are
        delivered before this returns, the rest Faust flushes before it commits offsets
        (faust/transport/consumer.py). Alerts go on a producer of their own, so they are not
        queued behind a changelog flush in flight (streams/priority_producer.py)."""
        delivered = []
        for alert in emitted.alerts:
            delivered.append(
                await self.alerts.send(
                    Topics.ALERTS,
                    alert.compound_id.encode(),
                    encode_model(alert),
                    headers=kafka_headers(
                        "alert", alert.alert_id, self.cfg.app_id, ALERT_SCHEMA_VERSION
                    ),
                )
            )
            metrics.ALERTS.labels(alert.kind.value, alert.status.value).inc()
        if delivered:
            # The alert must be durable before the state that says "raised" is: else a crash
            # between the two would leave a replay dropped as a duplicate and the page lost.
            await asyncio.gather(*delivered)
        if emitted.signals:  # keyed by compound, batched per partition (Sender.send_keyed)
            await self.sender.send_keyed(
                self.cfg.signals_topic,
                codec.signal_records(emitted.signals),
                self.cfg.signals_partitions,
            )
        if not with_state:
            return
        for store in self.stores.values():
            if store.pending:
                await store.drain(self.sender)
