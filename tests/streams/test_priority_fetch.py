"""The priority partitions' own fetch (streams/priority_fetch.py, faust_compat item 7): a
device's alarm is handled while Faust's fetch is held back; what the side fetch handled is
acked, not handled again, when Faust's fetch brings it; nothing is committed for it until then,
so a worker that stops before that handles it again (at least once); a rebalance drops what
the side fetch holds and plans it again from where the handlers stopped.

The first tests drive the consumer's bookkeeping without a broker (as
tests/streams/test_lane_bookkeeping.py); the last ones run against a real Tansu."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from faust.types import TP

from events.codec import encode_model
from events.connections import KafkaConnection, KafkaFlavour
from events.topics import Topics, TopicSpec
from firewatch.embedded.process import ManagedProcess, free_port
from firewatch.embedded.tansu import TansuBroker
from firewatch.kafka_admin import ensure_topics
from runtime.partitioner import partition_for
from streams.app import Worker, build_app
from streams.config import StreamsConfig
from streams.faust_compat import FastConsumer, LaneRecord
from streams.lane_queue import LaneBatch
from streams.priority_fetch import PriorityFetch
from tests.polling import wait_for
from tests.streams.fixtures import fast_consumer, records, smoke
from tests.streams.test_faust_compat import _get, _metric, _ready

PRIORITY_0 = TP(Topics.PRIORITY, 0)


@pytest.fixture
def consumer() -> FastConsumer:
    return fast_consumer("fw-test-side", Topics.PRIORITY)


def _at(offsets: list[int], partition: int = 0) -> list[Any]:
    batch = records(Topics.PRIORITY, [b"{}"] * len(offsets), partition=partition)
    return [r.__class__(**{**r.__dict__, "offset": o}) for r, o in zip(batch, offsets, strict=True)]


def _recording(consumer: FastConsumer) -> list[int]:
    handled: list[int] = []

    async def lane(batch: Sequence[LaneRecord]) -> None:
        handled.extend(r.offset for r in batch)

    consumer.app.conf._fw_lanes[Topics.PRIORITY] = lane
    return handled


async def _faust_fetch_brings(consumer: FastConsumer, offsets: list[int]) -> None:
    generation = consumer.app.consumer_generation_id
    batch = LaneBatch(PRIORITY_0, Topics.PRIORITY, _at(offsets), generation)
    consumer._lane_queue().put(batch)
    await consumer._run_lanes()


async def test_what_the_side_fetch_handled_is_acked_by_faust_fetch_not_handled_again(
    consumer: FastConsumer,
) -> None:
    handled = _recording(consumer)
    generation = consumer.app.consumer_generation_id
    assert await consumer.run_side_batch(PRIORITY_0, _at([0, 1, 2]), generation)
    assert handled == [0, 1, 2]
    # Never acked by the side fetch: nothing to commit, so a worker stopping now (before
    # Faust's fetch brings them) leaves them to be handled again.
    assert consumer._new_offset(PRIORITY_0) is None
    await _faust_fetch_brings(consumer, [0, 1, 2, 3, 4])
    assert handled == [0, 1, 2, 3, 4]  # 0-2 skipped, 3-4 handled, each once, in order
    assert consumer._new_offset(PRIORITY_0) == 5  # all acked through Faust's path
    assert await consumer.run_side_batch(PRIORITY_0, _at([3, 4, 5]), generation)
    assert handled == [0, 1, 2, 3, 4, 5]


async def test_a_side_batch_from_before_a_rebalance_is_not_handled(
    consumer: FastConsumer,
) -> None:
    handled = _recording(consumer)
    generation = consumer.app.consumer_generation_id
    assert not await consumer.run_side_batch(PRIORITY_0, _at([0]), generation - 1)
    consumer.stop_flow()  # what a rebalance does first
    assert not await consumer.run_side_batch(PRIORITY_0, _at([0]), generation)
    assert consumer.side_fetch_plan(Topics.PRIORITY) is None
    consumer.resume_flow()
    assert handled == []
    assert not consumer._unacked_messages  # nothing left for wait_empty to wait on


async def test_after_a_rebalance_the_records_are_handled_again(consumer: FastConsumer) -> None:
    handled = _recording(consumer)
    assert await consumer.run_side_batch(
        PRIORITY_0, _at([0, 1]), consumer.app.consumer_generation_id
    )
    consumer.app.consumer_generation_id += 1  # the partition came back (Faust's own counter)
    await _faust_fetch_brings(consumer, [0, 1])
    assert handled == [0, 1, 0, 1]  # at least once: the new generation knows no marks


async def test_the_side_fetch_starts_where_no_handler_finished(consumer: FastConsumer) -> None:
    _recording(consumer)
    owned = {PRIORITY_0, TP(Topics.PRIORITY, 1), TP(Topics.PRIORITY, 2), TP(Topics.READINGS, 0)}
    app: Any = consumer.app
    app.tables.recovery.completed.set()  # the rebalance settled (faust_compat item 5)
    with patch.object(FastConsumer, "assignment", return_value=owned):
        consumer._read_offset[TP(Topics.PRIORITY, 1)] = 7  # perform_seek: the committed offset
        generation = consumer.app.consumer_generation_id
        assert await consumer.run_side_batch(PRIORITY_0, _at([3, 4]), generation)
        plan = consumer.side_fetch_plan(Topics.PRIORITY)
        assert plan is not None
        assert plan.generation == generation
        # Handled up to 4 on partition 0; committed 7 on 1; nothing committed on 2.
        assert plan.starts == {
            (Topics.PRIORITY, 0): 5,
            (Topics.PRIORITY, 1): 7,
            (Topics.PRIORITY, 2): None,
        }
        app.rebalancing = True
        assert consumer.side_fetch_plan(Topics.PRIORITY) is None


# --- on a real broker ----------------------------------------------------------------------


@pytest.fixture
async def held_back(kafka: TansuBroker) -> Any:
    """A worker app on the broker whose Faust consumer never starts (its fetch held back
    for good), told it owns every priority partition; changelog writes not sent (the
    changelog topics are Faust's to create when it starts)."""
    conn = KafkaConnection(bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU)
    worker = build_app(StreamsConfig(app_id="fw-it-side"), conn)
    # The signals topic too, as Faust declares it at start: a fire's signal goes out on its
    # compound's partition of it (Sender.send_keyed), which a topic Tansu auto-creates lacks.
    cfg = worker.cfg
    signals = TopicSpec(cfg.signals_topic, "signals", "compound", cfg.signals_partitions)
    await ensure_topics(kafka.bootstrap, [signals])
    app: Any = worker.app
    app.tables.recovery.completed.set()
    app.topics._acking_topics = {Topics.PRIORITY}  # set when the conductor subscribes
    owned = {TP(Topics.PRIORITY, p) for p in range(3)}
    with ExitStack() as stack:
        stack.enter_context(patch.object(FastConsumer, "assignment", return_value=owned))
        for store in worker.stores.values():
            stack.enter_context(patch.object(store, "drain", AsyncMock(return_value=None)))
        yield conn, worker
    await worker.alerts.stop()
    if app.producer.started:
        await app.producer.stop()


async def _fires(bootstrap: str, device: str, *, at_least: int) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(
        Topics.ALERTS, bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    fires: list[dict[str, Any]] = []
    try:

        async def enough() -> bool:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                for rec in batch:
                    alert = json.loads(rec.value or b"{}")
                    if alert.get("kind") == "fire" and alert.get("device_id") == device:
                        fires.append(alert)
            return len(fires) >= at_least

        await wait_for(enough, 60, what=f"fire alert of {device}", every_s=0.05)
    finally:
        await consumer.stop()
    return fires


@pytest.mark.integration
async def test_an_alarm_is_alerted_while_faust_fetch_is_held_back(
    kafka: TansuBroker, held_back: tuple[KafkaConnection, Worker]
) -> None:
    conn, worker = held_back
    consumer: Any = worker.app.consumer
    handled: list[int] = []
    lane = consumer.app.conf._fw_lanes[Topics.PRIORITY]

    async def counted(batch: Sequence[LaneRecord]) -> None:
        handled.extend(r.offset for r in batch)
        await lane(batch)

    consumer.app.conf._fw_lanes[Topics.PRIORITY] = counted
    device = "side-smoke"
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    side = PriorityFetch(conn, consumer, Topics.PRIORITY, client_id="fw-it-side-priority")
    running = asyncio.create_task(side.run())
    try:
        alarm = encode_model(smoke(device, 1, 0.0, temp_c=80.0))
        sent = await producer.send_and_wait(Topics.PRIORITY, alarm, key=device.encode())
        assert sent.partition == partition_for(device, 3)
        (fire,) = await _fires(kafka.bootstrap, device, at_least=1)
        assert fire["status"] == "raised"
        assert handled == [sent.offset]
        # Faust's fetch brings the same record later: acked, not handled again.
        tp = TP(Topics.PRIORITY, sent.partition)
        fetched = await _fetch_one(kafka.bootstrap, sent.partition, sent.offset)
        generation = consumer.app.consumer_generation_id
        consumer._lane_queue().put(LaneBatch(tp, Topics.PRIORITY, fetched, generation))
        await consumer._run_lanes()
        assert handled == [sent.offset]
        assert consumer._new_offset(tp) == sent.offset + 1
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await producer.stop()


async def _fetch_one(bootstrap: str, partition: int, offset: int) -> list[Any]:
    """The record as Faust's aiokafka consumer would fetch it."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await reader.start()
    try:
        tp = TopicPartition(Topics.PRIORITY, partition)
        reader.assign([tp])
        reader.seek(tp, offset)
        return [await reader.getone()]
    finally:
        await reader.stop()


@pytest.mark.integration
async def test_a_worker_handles_an_alarm_once_and_commits_it(
    kafka: TansuBroker, tmp_path: Path, processes: list[ManagedProcess]
) -> None:
    """The whole worker: its side fetch and Faust's both read the alarm; the stage handles
    it once, and the group commits it (through Faust's ack path)."""
    port = free_port()
    flags = f"--bootstrap {kafka.bootstrap} --flavour tansu --app-id fw-it-side-once"
    argv = [sys.executable, "-m", "firewatch", "--log-level", "INFO", "worker", *flags.split()]
    argv += ["--data-dir", str(tmp_path / "w"), "--metrics-port", str(port)]
    log_path = tmp_path / "worker.log"
    processes.append(ManagedProcess("worker", argv, log_path=log_path).start())
    await _ready(port)
    device = "once-smoke"
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    try:
        alarm = encode_model(smoke(device, 1, 0.0, temp_c=80.0))
        sent = await producer.send_and_wait(Topics.PRIORITY, alarm, key=device.encode())
    finally:
        await producer.stop()
    await _fires(kafka.bootstrap, device, at_least=1)
    tp = TopicPartition(Topics.PRIORITY, sent.partition)

    async def committed() -> bool:
        offset = await _committed(kafka.bootstrap, "fw-it-side-once", tp)
        return bool(offset == sent.offset + 1)

    await wait_for(committed, 60, what="the alarm's offset committed", every_s=0.5)
    events = f'firewatch_streams_events_total{{topic="{Topics.PRIORITY}"}}'
    assert _metric(port, events) == 1  # handled once, though both fetches brought it
    assert _get(port, "/readyz")[0] == 200
    assert "priority side fetch failed" not in log_path.read_text()


async def _committed(bootstrap: str, group: str, tp: TopicPartition) -> int | None:
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await reader.start()
    try:
        offset: int | None = await reader.committed(tp)
        return offset
    finally:
        await reader.stop()
