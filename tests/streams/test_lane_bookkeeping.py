"""The batch lanes' bookkeeping inside Faust's consumer: what gets committed, what is dropped
on a rebalance, what a rebalance waits for, and what the stages forget on a revoke. The app is
built but never connected."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from faust.types import TP

from events.connections import KafkaConnection
from events.topics import Topics
from runtime.partitioner import partition_for
from streams.app import build_app
from streams.config import StreamsConfig
from streams.faust_compat import FastConsumer, LaneRecord, settle_lanes_with
from streams.lane_queue import LaneBatch
from streams.processor import Emitted
from tests.streams.fixtures import fast_consumer, records, smoke

READINGS_0 = TP(Topics.READINGS, 0)


@pytest.fixture
def consumer() -> FastConsumer:
    return fast_consumer("fw-test-lanes", Topics.READINGS)


def _at(offsets: list[int]) -> list[Any]:
    batch = records(Topics.READINGS, [b"{}"] * len(offsets))
    return [r.__class__(**{**r.__dict__, "offset": o}) for r, o in zip(batch, offsets, strict=True)]


def _queue(consumer: FastConsumer, batch: list[Any], generation: int) -> None:
    consumer._lane_queue().put(LaneBatch(READINGS_0, Topics.READINGS, batch, generation))


async def test_acked_batch_commits_up_to_its_last_offset_across_holes(
    consumer: FastConsumer,
) -> None:
    # Offsets 3 and 4 do not exist (compaction, transaction markers): a hole is not a stall.
    await consumer._ack_batch(READINGS_0, _at([0, 1, 2, 5, 6]))
    assert consumer._new_offset(READINGS_0) == 7  # the next offset to read
    await consumer._ack_batch(READINGS_0, _at([7, 8]))
    assert consumer._new_offset(READINGS_0) == 9


async def test_a_batch_from_an_older_generation_is_dropped_unacked(
    consumer: FastConsumer,
) -> None:
    seen: list[int] = []

    async def lane(batch: Sequence[LaneRecord]) -> None:
        seen.extend(r.offset for r in batch)

    consumer.app.conf._fw_lanes[Topics.READINGS] = lane
    generation = consumer.app.consumer_generation_id
    _queue(consumer, _at([0, 1]), generation - 1)  # fetched before a rebalance
    await consumer._run_lanes()
    assert seen == []
    assert consumer._new_offset(READINGS_0) is None  # nothing to commit: fetched again later
    _queue(consumer, _at([0, 1]), generation)
    await consumer._run_lanes()
    assert seen == [0, 1]
    assert consumer._new_offset(READINGS_0) == 2


async def test_a_rebalance_waits_for_the_batch_in_flight(consumer: FastConsumer) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_lane(batch: Sequence[LaneRecord]) -> None:
        started.set()
        await release.wait()

    consumer.app.conf._fw_lanes[Topics.READINGS] = slow_lane
    generation = consumer.app.consumer_generation_id
    _queue(consumer, _at([0]), generation)
    running = asyncio.create_task(consumer._run_lanes())
    await started.wait()
    assert consumer._unacked_messages  # what Faust's wait_empty() waits on before a revoke
    release.set()
    await running
    assert not consumer._unacked_messages


async def test_a_revoked_partition_is_forgotten_by_every_device_stage() -> None:
    worker = build_app(StreamsConfig(app_id="fw-test-revoke"), KafkaConnection())
    out = Emitted()
    for proc in (worker.readings, worker.priority, worker.sequence):
        proc.on_reading(smoke("d1", 1, 0.0), out)
        proc.on_reading(smoke("d3", 1, 0.0), out)
    gone = {
        TP(Topics.READINGS, partition_for("d1", 12)),
        TP(Topics.PRIORITY, partition_for("d1", 3)),
        TP(Topics.SEQUENCE, partition_for("d1", 3)),
    }
    assert partition_for("d3", 3) != partition_for("d1", 3)  # d3 stays everywhere
    await worker.app.on_partitions_revoked.send(revoked=gone)
    for proc in (worker.readings, worker.priority, worker.sequence):
        assert set(proc.cache) == {"d3"}  # d1 is read again from its table if it comes back


async def test_an_alarm_batch_queued_behind_telemetry_batches_runs_first(
    consumer: FastConsumer,
) -> None:
    ran: list[tuple[str, int]] = []

    async def lane(batch: Sequence[LaneRecord]) -> None:
        ran.append((batch[0].topic, batch[0].partition))

    lanes = consumer.app.conf._fw_lanes
    lanes[Topics.READINGS] = lanes[Topics.PRIORITY] = lane
    generation = consumer.app.consumer_generation_id
    queue = consumer._lane_queue()
    assert queue.urgent_topics == {Topics.PRIORITY}  # streams/app.py marks the priority lane
    for topic, partition in [(Topics.READINGS, 0), (Topics.READINGS, 1), (Topics.PRIORITY, 0)]:
        fetched = records(topic, [b"{}"], partition=partition)
        queue.put(LaneBatch(TP(topic, partition), topic, fetched, generation))
    await consumer._run_lanes()
    assert ran == [(Topics.PRIORITY, 0), (Topics.READINGS, 0), (Topics.READINGS, 1)]
    assert len(queue) == 0


async def test_the_state_of_a_fetch_is_sent_once_after_its_batches_and_before_their_acks(
    consumer: FastConsumer,
) -> None:
    """An alert in a later batch is not behind the state writes of the earlier ones; no
    record is committed before the state it changed is sent (faust_compat item 1)."""
    events: list[str] = []
    readings_1 = TP(Topics.READINGS, 1)

    async def lane(batch: Sequence[LaneRecord]) -> None:
        events.append(f"batch {batch[0].partition}")

    async def settle() -> None:
        committable = (consumer._new_offset(READINGS_0), consumer._new_offset(readings_1))
        events.append(f"state, committable {committable}")

    consumer.app.conf._fw_lanes[Topics.READINGS] = lane
    settle_lanes_with(consumer.app, settle)
    generation = consumer.app.consumer_generation_id
    queue = consumer._lane_queue()
    for tp in (READINGS_0, readings_1):
        fetched = records(tp.topic, [b"{}"], partition=tp.partition)
        queue.put(LaneBatch(tp, Topics.READINGS, fetched, generation))
    await consumer._run_lanes()
    assert events == ["batch 0", "batch 1", "state, committable (None, None)"]
    assert (consumer._new_offset(READINGS_0), consumer._new_offset(readings_1)) == (1, 1)
    assert not consumer._unacked_messages


async def test_batches_whose_state_was_not_sent_are_not_acked_on_a_rebalance(
    consumer: FastConsumer,
) -> None:
    settled: list[int] = []

    async def lane(batch: Sequence[LaneRecord]) -> None:
        consumer.stop_flow()  # a rebalance begins while the fetch's batches run

    async def settle() -> None:
        settled.append(1)

    consumer.app.conf._fw_lanes[Topics.READINGS] = lane
    settle_lanes_with(consumer.app, settle)
    generation = consumer.app.consumer_generation_id
    _queue(consumer, _at([0]), generation)
    _queue(consumer, _at([1]), generation)
    await consumer._run_lanes()
    consumer.resume_flow()
    assert settled == []
    assert consumer._new_offset(READINGS_0) is None  # fetched again from the committed offset
    assert len(consumer._lane_queue()) == 0
