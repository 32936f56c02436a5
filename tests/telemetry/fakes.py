"""Test doubles for the sink loop: an in-memory Kafka consumer and a database that can be down."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from runtime.clock import ManualClock
from streams.telemetry.errors import WriteFailed


class TP(NamedTuple):
    topic: str
    partition: int


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    value: bytes | None


class SteppingClock(ManualClock):
    """A manual clock whose sleep moves it instead of waiting (the sink's injected sleep)."""

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)


@dataclass
class FakeConsumer:
    """Partitions as lists; getmany advances the fake clock by its timeout when idle."""

    clock: SteppingClock
    logs: dict[TP, list[Record]] = field(default_factory=dict)
    positions: dict[TP, int] = field(default_factory=dict)
    committed: dict[TP, int] = field(default_factory=dict)
    paused: set[TP] = field(default_factory=set)
    polls_while_paused: int = 0

    def append(self, tp: TP, value: bytes | None) -> None:
        log = self.logs.setdefault(tp, [])
        log.append(Record(tp.topic, tp.partition, len(log), value))
        self.positions.setdefault(tp, 0)

    async def getmany(
        self, *, timeout_ms: int, max_records: int | None
    ) -> Mapping[TP, list[Record]]:
        await asyncio.sleep(0)
        if self.paused and self.paused == self.assignment():
            self.polls_while_paused += 1
        budget = max_records or 1_000_000
        out: dict[TP, list[Record]] = {}
        for tp, log in self.logs.items():
            if tp in self.paused or budget == 0:
                continue
            start = self.positions[tp]
            taken = log[start : start + budget]
            if taken:
                out[tp] = taken
                self.positions[tp] = start + len(taken)
                budget -= len(taken)
        if not out:
            self.clock.advance(timeout_ms / 1000)
        return out

    def assignment(self) -> set[TP]:
        return set(self.logs)

    def pause(self, *partitions: TP) -> None:
        self.paused.update(partitions)

    def resume(self, *partitions: TP) -> None:
        self.paused.difference_update(partitions)

    def highwater(self, partition: TP) -> int | None:
        return len(self.logs[partition])

    async def commit(self, offsets: Mapping[TP, int]) -> None:
        for tp, offset in offsets.items():
            assert offset >= self.committed.get(tp, 0), "commits never go backwards"
            self.committed[tp] = offset


@dataclass
class FlakyDatabase:
    """Fails while `failures_left` > 0; remembers every line and what was committed at write."""

    consumer: FakeConsumer
    failures_left: int = 0
    lines: list[str] = field(default_factory=list)
    attempts: int = 0
    paused_during_failures: list[bool] = field(default_factory=list)
    committed_at_write: list[dict[TP, int]] = field(default_factory=list)
    stop_after_lines: int | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def write(self, lines: Sequence[str]) -> None:
        self.attempts += 1
        if self.failures_left > 0:
            self.failures_left -= 1
            self.paused_during_failures.append(self.consumer.paused == self.consumer.assignment())
            raise WriteFailed("connection", "database down (fake)")
        self.committed_at_write.append(dict(self.consumer.committed))
        self.lines.extend(lines)
        if self.stop_after_lines is not None and len(self.lines) >= self.stop_after_lines:
            self.stop.set()
