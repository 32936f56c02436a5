"""The state flush lets the event loop run between slices (streams/timers.py): serialising a
whole flush at once (thousands of changed device states, ~8 us each) held a P1 that arrived
meanwhile for its whole length. It still sends once (each send costs Tansu a batch a
partition more). Deterministic: the order of the event loop, no clock."""

from __future__ import annotations

import asyncio
import random
from typing import Any, cast

from benchmarks.streams_load import EPOCH, reading
from runtime.clock import ManualClock
from runtime.health import Health
from streams.config import StreamsConfig
from streams.detectors.area import CompoundEngine
from streams.detectors.engine import DeviceEngine
from streams.processor import CompoundProcessor, DeviceProcessor, DictStore, Emitted
from streams.timers import FLUSH_SLICE, WorkerTimers

DEVICES = 3 * FLUSH_SLICE + 7


def _timers(store: DictStore, published: list[int]) -> tuple[WorkerTimers, DeviceProcessor]:
    clock = ManualClock(EPOCH)
    proc = DeviceProcessor(DeviceEngine(), clock, store, partitions=12)
    rng = random.Random(3)
    for n in range(DEVICES):
        proc.on_reading(reading(rng, n, 1, 10.0), Emitted())
    proc.dirty = set(proc.cache)  # every state changed since the last flush

    async def publish(emitted: Emitted) -> None:
        published.append(store.writes)  # what the flush had written when it sent

    timers = WorkerTimers(
        cast(Any, None),  # the app: only install() and reload() use it
        StreamsConfig(),
        {"readings": proc},
        CompoundProcessor(CompoundEngine(), clock, DictStore(), partitions=3),
        topics={"readings": "readings"},
        tables={},
        publish=publish,
        clock=clock,
        health=Health(),
    )
    return timers, proc


async def test_a_p1_runs_between_the_slices_of_a_large_flush() -> None:
    store, published = DictStore(), list[int]()
    timers, proc = _timers(store, published)
    before = store.writes
    seen_by_the_p1: list[int] = []

    async def p1_handler() -> None:  # a lane's P1, ready while the flush runs
        seen_by_the_p1.append(store.writes - before)

    flush = asyncio.create_task(timers.flush())
    await asyncio.sleep(0)  # the flush starts and writes its first slice
    await p1_handler()
    await flush
    assert seen_by_the_p1 == [FLUSH_SLICE]  # not the whole flush's DEVICES
    assert store.writes - before == DEVICES
    assert not proc.dirty
    assert [n - before for n in published] == [DEVICES]  # one send, after every slice


async def test_states_changed_during_the_flush_are_written_by_it_or_the_next() -> None:
    store, published = DictStore(), list[int]()
    timers, proc = _timers(store, published)
    before = store.writes  # readings that changed a state meaningfully wrote it at once
    flush = asyncio.create_task(timers.flush())
    await asyncio.sleep(0)
    written = next(d for d in proc.cache if d not in proc.dirty)  # in the first slice
    proc.dirty.add(written)  # and changed again by a lane meanwhile
    await flush
    await timers.flush()
    assert not proc.dirty
    assert store.writes - before == DEVICES + 1  # the changed one twice, nothing lost
