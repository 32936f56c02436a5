"""Every use of Faust's private API, in one module: what the worker overrides or reaches into,
why, and what upstream change would let each piece go.

Checked against faust-streaming 0.15.3 with mode-streaming 0.7.1 and aiokafka 0.14.0; the ranges
it supports are SUPPORTED (faust-streaming is pinned to 0.15.3 in pyproject.toml).
tests/streams/test_faust_compat.py fails loudly when any of it moves: the versions, the
signatures and attributes used here, the upstream source this module copies, and the behaviour
on a real broker.

1. Batch lanes (`FastConsumer._getmany`, `_run_lanes`, `_poll_urgent`, `_ack_batch`). Faust
   delivers every record as a ConsumerMessage, an Event, a channel put and a stream step: on
   2 cores that capped an EMPTY agent near 12k events/s and a worker with every detector near
   3.1k. A lane takes a partition's fetched records out of the fetch, hands them to one
   handler, and acks their offsets in bulk into Faust's own bookkeeping (gaps included), so
   Faust still owns the group, assignment, recovery, changelogs, commits and flow suspension.
   Urgent lanes' batches run first, and are taken between the others' when aiokafka's
   `Fetcher._records` (fetched, not yet taken) holds some (streams/lane_queue.py). A batch in
   flight is registered as an unacked message, so `wait_empty` (revoke, stop) waits for it; a
   batch fetched before a rebalance is dropped unacked and fetched again. The other lanes'
   state is sent once after a fetch's batches, before they are acked (`settle_lanes_with`):
   per batch, an alert in the twelfth readings batch waited for eleven state writes. Let go
   when: Faust can hand a partition's records to a handler in bulk (no upstream issue; #53 is
   the nearest), and aiokafka tells what it has fetched for a partition.
2. `_drain_messages` (a copy). Upstream hands each record to the agents with
   `wait_first(callback(message), suspend_flow.wait())`, asyncio.wait with two new tasks per
   record (faust-streaming #229 reports a deadlock in the same call). The copy awaits the
   callback and checks the suspension flag between records, and runs the lanes after each
   fetch. Let go when: upstream awaits the callback directly.
3. Fetch wait. Faust builds its aiokafka consumer with `fetch_max_wait_ms=1500` hard-coded;
   Tansu answers a long poll only when it expires, so every alarm hop paid it. Set on the
   consumer after construction (aiokafka's `_fetch_max_wait_ms`, read when its Fetcher starts).
   Let go when: Faust has a setting for it (robinhood/faust PR #281, never merged).
4. Table writes outside stream iteration (`ChangelogTable`). `table[key] = value` picks the
   changelog partition from the current event, so timers and batch lanes cannot write
   (faust-streaming #300, #497). We write the local store (`table.data`) and send the
   changelog record with an explicit partition (streams/table_store.py). Let go when: Faust
   accepts a partition for a table write made outside an agent.
5. Recovery state (`tables.recovery.completed`, `.active_tps`, `app.rebalancing`): which
   changelog partitions this worker owns once a rebalance settled. Let go when: the public
   `on_rebalance_complete` signal carries the recovered partitions.
6. Changelog records in producer batches (`Producer._producer`, aiokafka's `create_batch` /
   `send_batch`). Faust's `send` costs about 8 us a record (a future, a signal to its sensors,
   the accumulator's per-record path); a device reporting slower than the state flush costs
   one changelog record per reading, so at a city's load the worker spent as much on them as
   on its detectors. Batches go through the same aiokafka producer, which Faust flushes before
   it commits offsets, so at least once holds. Let go when: Faust can send a batch of records.
7. A side fetch of the urgent lanes (`side_fetch_plan`, `run_side_batch`;
   streams/priority_fetch.py). aiokafka sends one fetch per broker for all of Faust's partitions
   and none while any partition's records wait to be taken, so an alarm waited for the
   readings' fetch cycle (issue #17: p90 727 ms). A consumer of our own reads the priority
   partitions Faust owns (`assignment()`), from where no handler finished: the gate's mark
   (streams/priority_gate.py), else Faust's `_read_offset`, which `perform_seek` sets to the
   committed offset once a rebalance settled (item 5 says when). Its batches run through the
   gate like Faust's, count as in flight (`wait_empty`) and are dropped once the generation or
   the flow (`suspend_flow`, `flow_active`) says a rebalance began; they are never acked: Faust's
   own fetch brings the same records, the gate skips them and `_ack_batch` acks them. Let go
   when: aiokafka fetches a partition without waiting for the others' records to be taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping, Sequence
from typing import Any, NamedTuple, Protocol, cast

from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types.tuples import ack_lock
from mode.utils.futures import notify

from runtime.versions import SupportedRange, outside
from streams.faust_types import FaustApp, FaustTable, FaustTopic
from streams.lane_queue import LaneBatch, LaneQueue
from streams.priority_gate import PriorityGate

log = logging.getLogger(__name__)

# (lowest supported, first unsupported): a release outside needs this module re-checked.
SUPPORTED: dict[str, SupportedRange] = {
    "faust-streaming": ("0.15.3", "0.15.4"),
    "mode-streaming": ("0.7.1", "0.8"),
    "aiokafka": ("0.11", "0.15"),  # pyproject's range; item 3 reads one private attribute
}
# Tansu answered a long poll after ~53 ms at Faust's 1500 ms and after ~4 ms at 20 ms.
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


class SidePlan(NamedTuple):
    """Where a side fetch of an urgent topic reads (FastConsumer.side_fetch_plan)."""

    generation: int
    starts: dict[tuple[str, int], int | None]  # (topic, partition) -> first offset to fetch


def install(app: FaustApp, fetch_max_wait_ms: int = FETCH_MAX_WAIT_MS) -> None:
    """Make this app's transport build FastConsumer (before the app starts)."""
    for name, found in outside(SUPPORTED).items():
        log.warning("%s %s is outside faust_compat's range %s", name, found, SUPPORTED[name])
    app.conf._fw_fetch_max_wait_ms = fetch_max_wait_ms
    app.conf._fw_lanes = {}
    app.conf._fw_urgent = set()
    app.conf._fw_settle = None
    cast(Any, app).transport.Consumer = FastConsumer


