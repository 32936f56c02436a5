"""Timers of the worker: deadlines over stored state, flushes, and state reload after a
rebalance. An exception escaping a Faust timer kills the worker (STACK-NOTES.md): each timer
catches, logs and counts its own."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from streams import metrics
from streams.config import StreamsConfig
from streams.processor import CompoundProcessor, DeviceProcessor, Emitted, partition_for

log = logging.getLogger(__name__)


def install_timers(
    app: Any,
    cfg: StreamsConfig,
    stages: dict[str, DeviceProcessor],
    compound: CompoundProcessor,
    *,
    topics: dict[str, str],
    tables: dict[str, Any],
    publish: Callable[[Emitted], Awaitable[None]],
    on_ready: Callable[[], object] | None = None,
) -> None:
    """`stages`, `topics` and `tables` are keyed alike by device stage ("readings", ...);
    `tables` also holds "compound"."""
    state = {"reload": False, "ready": on_ready is None}
    devices = stages["readings"]

    async def on_revoked(app: Any, revoked: Any, **_: Any) -> None:
        # Forget revoked devices at once: their new owner's timers take over (no double page),
        # and a partition that comes back is read again from its table, not from stale memory.
        for name, proc in stages.items():
            lost = {tp.partition for tp in revoked if tp.topic == topics[name]}
            proc.cache = {k: v for k, v in proc.cache.items() if _partition(k, proc) not in lost}
        compound.flush()
        compound.cache = {}
        state["reload"] = True

    app.on_partitions_revoked.connect(on_revoked)

    async def on_assigned(app: Any, assigned: Any, **_: Any) -> None:
        state["reload"] = True

    app.on_partitions_assigned.connect(on_assigned)

    def reload() -> None:
        recovery = app.tables.recovery
        if app.rebalancing or not recovery.completed.is_set():
            return
        state["reload"] = False
        active = recovery.active_tps
        pairs: list[tuple[DeviceProcessor | CompoundProcessor, Any]] = [
            (proc, tables[name]) for name, proc in stages.items()
        ]
        pairs.append((compound, tables["compound"]))
        for proc, table in pairs:
            name = table.changelog_topic.get_topic_name()
            proc.keep_only({tp.partition for tp in active if tp.topic == name})
        log.info("state reloaded after rebalance: %d devices", len(devices.cache))
        if not state["ready"] and on_ready is not None:
            state["ready"] = True
            on_ready()

    async def tick() -> None:
        # An exception escaping a Faust timer kills the worker (STACK-NOTES.md): report it.
        try:
            if state["reload"]:
                reload()
            emitted = Emitted()
            for proc in stages.values():
                proc.tick(emitted)
            compound.tick(emitted)
            metrics.DEVICES.set(len(devices.cache))
            await publish(emitted)
        except Exception:
            log.exception("tick timer failed; next tick retries")
            metrics.TIMER_ERRORS.labels("tick").inc()

    tick = app.timer(interval=cfg.tick_interval_s)(tick)

    async def flush() -> None:
        try:
            for proc in stages.values():
                proc.flush()
            compound.flush()
            await publish(Emitted())
        except Exception:
            log.exception("flush timer failed; next flush retries")
            metrics.TIMER_ERRORS.labels("flush").inc()

    flush = app.timer(interval=cfg.flush_interval_s)(flush)


def _partition(key: str, proc: DeviceProcessor) -> int:
    return partition_for(key, proc.partitions)
