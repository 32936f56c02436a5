"""Signals leave the device stage in producer batches, on the partition of their compound.

The compound stage keeps a compound's state on the partition `partition_for` gives its id
(CompoundProcessor), so each signal must land where Kafka's default partitioner would put its
key, and a compound's signals must keep their order. End to end on Tansu (two workers, an area
fire from the compound stage): tests/streams/test_workers_integration.py.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Iterable
from typing import Any

from events.connections import KafkaConnection
from runtime.partitioner import partition_for_key
from streams.app import Worker, build_app
from streams.codec import read_signal
from streams.config import StreamsConfig
from streams.detectors.model import Place, Signal, SignalKind
from streams.processor import Emitted
from streams.table_store import Sender


class Capture(Sender):
    """Records what would be handed to the producer, and sends nothing."""

    def __init__(self, worker: Worker) -> None:
        super().__init__(worker.app)
        self.batches: list[tuple[str, list[tuple[bytes, bytes, int]]]] = []
        self.single: list[str] = []

    async def send_batches(
        self, topic: str, records: Iterable[tuple[bytes, bytes, int]]
    ) -> list[Awaitable[Any]]:
        self.batches.append((topic, list(records)))
        return []

    async def send(self, topic: str, key: bytes, value: bytes, **_: Any) -> Awaitable[Any]:
        self.single.append(topic)
        raise AssertionError("a signal went through the per-record send")


def _signals(rng: random.Random, n: int) -> list[Signal]:
    out = []
    for i in range(n):
        compound = f"c{rng.randrange(40)}"
        place = Place(compound, "gw1", "b1", rng.randrange(30), f"a{rng.randrange(9)}", f"d{i}")
        out.append(Signal(SignalKind.DOOR, f"d{i}", place, 1.8e9 + i, f"d{i}:{i}", flag=i % 2 == 0))
    return out


async def test_one_publish_sends_its_signals_batched_on_their_compounds_partitions() -> None:
    cfg = StreamsConfig(app_id="fw-test-signal-publish")
    worker = build_app(cfg, KafkaConnection())
    capture = Capture(worker)
    worker.sender = capture
    signals = _signals(random.Random(3), 300)
    await worker.publish(Emitted(signals=signals), with_state=False)
    assert capture.single == []
    ((topic, records),) = capture.batches
    assert topic == cfg.signals_topic
    assert len(records) == len(signals)
    for (key, value, partition), signal in zip(records, signals, strict=True):
        assert key == signal.place.compound_id.encode()
        assert partition == partition_for_key(key, cfg.signals_partitions)
        assert read_signal(value) == signal  # in the order they were emitted
    assert len({p for _, _, p in records}) == cfg.signals_partitions  # 40 compounds spread


async def test_a_publish_without_signals_sends_none() -> None:
    worker = build_app(StreamsConfig(app_id="fw-test-signal-publish-none"), KafkaConnection())
    capture = Capture(worker)
    worker.sender = capture
    await worker.publish(Emitted(), with_state=False)
    assert capture.batches == []
    assert capture.single == []
