"""Timers of the worker: deadlines over stored state, flushes, and the state reload after a
rebalance; and the readiness that follows from them (group joined, state recovered).

An exception escaping a Faust timer kills the worker (STACK-NOTES.md): each timer catches,
logs and counts its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from runtime.clock import Clock
from runtime.health import Health
from runtime.partitioner import partition_for
from streams import metrics
from streams.config import StreamsConfig
from streams.faust_compat import is_recovered, recovered_partitions
from streams.faust_types import FaustApp, FaustTable, TopicPartition
from streams.processor import CompoundProcessor, DeviceProcessor, Emitted

log = logging.getLogger(__name__)

# Liveness: the tick timer runs every tick_interval_s (1 s); a minute without one means the
# event loop is stuck, and a restart is the cure (a slow broker does not stop the timers).
TICK_LIVENESS_S = 60.0
# Device states a flush writes before it lets the event loop run again: ~5 ms of work here
# (~8 us to serialise a state, plus its producer batching).
FLUSH_SLICE = 500


class Publish(Protocol):
    async def __call__(self, emitted: Emitted) -> None: ...


class WorkerTimers:
    """`stages`, `topics` and `tables` are keyed alike by device stage ("readings", ...);
    `tables` also holds "compound". `install` connects it to the app (before it starts)."""

    def __init__(
        self,
        app: FaustApp,
        cfg: StreamsConfig,
        stages: Mapping[str, DeviceProcessor],
        compound: CompoundProcessor,
        *,
        topics: Mapping[str, str],
        tables: Mapping[str, FaustTable],
        publish: Publish,
        clock: Clock,
        health: Health,
        on_ready: Callable[[], object] | None = None,
    ) -> None:
        self.app, self.cfg = app, cfg
        self.stages, self.compound = stages, compound
        self.topics, self.tables = topics, tables
        self.publish = publish
        self.clock = clock
        self.on_ready = on_ready
        self.needs_reload = False
        self.has_been_ready = False
        self.last_tick_s = clock.monotonic_s()
        # Ready = a member of the group with its partitions' state loaded (RELIABILITY: a
        # worker that is not yet serving its partitions must not count as serving them).
        self.group_joined = health.ready_flag("kafka.group_joined")
        self.state_loaded = health.ready_flag("worker.state_loaded")
        health.add_live("worker.timers_ticking", self.is_ticking)

    def install(self) -> None:
        self.app.on_partitions_revoked.connect(self.on_revoked)
        self.app.on_partitions_assigned.connect(self.on_assigned)
        self.app.timer(interval=self.cfg.tick_interval_s)(self.tick)
        self.app.timer(interval=self.cfg.flush_interval_s)(self.flush)

    def is_ticking(self) -> bool:
        return self.clock.monotonic_s() - self.last_tick_s < TICK_LIVENESS_S

    async def on_revoked(self, app: Any, revoked: Iterable[TopicPartition], **_: Any) -> None:
        # Forget revoked devices at once: their new owner's timers take over (no double page),
        # and a partition that comes back is read again from its table, not from stale memory.
        self.group_joined.clear()
        self.state_loaded.clear()
        revoked = list(revoked)
        for name, proc in self.stages.items():
            lost = {tp.partition for tp in revoked if tp.topic == self.topics[name]}
            proc.cache = {
                k: v for k, v in proc.cache.items() if partition_for(k, proc.partitions) not in lost
            }
        self.compound.flush()
        self.compound.cache = {}
        self.needs_reload = True

    async def on_assigned(self, app: Any, assigned: Iterable[TopicPartition], **_: Any) -> None:
        self.group_joined.set()
        self.needs_reload = True

    def reload(self) -> None:
        """Once recovery is done: keep exactly the devices of the partitions we own now."""
        if not is_recovered(self.app):
            return
        self.needs_reload = False
        procs: list[tuple[DeviceProcessor | CompoundProcessor, FaustTable]] = [
            (proc, self.tables[name]) for name, proc in self.stages.items()
        ]
        procs.append((self.compound, self.tables["compound"]))
        for proc, table in procs:
            changelog = table.changelog_topic.get_topic_name()
            proc.keep_only(recovered_partitions(self.app, changelog))
        log.info("state reloaded after rebalance: %d devices", len(self.stages["readings"].cache))
        self.state_loaded.set()
        if not self.has_been_ready:
            self.has_been_ready = True
            if self.on_ready is not None:
                self.on_ready()

    async def tick(self) -> None:
        self.last_tick_s = self.clock.monotonic_s()
        try:
            if self.needs_reload:
                self.reload()
            emitted = Emitted()
            for proc in self.stages.values():
                proc.tick(emitted)
            self.compound.tick(emitted)
            metrics.DEVICES.set(len(self.stages["readings"].cache))
            await self.publish(emitted)
        except Exception:
            log.exception("tick timer failed; next tick retries")
            metrics.TIMER_ERRORS.labels("tick").inc()

    async def flush(self) -> None:
        """Every changed state to the changelog, serialised in slices with the event loop free
        between them, then sent in one go (whose batching yields between partitions:
        streams/table_store.py). Serialising a whole flush at once (thousands of states, ~8 us
        each) held a P1 arriving meanwhile for its length (bench e2e: fires' alert ~100 ms
        late at p99; a worker of a city holds tens of thousands of devices). One send, not one
        a slice: each send ends with a record alone per partition (Tansu's end offset), and
        Tansu's fetches cost more the more batches it holds. States that change during the
        flush are written by it or by the next one."""
        try:
            for proc in self.stages.values():
                left = len(proc.dirty)  # what changed until now: the flush ends
                while left > 0 and proc.dirty:
                    left -= proc.flush(limit=FLUSH_SLICE)
                    await asyncio.sleep(0)  # the lanes' P1s run between slices
            self.compound.flush()
            await self.publish(Emitted())
        except Exception:
            log.exception("flush timer failed; next flush retries")
            metrics.TIMER_ERRORS.labels("flush").inc()
