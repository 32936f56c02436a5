"""A fetch of the priority partitions of their own, so a device's alarm is not behind the
readings' fetch cycle (issue #17; DOMAIN.md: a P1 pages within the target under city load).

Why: the worker's one aiokafka consumer sends one fetch per broker for all its partitions, and
sends none while records of any partition wait to be taken; Tansu answers a long poll only when
its wait expires. Under 2,000 msg/s an alarm on the priority topic waited p50 179 / p90 727 ms
to be fetched, behind the readings' big responses and their processing.

How: a small aiokafka consumer of its own (no group: manual `assign()` of exactly the priority
partitions Faust's consumer owns, from where no handler finished, with a short fetch wait)
hands what it fetches to the priority lane at once, through the gate (streams/priority_gate.py)
that the lane's Faust-fetched batches pass too. Offsets are committed only through Faust's ack
path, when its own fetch brings the same records again (they are acked without being handled a
second time): at least once holds, and a worker that dies before that ack handles them again.
A side fetch that fails costs latency, never a record: Faust's fetch handles everything too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition

from events.connections import KafkaConnection
from runtime.kafka import consumer_settings
from streams.faust_compat import SidePlan

log = logging.getLogger(__name__)

# Tansu answers a long poll only when the wait expires: an alarm waits half of it on average.
# 20 ms is ~50 tiny fetches a second to the broker; dispatch polls at 10 ms already.
PRIORITY_FETCH_MAX_WAIT_MS = 20


class SideFeed(Protocol):
    """What the side fetch needs of the worker's consumer (faust_compat.FastConsumer)."""

    def side_fetch_plan(self, topic: str) -> SidePlan | None: ...
    async def run_side_batch(self, tp: Any, records: list[Any], generation: int) -> bool: ...


def assignment_of(plan: SidePlan | None) -> tuple[int, frozenset[tuple[str, int]]] | None:
    """What a change of means reassigning: the generation and the partitions."""
    return None if plan is None else (plan.generation, frozenset(plan.starts))


class PriorityFetch:
    def __init__(
        self,
        kafka: KafkaConnection,
        feed: SideFeed,
        topic: str,
        *,
        client_id: str,
        fetch_max_wait_ms: int = PRIORITY_FETCH_MAX_WAIT_MS,
        idle_s: float = 0.2,
    ) -> None:
        self.kafka, self.feed, self.topic, self.client_id = kafka, feed, topic, client_id
        self.fetch_max_wait_ms, self.idle_s = fetch_max_wait_ms, idle_s
        self._plan: SidePlan | None = None
        self._is_failing = False

    async def run(self) -> None:
        """Fetch and hand over until cancelled (the worker stopping)."""
        client = AIOKafkaConsumer(
            **consumer_settings(
                self.kafka,
                client_id=self.client_id,
                group_id=None,  # never joins: Faust's group owns the partitions and commits
                fetch_max_wait_ms=self.fetch_max_wait_ms,
            )
        )
        await client.start()
        try:
            while True:
                await self.step(client)
        finally:
            await client.stop()

    async def step(self, client: AIOKafkaConsumer) -> None:
        """Follow Faust's assignment, then one fetch handed over. Any client error is logged
        once per outage and the assignment planned again: Faust's fetch still handles every
        record, only later."""
        try:
            await self._step(client)
            self._is_failing = False
        except Exception as exc:  # see docstring: the side fetch must not stop the worker
            if not self._is_failing:
                log.warning("priority side fetch failed, Faust's fetch carries on: %r", exc)
            self._is_failing = True
            self._plan = None
            await asyncio.sleep(self.idle_s)

    async def _step(self, client: AIOKafkaConsumer) -> None:
        plan = self.feed.side_fetch_plan(self.topic)
        if assignment_of(plan) != assignment_of(self._plan):
            self._plan = plan
            _assign(client, {} if plan is None else plan.starts)
        if self._plan is None or not self._plan.starts:
            await asyncio.sleep(self.idle_s)  # a rebalance, or no priority partition here
            return
        fetched = await client.getmany(timeout_ms=1000)
        for tp, records in fetched.items():
            if not await self.feed.run_side_batch(tp, records, self._plan.generation):
                self._plan = None  # a rebalance since: plan again from where handlers stopped
                return


def _assign(client: AIOKafkaConsumer, starts: Mapping[tuple[str, int], int | None]) -> None:
    if not starts:
        client.unsubscribe()
        return
    client.assign([TopicPartition(*key) for key in starts])
    for key, start in starts.items():
        # None: never committed; the client resets to the beginning (earliest), as Faust does.
        if start is not None:
            client.seek(TopicPartition(*key), start)
