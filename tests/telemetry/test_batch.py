"""Batching by size and time, commit offsets, backoff: the sink's pure policy."""

from __future__ import annotations

import random

from streams.telemetry.batch import Backoff, Batcher


def test_due_by_size() -> None:
    batcher = Batcher(max_size=3, max_age_s=10.0)
    for offset in range(2):
        batcher.add("t", 0, offset, f"smoke,a=b v=1 {offset}", now_s=0.0)
    assert not batcher.is_due(0.0)
    batcher.add("t", 1, 7, "door,a=b v=1 1", now_s=0.0)
    assert batcher.is_due(0.0)
    assert batcher.room() == 0


def test_due_by_age_of_the_oldest_record() -> None:
    batcher = Batcher(max_size=100, max_age_s=1.0)
    assert batcher.seconds_until_due(5.0) is None
    batcher.add("t", 0, 0, "smoke v=1 1", now_s=5.0)
    batcher.add("t", 0, 1, "smoke v=1 2", now_s=5.8)
    assert batcher.seconds_until_due(5.5) == 0.5
    assert not batcher.is_due(5.9)
    assert batcher.is_due(6.0)


def test_take_gives_commit_offsets_one_past_the_last_record_including_skipped() -> None:
    batcher = Batcher(max_size=100, max_age_s=1.0)
    batcher.add("t", 0, 10, "smoke,x=1 v=1 1", now_s=0.0)
    batcher.add("t", 0, 11, None, now_s=0.0)  # not a reading: named, skipped, still committed
    batcher.add("t", 3, 4, "charging_port,x=1 v=1 1", now_s=0.0)
    batch = batcher.take()
    assert batch.commit_offsets == {("t", 0): 12, ("t", 3): 5}
    assert batch.record_count == 3
    assert len(batch.lines) == 2
    assert batch.points_by_measurement == {"smoke": 1, "charging_port": 1}
    assert len(batcher) == 0
    assert batcher.take().commit_offsets == {}


def test_backoff_doubles_to_the_cap_with_jitter_and_resets() -> None:
    backoff = Backoff(initial_s=0.2, max_s=3.0, rng=random.Random(1))
    delays = [backoff.next_delay_s() for _ in range(8)]
    ceilings = [0.2, 0.4, 0.8, 1.6, 3.0, 3.0, 3.0, 3.0]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling * 0.5 <= delay <= ceiling
    backoff.reset()
    assert backoff.next_delay_s() <= 0.2


def test_a_slice_of_records_counts_its_skipped_records_and_measurements() -> None:
    batcher = Batcher(max_size=10, max_age_s=1.0)
    # Offsets 20..24 of one partition; two were not readings (named and skipped upstream).
    lines = ["smoke,x=1 v=1 1", "door,x=1 v=1 1", "smoke,x=2 v=1 1"]
    batcher.extend(
        "t", 2, 24, lines=lines, measurements=["smoke", "door", "smoke"], record_count=5, now_s=3.0
    )
    assert len(batcher) == 5
    assert batcher.room() == 5
    assert batcher.seconds_until_due(3.5) == 0.5
    batch = batcher.take()
    assert batch.commit_offsets == {("t", 2): 25}
    assert list(batch.lines) == lines
    assert batch.points_by_measurement == {"smoke": 2, "door": 1}
    assert batch.record_count == 5