def settle_lanes_with(app: FaustApp, settle: Callable[[], Awaitable[None]]) -> None:
    """The other lanes' handlers leave their state to `settle`, run once after the batches of
    a fetch, before they are acked: the alerts of the last batch are not behind the state
    writes of every batch before it (issue #17). Urgent lanes settle their own."""
    app.conf._fw_settle = settle


def add_lane(
    app: FaustApp, topic: FaustTopic, handler: LaneHandler, *, urgent: bool = False
) -> None:
    """Subscribe the app to `topic` and deliver its records to `handler` in batches (per
    partition, in offset order). An `urgent` lane's batches run before any other lane's, and
    the consumer looks for new ones between the others' (streams/lane_queue.py). Call after
    `install`, before the app starts."""
    cast(Any, app).topics.add(topic)  # the conductor subscribes to it like an agent's topic
    name = topic.get_topic_name()
    app.conf._fw_lanes[name] = handler
    if urgent:
        app.conf._fw_urgent.add(name)


class _InFlight:
    """Stands for a lane batch in Faust's set of unacked messages (a WeakSet): `wait_empty`
    reads `acked` and `refcount`."""

    __slots__ = ("__weakref__", "acked", "refcount")

    def __init__(self) -> None:
        self.acked = False
        self.refcount = 1


class FastConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = self.app.conf._fw_fetch_max_wait_ms  # item 3 above
        return consumer


class FastConsumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> Any:
        return FastConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _getmany(self, active_partitions: Any, timeout: float) -> Any:  # noqa: ASYNC109 - Faust's signature
        """Take the lanes' records out of the fetch; the upstream loop gets the rest."""
        records = dict(await super()._getmany(active_partitions, timeout))
        self._queue_lane_records(records)
        return records

    def _queue_lane_records(self, records: dict[Any, list[Any]]) -> None:
        lanes = self.app.conf._fw_lanes
        if not (records and lanes):
            return
        queue = self._lane_queue()
        generation = self.app.consumer_generation_id
        for tp in [tp for tp in records if tp.topic in lanes]:
            queue.put(LaneBatch(tp, tp.topic, records.pop(tp), generation))

    def _lane_queue(self) -> LaneQueue[Any]:
        queue: LaneQueue[Any] | None = self.__dict__.get("_fw_lane_queue")
        if queue is None:
            queue = LaneQueue(frozenset(self.app.conf._fw_urgent))
            self.__dict__["_fw_lane_queue"] = queue
        return queue

    async def _poll_urgent(self) -> None:
        """Queue the urgent lanes' records the fetcher holds by now, without waiting: an alarm
        fetched while telemetry batches run is served after the one running, not after them
        all and the next fetch (issue #17). Paused partitions are not active: flow control
        holds."""
        urgent = self.app.conf._fw_urgent
        tps = {tp for tp in self._active_partitions or () if tp.topic in urgent}
        if tps and self._fetcher_holds_any(tps):
            self._queue_lane_records(dict(await super()._getmany(tps, 0.0)))

    def _fetcher_holds_any(self, tps: set[Any]) -> bool:
        """Whether aiokafka's fetcher holds records for one of `tps` (item 1): read across
        threads, a dict membership test (atomic under the GIL), so the call into the consumer's
        thread is made only when there is something to take. A record landing just after is
        seen at the next check."""
        fetcher = getattr(getattr(self._thread, "_consumer", None), "_fetcher", None)
        if fetcher is None:
            return True  # not the aiokafka we know: ask the thread
        held = fetcher._records
        return any(tp in held for tp in tps)

    async def _run_lanes(self) -> None:
        queue = self._lane_queue()
        unsettled: list[LaneBatch[Any]] = []  # handled, acked once `settle` sent their state
        with self._in_flight():  # wait_empty waits for the settle too
            while (batch := queue.pop()) is not None:
                if self.should_stop or self.suspend_flow.is_set() or not self.flow_active:
                    queue.clear()  # rebalancing: fetched again from the committed offsets
                    return  # the unsettled too: at least once, replays dropped by seq
                if batch.generation != self.app.consumer_generation_id:
                    continue
                if await self._run_batch(batch):
                    unsettled.append(batch)
                if batch.topic not in queue.urgent_topics:
                    await self._poll_urgent()
            await self._settle(unsettled)

    async def _run_batch(self, batch: LaneBatch[Any]) -> bool:
        """Whether the batch waits for `_settle` to be acked (else acked here, or dropped)."""
        handler = self.app.conf._fw_lanes[batch.topic]
        if batch.topic in self.app.conf._fw_urgent:
            # The side fetch may have handled these already: the gate skips them.
            ran = await self._priority_gate().run(
                batch.tp,
                batch.records,
                batch.generation,
                handler,
                is_current=lambda: self._is_current(batch.generation),
            )
            if not ran:
                return False  # a rebalance began: fetched again from the committed offset
        else:
            await handler(batch.records)
            if self.app.conf._fw_settle is not None:
                return True
        if batch.generation == self.app.consumer_generation_id:
            await self._ack_batch(batch.tp, batch.records)
        return False

    async def _settle(self, batches: list[LaneBatch[Any]]) -> None:
        """Send the state of `batches` (settle_lanes_with), then ack those still current: a
        record is never committed before the state it changed is with the producer (Faust
        flushes it before committing)."""
        if not batches:
            return
        await self.app.conf._fw_settle()
        for batch in batches:
            if batch.generation == self.app.consumer_generation_id:
                await self._ack_batch(batch.tp, batch.records)

    @contextlib.contextmanager
    def _in_flight(self) -> Iterator[None]:
        """A lane batch counts as an unacked message while it runs (item 1: `wait_empty`)."""
        marker = _InFlight()
        unacked = cast(Any, self._unacked_messages)
        unacked.add(marker)
        try:
            yield
        finally:
            marker.acked = True
            unacked.discard(marker)
            notify(self._waiting_for_ack)

    def _priority_gate(self) -> PriorityGate:
        gate: PriorityGate | None = self.__dict__.get("_fw_priority_gate")
        if gate is None:
            gate = self.__dict__["_fw_priority_gate"] = PriorityGate()
        return gate

    def _is_current(self, generation: int) -> bool:
        """Whether records fetched in `generation` may still be handled: no rebalance since,
        and the flow not stopped for one."""
        stopped = self.should_stop or self.suspend_flow.is_set() or not self.flow_active
        return not stopped and generation == self.app.consumer_generation_id

    def side_fetch_plan(self, topic: str) -> SidePlan | None:
        """Item 7: the partitions of `topic` this worker owns, and the offset where a side fetch
        starts on each (the first one no handler finished; None: the topic's beginning, as
        Faust's offset reset). None while a rebalance is not settled."""
        generation = self.app.consumer_generation_id
        if not (self._is_current(generation) and is_recovered(self.app)):
            return None
        gate = self._priority_gate()
        starts: dict[tuple[str, int], int | None] = {}
        for tp in self.assignment():
            if tp.topic == topic:
                done = gate.handled_up_to(tp, generation)
                # After a rebalance Faust's read offset is the committed one (perform_seek).
                start = self._read_offset.get(tp) if done is None else done + 1
                starts[(tp.topic, tp.partition)] = start
        return SidePlan(generation, starts)

    async def run_side_batch(self, tp: Any, records: list[Any], generation: int) -> bool:
        """Item 7: hand records of an urgent lane fetched apart from Faust to its handler, once
        (the gate); never acked here: Faust's own fetch brings them again and acks them. False
        when `generation` is over: the caller plans again."""
        with self._in_flight():
            return await self._priority_gate().run(
                tp,
                records,
                generation,
                self.app.conf._fw_lanes[tp.topic],
                is_current=lambda: self._is_current(generation),
            )

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


