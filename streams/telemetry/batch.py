"""Batching and retry policy of the sink. Pure: time comes in as arguments, jitter from a seeded
random.Random.

A batch is due when it holds `max_size` records or its oldest record is `max_age_s` old. It
carries the offsets to commit once it is written: one past the last record of each partition,
skipped records included, so the consumer never commits past a line that was not written.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

TopicPartitionKey = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Batch:
    lines: Sequence[str]
    commit_offsets: dict[TopicPartitionKey, int]
    points_by_measurement: dict[str, int]
    record_count: int


@dataclass(slots=True)
class Batcher:
    max_size: int
    max_age_s: float
    _lines: list[str] = field(default_factory=list)
    _offsets: dict[TopicPartitionKey, int] = field(default_factory=dict)
    _measurements: Counter[str] = field(default_factory=Counter)
    _records: int = 0
    _started_at_s: float | None = None

    def add(self, topic: str, partition: int, offset: int, line: str | None, now_s: float) -> None:
        """One consumed record; `line` None for a record that was named and skipped."""
        lines = [] if line is None else [line]
        self.extend(
            topic,
            partition,
            offset,
            lines=lines,
            measurements=map(_measurement_of, lines),
            record_count=1,
            now_s=now_s,
        )

    def extend(
        self,
        topic: str,
        partition: int,
        last_offset: int,
        *,
        lines: Iterable[str],
        measurements: Iterable[str],
        record_count: int,
        now_s: float,
    ) -> None:
        """`record_count` consumed records of one partition up to `last_offset`, skipped ones
        included; `lines` and their `measurements` (device kinds) for those that were readings."""
        if self._started_at_s is None:
            self._started_at_s = now_s
        self._records += record_count
        self._offsets[(topic, partition)] = last_offset + 1
        self._lines.extend(lines)
        self._measurements.update(measurements)

    def __len__(self) -> int:
        return self._records

    def room(self) -> int:
        return max(0, self.max_size - self._records)

    def seconds_until_due(self, now_s: float) -> float | None:
        """0 when due now, None when empty (nothing will become due)."""
        if self._started_at_s is None:
            return None
        if self._records >= self.max_size:
            return 0.0
        return max(0.0, self._started_at_s + self.max_age_s - now_s)

    def is_due(self, now_s: float) -> bool:
        return self.seconds_until_due(now_s) == 0.0

    def take(self) -> Batch:
        batch = Batch(
            lines=self._lines,
            commit_offsets=dict(self._offsets),
            points_by_measurement=dict(self._measurements),
            record_count=self._records,
        )
        self._lines = []  # handed over with the batch
        self._offsets.clear()
        self._measurements.clear()
        self._records = 0
        self._started_at_s = None
        return batch


def _measurement_of(line: str) -> str:
    # Measurements we write are device kinds: no escaped commas or spaces before the first tag.
    return line.split(",", 1)[0].split(" ", 1)[0]


@dataclass(slots=True)
class Backoff:
    """Exponential backoff with jitter, capped: 0.2, 0.4, 0.8 ... `max_s` (each x0.5-1.0).

    Jitter spreads the retries of many sinks so a recovering database is not hit in step.
    """

    initial_s: float
    max_s: float
    rng: random.Random
    attempt: int = 0

    def next_delay_s(self) -> float:
        ceiling = min(self.max_s, self.initial_s * 2.0**self.attempt)
        self.attempt += 1
        return ceiling * (0.5 + 0.5 * self.rng.random())

    def reset(self) -> None:
        self.attempt = 0
