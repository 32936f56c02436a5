"""Faust's consumer with batch lanes, without two asyncio tasks per message, and with a short
fetch wait.

Lanes: the device stage's topics (readings, priority, sequence) do not go through Faust's
per-record delivery (a ConsumerMessage, an Event, a channel queue and a stream step for every
record): measured on this 2-core machine, that path alone capped an EMPTY agent near 12k
events/s and a worker with every detector near 3.1k. A lane hands each partition's fetched
records to one handler as a batch, then acks their offsets in bulk. Faust still owns
everything else: the consumer group, assignment, table recovery and changelogs, offset commits
(a lane's offsets are acked into Faust's own bookkeeping, gaps included), flow suspension on a
rebalance, and every other topic's agents.

Rebalance safety: a batch in flight is registered as an unacked message, so Faust's
`wait_empty` (on revoke and stop) waits for it; a batch fetched before a rebalance (another
consumer generation, or flow suspended) is dropped unacked and fetched again afterwards.

Everything not in a lane still goes through the upstream loop, with one change:
faust-streaming 0.15.3 `Consumer._drain_messages` hands every record to the agents through
`wait_first(callback(message), suspend_flow.wait())`, asyncio.wait with two new tasks per
record; this copy delivers with a plain await and checks the flow-suspension flag between
records instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, cast

from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types.tuples import ack_lock
from mode.utils.futures import notify

# Tansu answers a long-poll fetch only after ~50 ms (measured: 53 ms at Faust's hard-coded
# fetch_max_wait_ms=1500, 4 ms at 20): every hop of a fire alarm paid it.
FETCH_MAX_WAIT_MS = 100


class LaneRecord(Protocol):
    """What a lane handler reads of a record (aiokafka's ConsumerRecord has all of it)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


LaneHandler = Callable[[Sequence[LaneRecord]], Awaitable[None]]


class _InFlight:
    """Stands for a lane batch in Faust's set of unacked messages (a WeakSet): `wait_empty`
    reads `acked` and `refcount`."""

    __slots__ = ("__weakref__", "acked", "refcount")

    def __init__(self) -> None:
        self.acked = False
        self.refcount = 1


def add_lane(app: Any, topic: Any, handler: LaneHandler) -> None:
    """Subscribe the app to `topic` (a Faust topic) and deliver its records to `handler` in
    batches (per partition, in offset order). Call before the app starts, after `install`."""
    app.topics.add(topic)  # the conductor subscribes to it like an agent's topic
    app.conf._fw_lanes[topic.get_topic_name()] = handler


class FastConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        wait_ms = getattr(self.app.conf, "_fw_fetch_max_wait_ms", FETCH_MAX_WAIT_MS)
        consumer._fetch_max_wait_ms = wait_ms  # read by Fetcher at start()
        return consumer


class FastConsumer(faust_aiokafka.Consumer):
    _lane_batches: list[tuple[Any, list[Any], int]]

    def _new_consumer_thread(self) -> Any:
        return FastConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _getmany(self, active_partitions: Any, timeout: float) -> Any:  # noqa: ASYNC109
        """Take the lanes' records out of the fetch; the upstream loop gets the rest."""
        records = dict(await super()._getmany(active_partitions, timeout))
        lanes = self.app.conf._fw_lanes
        if records and lanes:
            generation = self.app.consumer_generation_id
            pending = self.__dict__.setdefault("_lane_batches", [])
            for tp in [tp for tp in records if tp.topic in lanes]:
                pending.append((tp, records.pop(tp), generation))
        return records

    async def _run_lanes(self) -> None:
        pending = self.__dict__.get("_lane_batches")
        if not pending:
            return
        self._lane_batches = []
        lanes = self.app.conf._fw_lanes
        for tp, records, generation in pending:
            if self.should_stop or self.suspend_flow.is_set() or not self.flow_active:
                return  # rebalancing: fetched again from the committed offsets afterwards
            if generation != self.app.consumer_generation_id:
                continue
            marker = _InFlight()
            unacked = cast(Any, self._unacked_messages)
            unacked.add(marker)
            try:
                await lanes[tp.topic](records)
                if generation == self.app.consumer_generation_id:
                    await self._ack_batch(tp, records)
            finally:
                marker.acked = True
                unacked.discard(marker)
                notify(self._waiting_for_ack)

    async def _ack_batch(self, tp: Any, records: list[Any]) -> None:
        """Faust's `ack` for a whole batch: offsets into its acked list, holes as gaps."""
        previous = self._read_offset[tp]
        offsets = [r.offset for r in records]
        if self.app.topics.acks_enabled_for(tp.topic):
            for offset in offsets:
                if previous is not None and offset - previous > 1:
                    await self._add_gap(tp, previous + 1, offset - 1)
                previous = offset
            with ack_lock:
                committed = self._committed_offset[tp]
                index = self._acked_index[tp]
                fresh = [
                    o for o in offsets if (committed is None or o >= committed) and o not in index
                ]
                index.update(fresh)
                self._acked[tp].extend(fresh)
                self._n_acked += len(fresh)
        self._read_offset[tp] = offsets[-1]
        commit_every = self._commit_every
        if commit_every is not None and self._n_acked >= commit_every:
            self._n_acked = 0
            await self.commit()

    async def _drain_messages(self, fetcher: Any) -> None:  # pragma: no cover - upstream copy
        callback = self.callback
        getmany = self.getmany
        consumer_should_stop = self._stopped.is_set
        fetcher_should_stop = fetcher._stopped.is_set
        get_read_offset = self._read_offset.__getitem__
        set_read_offset = self._read_offset.__setitem__
        commit_every = self._commit_every
        acks_enabled_for = self.app.topics.acks_enabled_for
        is_suspended = self.suspend_flow.is_set
        since_yield = 0
        try:
            while not (consumer_should_stop() or fetcher_should_stop()):
                ait = cast(Any, getmany(timeout=1.0))
                await asyncio.sleep(0)
                if self.should_stop:
                    continue
                async for tp, message in ait:
                    since_yield += 1
                    if since_yield > 100:
                        await asyncio.sleep(0)
                        since_yield = 0
                    if is_suspended():
                        break  # rebalancing: the records are fetched again afterwards
                    offset = message.offset
                    r_offset = get_read_offset(tp)
                    if r_offset is not None and offset < r_offset:
                        continue
                    if r_offset and offset - r_offset > 1 and acks_enabled_for(message.topic):
                        await self._add_gap(tp, r_offset + 1, offset)
                    if commit_every is not None and self._n_acked >= commit_every:
                        self._n_acked = 0
                        await self.commit()
                    await callback(message)
                    set_read_offset(tp, offset)
                await self._run_lanes()
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise


def install(app: Any, fetch_max_wait_ms: int = FETCH_MAX_WAIT_MS) -> None:
    """Make this app's transport build FastConsumer (before the app starts)."""
    app.conf._fw_fetch_max_wait_ms = fetch_max_wait_ms
    app.conf._fw_lanes = {}
    app.transport.Consumer = FastConsumer
