"""The Faust app: agents over the readings, priority and sequence topics, the compound stage,
timers, and the changelog tables behind the in-memory state.

Device stage (keyed by device): readings (12 partitions), priority and sequence (3 each) each
have their own processor and table, co-partitioned with their topic. Compound stage: signals
keyed by compound. Alerts go to Topics.ALERTS keyed by compound. At least once (Tansu has no
transactions; STACK-NOTES.md): replays are dropped by seq and incidents are idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import faust

from events.codec import encode_model, kafka_headers
from events.connections import KafkaConnection, KafkaFlavour
from events.errors import ContractViolation
from events.topics import KAFKA_TOPICS, Topics
from streams import codec, fast_consumer, metrics
from streams.clock import Clock, SystemClock
from streams.config import StreamsConfig
from streams.detectors.area import CompoundEngine
from streams.detectors.engine import DeviceEngine
from streams.processor import CompoundProcessor, DeviceProcessor, Emitted
from streams.resets import reset_agent
from streams.table_store import Sender, TableStore
from streams.timers import install_timers

log = logging.getLogger(__name__)
_PARTITIONS = {spec.name: spec.partitions for spec in KAFKA_TOPICS}


@dataclass
class Worker:
    app: faust.App
    readings: DeviceProcessor
    priority: DeviceProcessor
    sequence: DeviceProcessor
    compound: CompoundProcessor
    agents: dict[str, Any]
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
        **_flavour_settings(kafka),
        web_enabled=web_port is not None,
        web_port=web_port or 6066,
        web_in_thread=False,
    )
    fast_consumer.install(app, cfg.fetch_max_wait_ms)
    return _wire(app, cfg, clock, on_ready)


def _flavour_settings(kafka: KafkaConnection) -> dict[str, Any]:
    """Tansu reports a partition's end offset as the base offset of its last batch + 1
    (STACK-NOTES.md): with multi-record changelog batches, table recovery waits forever for
    offsets that never come. One record per batch keeps its end offsets true."""
    if kafka.flavour is KafkaFlavour.TANSU:
        return {"producer_max_batch_size": 1}
    return {}


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
    app: Any, cfg: StreamsConfig, clock: Clock, on_ready: Callable[[], object] | None
) -> Worker:
    engine = DeviceEngine(cfg.detectors)
    tables = {
        "readings": _table(app, "device-state", _PARTITIONS[Topics.READINGS]),
        "priority": _table(app, "priority-state", _PARTITIONS[Topics.PRIORITY]),
        "sequence": _table(app, "sequence-state", _PARTITIONS[Topics.SEQUENCE]),
        "compound": _table(app, "compound-state", cfg.signals_partitions),
    }
    stores = {name: TableStore(table) for name, table in tables.items()}
    procs = {
        name: DeviceProcessor(engine, clock, stores[name], _PARTITIONS[topic])
        for name, topic in (
            ("readings", Topics.READINGS),
            ("priority", Topics.PRIORITY),
            ("sequence", Topics.SEQUENCE),
        )
    }
    compound = CompoundProcessor(
        CompoundEngine(cfg.detectors), clock, stores["compound"], cfg.signals_partitions
    )
    signals_topic = app.topic(cfg.signals_topic, partitions=cfg.signals_partitions, internal=True)

    sender = Sender(app)

    async def publish(emitted: Emitted) -> None:
        """Hand alerts, signals and changelog records to the producer now. Not Faust's
        `topic.send` inside an agent: that attaches them to the event and publishes only at
        the next commit (~3 s). At least once holds: Faust flushes the producer before it
        commits offsets (faust/transport/consumer.py, commit)."""
        delivered = []
        for alert in emitted.alerts:
            delivered.append(
                await sender.send(
                    Topics.ALERTS,
                    alert.compound_id.encode(),
                    encode_model(alert),
                    headers=kafka_headers("alert", alert.alert_id, cfg.app_id),
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
        for store in stores.values():
            if store.pending:
                await store.drain(sender)

    agents = {
        "readings": _device_agent(
            app,
            cfg,
            Topics.READINGS,
            procs["readings"],
            publish=publish,
            clock=clock,
            sender=sender,
        ),
        "priority": _device_agent(
            app,
            cfg,
            Topics.PRIORITY,
            procs["priority"],
            publish=publish,
            clock=clock,
            sender=sender,
        ),
        "sequence": _device_agent(
            app,
            cfg,
            Topics.SEQUENCE,
            procs["sequence"],
            publish=publish,
            clock=clock,
            sender=sender,
        ),
    }

    async def compound_agent(stream: Any) -> None:
        async for payload in stream:
            emitted = Emitted()
            compound.on_signal(codec.read_signal(payload), emitted)
            await publish(emitted)

    compound_agent = app.agent(signals_topic, name="compound")(compound_agent)

    agents["compound"] = compound_agent
    agents["incidents"] = reset_agent(
        app,
        cfg,
        (procs["readings"], procs["priority"], procs["sequence"], compound),
        publish=publish,
        clock=clock,
        sender=sender,
    )
    install_timers(
        app,
        cfg,
        procs["readings"],
        compound,
        tables=tables,
        publish=publish,
        on_ready=on_ready,
        sequence=procs["sequence"],
    )
    topics = {"signals": signals_topic}
    return Worker(
        app,
        procs["readings"],
        procs["priority"],
        procs["sequence"],
        compound,
        agents,
        topics,
        sender,
    )


def _device_agent(
    app: Any,
    cfg: StreamsConfig,
    topic_name: str,
    proc: DeviceProcessor,
    *,
    publish: Callable[[Emitted], Awaitable[None]],
    clock: Clock,
    sender: Sender,
) -> Any:
    topic = app.topic(topic_name, internal=False)
    is_sequence = topic_name == Topics.SEQUENCE
    counter = metrics.EVENTS.labels(topic_name)

    async def agent(stream: Any) -> None:
        async for events in stream.take_events(cfg.batch_max, within=cfg.batch_within_s):
            emitted = Emitted()
            for event in events:
                payload: bytes = event.value
                try:
                    if is_sequence:
                        proc.on_sequence(codec.read_anomaly(payload), emitted)
                    else:
                        proc.on_reading(codec.read(payload), emitted)
                except (ContractViolation, ValueError) as err:
                    msg = event.message
                    where = f"kafka:{msg.topic}/{msg.partition}@{msg.offset}"
                    now = datetime.fromtimestamp(clock.now_s(), tz=UTC)
                    await sender.send(
                        Topics.DEAD_LETTER,
                        where.encode(),
                        codec.dead_letter(err, payload, where, cfg.app_id, now),
                    )
                    metrics.DEAD_LETTERS.labels(topic_name).inc()
            counter.inc(len(events))
            await publish(emitted)

    return app.agent(topic, name=topic_name.replace(".", "-"))(agent)
