"""The one clock: wall time as aware UTC datetimes and epoch seconds that agree, a monotonic
side for durations, and a manual clock that moves only when a test says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from runtime.clock import (
    DEFAULT_START,
    Clock,
    ManualClock,
    SystemClock,
    from_epoch_s,
    to_epoch_s,
)


def test_the_system_clock_speaks_both_vocabularies_of_one_instant() -> None:
    clock: Clock = SystemClock()
    before_s = clock.now_s()
    now = clock.now()
    after_s = clock.now_s()
    assert now.tzinfo is UTC
    assert before_s <= now.timestamp() <= after_s
    first = clock.monotonic_s()
    assert clock.monotonic_s() >= first


def test_manual_clock_moves_wall_and_monotonic_time_together() -> None:
    clock = ManualClock()
    assert clock.now() == DEFAULT_START
    assert clock.now_s() == DEFAULT_START.timestamp()
    assert clock.advance(1.5) == DEFAULT_START + timedelta(seconds=1.5)
    clock.advance(timedelta(minutes=1))
    assert clock.now_s() == DEFAULT_START.timestamp() + 61.5
    assert clock.monotonic_s() == 61.5


def test_manual_clock_keeps_sub_microsecond_steps_on_its_monotonic_side() -> None:
    # A loop that waits 0.4 us at a time must still reach its deadline (a datetime rounds
    # such a step to zero).
    clock = ManualClock()
    for _ in range(10):
        clock.advance(0.0000004)
    assert clock.monotonic_s() == pytest.approx(0.000004)


def test_a_wall_clock_step_moves_now_but_never_monotonic_time_back() -> None:
    clock = ManualClock()
    clock.advance(10)
    clock.set(DEFAULT_START - timedelta(hours=1))  # NTP stepped the clock back
    assert clock.now() == DEFAULT_START - timedelta(hours=1)
    assert clock.monotonic_s() == 10.0
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_naive_times_are_refused_and_other_zones_become_utc() -> None:
    with pytest.raises(ValueError, match="timezone"):
        ManualClock(datetime(2027, 1, 1))  # naive on purpose
    with pytest.raises(ValueError, match="timezone"):
        to_epoch_s(datetime(2027, 1, 1))  # naive on purpose
    beijing = timezone(timedelta(hours=8))
    clock = ManualClock(datetime(2027, 1, 15, 16, 0, tzinfo=beijing))
    assert clock.now() == DEFAULT_START
    assert clock.now().tzinfo is UTC


def test_epoch_seconds_round_trip_and_seed_a_manual_clock() -> None:
    assert from_epoch_s(to_epoch_s(DEFAULT_START)) == DEFAULT_START
    assert ManualClock.at_epoch_s(1_800_000_000.0).now() == DEFAULT_START