class ChangelogTable:
    """A Faust table as a store of raw bytes whose changelog we write ourselves (item 4)."""

    def __init__(self, table: FaustTable) -> None:
        self.table = table
        self._data: MutableMapping[bytes, bytes] = cast(Any, table).data

    @property
    def changelog_topic_name(self) -> str:
        return self.table.changelog_topic.get_topic_name()

    def get(self, key: bytes) -> bytes | None:
        return self._data.get(key)

    def set(self, key: bytes, value: bytes) -> None:
        """The local store only: the caller sends the changelog record."""
        self._data[key] = value

    def items(self) -> list[tuple[bytes, bytes]]:
        return list(self._data.items())


def raw_table(app: FaustApp, name: str, partitions: int) -> FaustTable:
    """A table whose changelog holds raw bytes as ChangelogTable writes them, so recovery
    restores bytes (the default changelog topic would decode them as JSON)."""
    changelog = app.topic(
        f"{app.conf.id}-{name}-changelog",
        partitions=partitions,
        key_serializer="raw",
        value_serializer="raw",
        internal=True,
        compacting=True,
        deleting=False,
        acks=False,
    )
    table = app.Table(name, default=None, partitions=partitions, changelog_topic=changelog)
    loose = cast(Any, table)
    loose.key_serializer = loose.value_serializer = "raw"
    return table


def aiokafka_producer(app: FaustApp) -> Any:
    """The aiokafka producer inside Faust's (item 6); the app's producer must be started."""
    return cast(Any, app.producer)._producer


def is_recovered(app: FaustApp) -> bool:
    """No rebalance in progress and table recovery done (item 5)."""
    loose = cast(Any, app)
    return not loose.rebalancing and bool(loose.tables.recovery.completed.is_set())


def recovered_partitions(app: FaustApp, changelog_topic: str) -> set[int]:
    """The partitions of `changelog_topic` this worker owns after the last recovery."""
    active: Iterable[Any] = cast(Any, app).tables.recovery.active_tps
    return {tp.partition for tp in active if tp.topic == changelog_topic}
