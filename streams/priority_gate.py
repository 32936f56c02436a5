"""Each priority record handled once per consumer generation, whichever fetch brings it first.

A device's own alarm reaches the priority lane's handler by two fetches (issue #17): the worker's
side fetch of the priority partitions (streams/priority_fetch.py: a short long-poll of its own,
so the alarm does not wait for the readings' fetch cycle) and Faust's own fetch, which alone acks
and commits. The gate lets one batch at a time through to the handler, and per partition remembers
the highest offset a handler finished: records at or below it are not handled again, so the
second fetch to bring them only acks them (faust_compat).

Why this keeps the guarantees (DOMAIN.md: P1; ARCHITECTURE.md: at least once):
- both fetches read a partition contiguously from where no handler finished (the side fetch
  starts at `handled_up_to + 1`, or at the committed offset), so skipping what is at or below
  the mark never skips an unhandled record, and a partition's records are handled in order;
- the mark moves only after the handler returned, i.e. after the alert is durable and the state
  sent (streams/lanes.py); a failed handler leaves it, and the records are handled again;
- a new consumer generation (a rebalance) forgets every mark: the records after the committed
  offset are handled again (at least once; replays are dropped by seq).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar


class _Partition(Protocol):
    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...


class _Positioned(Protocol):
    @property
    def offset(self) -> int: ...


R = TypeVar("R", bound=_Positioned)


class PriorityGate:
    def __init__(self) -> None:
        self._lock = asyncio.Lock()  # one handler run at a time: per-device order holds
        self._generation: int | None = None
        self._done: dict[tuple[str, int], int] = {}

    def handled_up_to(self, tp: _Partition, generation: int) -> int | None:
        """The highest offset of `tp` a handler finished in `generation` (None: none yet)."""
        if generation != self._generation:
            return None
        return self._done.get((tp.topic, tp.partition))

    def fresh(self, tp: _Partition, records: Sequence[R], generation: int) -> list[R]:
        """The records of `records` no handler finished yet in `generation`."""
        done = self.handled_up_to(tp, generation)
        return list(records) if done is None else [r for r in records if r.offset > done]

    async def run(
        self,
        tp: _Partition,
        records: Sequence[R],
        generation: int,
        handler: Callable[[list[R]], Awaitable[None]],
        *,
        is_current: Callable[[], bool],
    ) -> bool:
        """Hand the records not handled yet to `handler`, one run at a time. False, and nothing
        handled, when `is_current()` says the batch's generation is over by the time it may
        run (a rebalance: the records are fetched again from the committed offset)."""
        async with self._lock:
            if not is_current():
                return False
            if generation != self._generation:
                self._generation, self._done = generation, {}
            todo = self.fresh(tp, records, generation)
            if todo:
                await handler(todo)
                self._done[(tp.topic, tp.partition)] = todo[-1].offset
            return True
