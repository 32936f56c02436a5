"""The Faust app: batch lanes over the readings, priority and sequence topics, agents for the
compound stage and incident resets, timers, and the changelog tables behind in-memory state.

Device stage (keyed by device): readings (12 partitions), priority and sequence (3 each) each
have their own processor and table, co-partitioned with their topic, fed by a lane
(fast_consumer: Faust's consumer group and commits, without its per-record delivery).
Compound stage: signals keyed by compound. Alerts go to Topics.ALERTS keyed by compound. At
least once (Tansu has no transactions; STACK-NOTES.md): replays are dropped by seq and
incidents are idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import faust

from events.codec import encode_model, kafka_headers
from events.connections import KafkaConnection, KafkaFlavour
from events.deadletter import DeadLetterReason
from events.errors import ContractViolation
from events.sequence import SequenceAnomaly
from events.topics import KAFKA_TOPICS, Topics
from streams import codec, fast_consumer, metrics
from streams.clock import Clock, SystemClock
from streams.config import StreamsConfig
from streams.detectors.area import CompoundEngine
from streams.detectors.engine import DeviceEngine
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


Reason = DeadLetterReason | None


class Publisher(Protocol):
    async def __call__(self, emitted: Emitted, *, with_state: bool = True) -> None: ...


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
        if not with_state:
            return
        for store in stores.values():
            if store.pending:
                await store.drain(sender)

    lanes = {
        name: _device_lane(cfg, topic, procs[name], publish=publish, clock=clock, sender=sender)
        for name, topic in _DEVICE_TOPICS.items()
    }
    topics = {
        name: fast_consumer.add_lane(app, _DEVICE_TOPICS[name], lanes[name]) for name in lanes
    }
    agents: dict[str, Any] = {}

    async def compound_agent(stream: Any) -> None:
        async for payload in stream:
            emitted = Emitted()
            compound.on_signal(codec.read_signal(payload), emitted)
            await publish(emitted)

    compound_agent = app.agent(signals_topic, name="compound")(compound_agent)

    agents["compound"] = compound_agent
    stages = {name: ResetStage(proc, is_keyed_by_device=True) for name, proc in procs.items()}
    stages["compound"] = ResetStage(compound, is_keyed_by_device=False)
    agents |= reset_agents(app, cfg, stages, publish=publish, clock=clock, sender=sender)
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
    topics["signals"] = signals_topic
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


def _device_lane(
    cfg: StreamsConfig,
    topic_name: str,
    proc: DeviceProcessor,
    *,
    publish: Publisher,
    clock: Clock,
    sender: Sender,
) -> fast_consumer.LaneHandler:
    """The device stage over one topic: a partition's fetched records as one batch (see
    fast_consumer). Alerts are published every `batch_max` records, so a long backlog does
    not hold an alarm back; state once per batch, after its alerts (on Tansu a changelog
    write waits for two round trips: TableStore.drain)."""
    is_sequence = topic_name == Topics.SEQUENCE
    counter = metrics.EVENTS.labels(topic_name)
    step = cfg.batch_max

    async def reject(rec: fast_consumer.LaneRecord, err: Exception, reason: Reason) -> None:
        where = f"kafka:{rec.topic}/{rec.partition}@{rec.offset}"
        now = datetime.fromtimestamp(clock.now_s(), tz=UTC)
        letter = codec.dead_letter(err, rec.value or b"", where, cfg.app_id, now, reason=reason)
        await sender.send(Topics.DEAD_LETTER, where.encode(), letter)
        metrics.DEAD_LETTERS.labels(topic_name).inc()

    async def handle(records: Sequence[fast_consumer.LaneRecord]) -> None:
        for start in range(0, len(records), step):
            chunk = records[start : start + step]
            emitted = Emitted()
            for rec in chunk:
                payload = rec.value or b""
                try:
                    item = codec.read_anomaly(payload) if is_sequence else codec.read(payload)
                except (ContractViolation, ValueError) as err:
                    await reject(rec, err, None)  # the decoder's own reason
                    continue
                try:
                    if isinstance(item, SequenceAnomaly):
                        proc.on_sequence(item, emitted)
                    else:
                        proc.on_reading(item, emitted)
                except Exception as err:  # a detector bug must not blind the partition
                    log.exception("device stage failed on a %s record", topic_name)
                    await reject(rec, err, DeadLetterReason.WORKER_ERROR)
            counter.inc(len(chunk))
            await publish(emitted, with_state=False)
        await publish(Emitted())

    return handle
