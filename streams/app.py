"""The Faust app: batch lanes over the readings, priority, sequence and signals topics, agents
for incident resets, timers, and the changelog tables behind the in-memory state.

Device stage (keyed by device): readings (12 partitions), priority and sequence (3 each) each
have their own processor and table, co-partitioned with their topic, fed by a lane
(fast_consumer: Faust's consumer group and commits, without its per-record delivery; lanes.py).
Compound stage: signals keyed by compound, also through a lane. Alerts go to Topics.ALERTS
keyed by compound. At least once (Tansu has no transactions; STACK-NOTES.md): replays are
dropped by seq and incidents are idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import faust

from events.alerts import ALERT_SCHEMA_VERSION
from events.codec import encode_model, kafka_headers
from events.connections import KafkaConnection, KafkaFlavour
from events.topics import KAFKA_TOPICS, Topics
from streams import codec, fast_consumer, metrics
from streams.clock import Clock, SystemClock
from streams.config import StreamsConfig
from streams.detectors.area import CompoundEngine
from streams.detectors.engine import DeviceEngine
from streams.lanes import stage_lane
from streams.processor import CompoundProcessor, DeviceProcessor, Emitted
from streams.resets import ResetStage, reset_agents
from streams.table_store import Sender, TableStore
from streams.timers import install_timers

log = logging.getLogger(__name__)
_PARTITIONS = {spec.name: spec.partitions for spec in KAFKA_TOPICS}
# The device stage: one processor and table per topic, co-partitioned with it.
_DEVICE_TOPICS = {
    "readings": Topics.READINGS,
    "priority": Topics.PRIORITY,
    "sequence": Topics.SEQUENCE,
}


T = TypeVar("T")


@dataclass
class Worker:
    app: faust.App
    readings: DeviceProcessor
    priority: DeviceProcessor
    sequence: DeviceProcessor
    compound: CompoundProcessor
    agents: dict[str, Any]
    lanes: dict[str, fast_consumer.LaneHandler]
    topics: dict[str, Any]
    sender: Sender


def build_app(
    cfg: StreamsConfig,
    kafka: KafkaConnection,
    *,
    clock: Clock | None = None,
    web_port: int | None = None,
    on_ready: Callable[[], object] | None = None,
) -> Worker:
    clock = clock or SystemClock()
    app = faust.App(
        cfg.app_id,
        broker=f"kafka://{kafka.bootstrap}",
        value_serializer="raw",
        key_serializer="raw",
        store="memory://",
        datadir=cfg.data_dir,
        topic_partitions=cfg.signals_partitions,
        broker_session_timeout=cfg.session_timeout_s,
        broker_heartbeat_interval=cfg.heartbeat_interval_s,
        table_standby_replicas=0,  # standbys were not kept current on Tansu (STACK-NOTES.md)
        consumer_auto_offset_reset="earliest",
        web_enabled=web_port is not None,
        web_port=web_port or 6066,
        web_in_thread=False,
    )
    fast_consumer.install(app, cfg.fetch_max_wait_ms)
    # Tansu reports a partition's end offset as the base offset of its last batch + 1
    # (STACK-NOTES.md): table recovery needs each changelog partition to end in a one-record
    # batch (TableStore.drain).
    single_record_tail = kafka.flavour is KafkaFlavour.TANSU
    return _wire(app, cfg, clock, on_ready, single_record_tail=single_record_tail)


def _table(app: Any, name: str, partitions: int) -> Any:
    # Raw bytes in the changelog, as TableStore writes them, so recovery restores bytes
    # (a table's own changelog topic would decode them as json).
    changelog = app.topic(
        f"{app.conf.id}-{name}-changelog",
        partitions=partitions,
        key_serializer="raw",
        value_serializer="raw",
        internal=True,
        compacting=True,
        deleting=False,
        acks=False,
    )
    table = app.Table(name, default=None, partitions=partitions, changelog_topic=changelog)
    table.key_serializer = table.value_serializer = "raw"
    return table


def _wire(
    app: Any,
    cfg: StreamsConfig,
    clock: Clock,
    on_ready: Callable[[], object] | None,
    *,
    single_record_tail: bool,
) -> Worker:
    engine = DeviceEngine(cfg.detectors)
    tables = {
        "readings": _table(app, "device-state", _PARTITIONS[Topics.READINGS]),
        "priority": _table(app, "priority-state", _PARTITIONS[Topics.PRIORITY]),
        "sequence": _table(app, "sequence-state", _PARTITIONS[Topics.SEQUENCE]),
        "compound": _table(app, "compound-state", cfg.signals_partitions),
    }
    stores = {
        name: TableStore(table, single_record_tail=single_record_tail)
        for name, table in tables.items()
    }
    procs = {
        name: DeviceProcessor(engine, clock, stores[name], _PARTITIONS[topic])
        for name, topic in _DEVICE_TOPICS.items()
    }
    compound = CompoundProcessor(
        CompoundEngine(cfg.detectors), clock, stores["compound"], cfg.signals_partitions
    )
    signals_topic = app.topic(cfg.signals_topic, partitions=cfg.signals_partitions, internal=True)

    sender = Sender(app)

    async def publish(emitted: Emitted, *, with_state: bool = True) -> None:
        """Hand alerts, signals and (unless `with_state` is False) the changelog records to
        the producer now. Not Faust's `topic.send` inside an agent: that attaches them to the
        event and publishes only at the next commit (~3 s). At least once holds: Faust
        flushes the producer before it commits offsets (faust/transport/consumer.py)."""
        delivered = []
        for alert in emitted.alerts:
            delivered.append(
                await sender.send(
                    Topics.ALERTS,
                    alert.compound_id.encode(),
                    encode_model(alert),
                    headers=kafka_headers(
                        "alert", alert.alert_id, cfg.app_id, ALERT_SCHEMA_VERSION
                    ),
                )
            )
            metrics.ALERTS.labels(alert.kind.value, alert.status.value).inc()
        if delivered:
            # The alert must be durable before the state that says "raised" is: else a crash
            # between the two would leave a replay dropped as a duplicate and the page lost.
            await asyncio.gather(*delivered)
        for signal in emitted.signals:
            await sender.send(
                cfg.signals_topic, signal.place.compound_id.encode(), codec.write_signal(signal)
            )
        if not with_state:
            return
        for store in stores.values():
            if store.pending:
                await store.drain(sender)

    def lane_of(
        topic: str, decode: Callable[[bytes], T], apply: Callable[[T, Emitted], None]
    ) -> fast_consumer.LaneHandler:
        return stage_lane(cfg, topic, decode, apply, publish=publish, clock=clock, sender=sender)

    lanes: dict[str, fast_consumer.LaneHandler] = {
        "readings": lane_of(Topics.READINGS, codec.read, procs["readings"].on_reading),
        "priority": lane_of(Topics.PRIORITY, codec.read, procs["priority"].on_reading),
        "sequence": lane_of(Topics.SEQUENCE, codec.read_anomaly, procs["sequence"].on_sequence),
        "compound": lane_of(cfg.signals_topic, codec.read_signal, compound.on_signal),
    }
    topics = {name: app.topic(topic, internal=False) for name, topic in _DEVICE_TOPICS.items()}
    topics["compound"] = signals_topic
    for name, handler in lanes.items():
        fast_consumer.add_lane(app, topics[name], handler)
    stages = {name: ResetStage(proc, is_keyed_by_device=True) for name, proc in procs.items()}
    stages["compound"] = ResetStage(compound, is_keyed_by_device=False)
    agents = reset_agents(app, cfg, stages, publish=publish, clock=clock, sender=sender)
    install_timers(
        app,
        cfg,
        procs,
        compound,
        topics=_DEVICE_TOPICS,
        tables=tables,
        publish=publish,
        on_ready=on_ready,
    )
    return Worker(
        app,
        procs["readings"],
        procs["priority"],
        procs["sequence"],
        compound,
        agents,
        lanes,
        topics,
        sender,
    )
