"""One clock for every process, and one vocabulary for time (STYLE.md habit 4: time is an input).

- An instant in a record or on the wire is an aware UTC `datetime`: `Clock.now()`.
- Inside a hot-path core an instant is float epoch seconds, named `*_s`: `Clock.now_s()`. The
  detectors compare deadlines for every reading; a float costs a tenth of a datetime.
- A duration or deadline inside one process is `Clock.monotonic_s()`: it never jumps when NTP
  steps the wall clock.

Convert only where a value crosses from one to the other, with `to_epoch_s` / `from_epoch_s`.
`ManualClock` is the test double: it moves only when the test says so.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current wall time, timezone-aware (UTC)."""
        ...

    def now_s(self) -> float:
        """The same instant as `now()`, in seconds since the Unix epoch."""
        ...

    def monotonic_s(self) -> float:
        """Seconds on a clock that never goes backwards (durations, deadlines, liveness)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def now_s(self) -> float:
        return time.time()

    def monotonic_s(self) -> float:
        return time.monotonic()


# 2027-01-15T08:00:00Z: a fixed, recognisable start, so test output is the same on every run.
DEFAULT_START = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)


class ManualClock:
    """A clock the test moves by hand. Wall and monotonic time advance together; `set` moves
    only the wall clock (as an NTP step would), never the monotonic one backwards."""

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        self._monotonic_s = 0.0

    @classmethod
    def at_epoch_s(cls, start_s: float) -> ManualClock:
        return cls(from_epoch_s(start_s))

    def now(self) -> datetime:
        return self._now

    def now_s(self) -> float:
        return self._now.timestamp()

    def monotonic_s(self) -> float:
        return self._monotonic_s

    def advance(self, by: float | timedelta) -> datetime:
        """Move both clocks forward by `by` (seconds or a timedelta); returns the new now."""
        seconds = by.total_seconds() if isinstance(by, timedelta) else float(by)
        if seconds < 0:
            raise ValueError("time only moves forward; use set() for a wall-clock step")
        # Monotonic time keeps the float exactly: a datetime has microsecond resolution, and
        # a loop that waits 0.4 us at a time must still see its deadline come.
        self._monotonic_s += seconds
        self._now += timedelta(seconds=seconds)
        return self._now

    def set(self, at: datetime) -> None:
        """Step the wall clock to `at` (either direction); monotonic time stays put."""
        if at.tzinfo is None:
            raise ValueError("ManualClock.set needs a timezone-aware time")
        self._now = at.astimezone(UTC)


def to_epoch_s(at: datetime) -> float:
    if at.tzinfo is None:
        raise ValueError("a naive datetime has no instant; give it a timezone")
    return at.timestamp()


def from_epoch_s(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
