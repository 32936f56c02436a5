"""The order in which the worker's lanes get their fetched batches: urgent lanes first.

A fetch under telemetry load holds a batch for each of the twelve readings partitions; a
device's own alarm (the priority topic) fetched with them waited for all twelve handlers and
their state writes, and one fetched while they ran waited for the next fetch loop (issue #17:
the alarm was on Kafka in ~85 ms and its alert left ~1.3 s later). Urgent batches go before
every other batch, and the consumer looks for new ones between the others (faust_compat).

Order within a partition is kept: a topic is urgent or not, so a partition's batches stay in
one queue, first in first out.
"""

from __future__ import annotations

from collections import deque
from typing import Generic, NamedTuple, TypeVar

from streams.faust_types import TopicPartition

R = TypeVar("R")


class LaneBatch(NamedTuple, Generic[R]):
    tp: TopicPartition  # a Faust TP
    topic: str
    records: list[R]
    generation: int  # the consumer generation it was fetched in


class LaneQueue(Generic[R]):
    def __init__(self, urgent_topics: frozenset[str] = frozenset()) -> None:
        self.urgent_topics = urgent_topics
        self._urgent: deque[LaneBatch[R]] = deque()
        self._rest: deque[LaneBatch[R]] = deque()

    def put(self, batch: LaneBatch[R]) -> None:
        (self._urgent if batch.topic in self.urgent_topics else self._rest).append(batch)

    def pop(self) -> LaneBatch[R] | None:
        """The next batch to run: the oldest urgent one, else the oldest other one."""
        if self._urgent:
            return self._urgent.popleft()
        if self._rest:
            return self._rest.popleft()
        return None

    def clear(self) -> None:
        """Dropped unacked (a rebalance): fetched again from the committed offsets."""
        self._urgent.clear()
        self._rest.clear()

    def __len__(self) -> int:
        return len(self._urgent) + len(self._rest)
