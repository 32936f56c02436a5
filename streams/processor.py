"""Device and compound processors: in-memory state mirrored to a changelog-backed store.

No Faust import: the app hands each processor a StateStore (the Faust table adapter, or a
dict in tests and benchmarks). Per-device state stays in a dict; it is written to the store at
once when it changed meaningfully and otherwise in the periodic flush (STACK-NOTES.md: one
table update per event caps a Faust agent near 3.3k events/s).
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic_core import to_json

from events.alerts import Alert, compound_of, subject_of
from events.readings import Reading
from events.sequence import SequenceAnomaly
from runtime.clock import Clock
from runtime.partitioner import partition_for
from streams.conditions import Conditions, apply_finding, apply_reset
from streams.detectors.area import CompoundEngine
from streams.detectors.compound_state import CompoundState
from streams.detectors.engine import DeviceEngine
from streams.detectors.model import Finding, Outcome, Signal
from streams.detectors.state import DeviceState

log = logging.getLogger(__name__)


class StateStore(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...
    def put(self, key: str, value: dict[str, Any], partition: int) -> None: ...
    def items(self) -> Iterable[tuple[str, dict[str, Any]]]: ...


class DictStore:
    """A StateStore in memory holding JSON bytes, as the Faust table does: tests, benchmarks."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.writes = 0

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self.data.get(key)
        return None if raw is None else dict(json.loads(raw))

    def put(self, key: str, value: dict[str, Any], partition: int) -> None:
        self.writes += 1
        self.data[key] = to_json(value)

    def items(self) -> Iterable[tuple[str, dict[str, Any]]]:
        return [(k, dict(json.loads(v))) for k, v in list(self.data.items())]


@dataclass(slots=True)
class Emitted:
    alerts: list[Alert] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)


def _fold(conditions: Conditions, findings: list[Finding], now_s: float, into: Emitted) -> None:
    for f in findings:
        alert = apply_finding(conditions, f, now_s)
        if alert is not None:
            into.alerts.append(alert)


class DeviceProcessor:
    def __init__(
        self, engine: DeviceEngine, clock: Clock, store: StateStore, partitions: int
    ) -> None:
        self.engine, self.clock, self.store, self.partitions = engine, clock, store, partitions
        self.cache: dict[str, DeviceState] = {}
        self.dirty: set[str] = set()
        self.duplicates = 0
        # One Outcome for every reading, emptied after use (on_reading): most stay empty.
        self._out = Outcome()

    def _state(self, device_id: str) -> DeviceState:
        st = self.cache.get(device_id)
        if st is None:
            raw = self.store.get(device_id)
            st = DeviceState.from_dict(raw) if raw else DeviceState(device_id=device_id)
            self.cache[device_id] = st
        return st

    def _after(self, st: DeviceState, out: Outcome, into: Emitted, now_s: float) -> None:
        # Most readings say nothing new: no findings, no signals (checked, not looped over).
        findings = out.findings
        if findings:
            _fold(st.conditions, findings, now_s, into)
        if out.signals:
            into.signals.extend(out.signals)
        if out.is_significant or findings:
            self.write(st)
        else:
            self.dirty.add(st.device_id)

    def write(self, st: DeviceState) -> None:
        self.dirty.discard(st.device_id)
        self.store.put(st.device_id, st.to_dict(), partition_for(st.device_id, self.partitions))

    def on_reading(self, r: Reading, into: Emitted) -> None:
        st = self.cache.get(r.device_id) or self._state(r.device_id)
        now_s = self.clock.now_s()
        out = self._out
        try:
            is_new = self.engine.apply_reading(st, r, now_s, out)
        except BaseException:
            self._out = Outcome()  # a detector failed half-way: its leftovers go with it
            raise
        if not is_new:
            self.duplicates += 1
        elif out.findings or out.signals or out.is_significant:
            self._after(st, out, into, now_s)
            self._out = Outcome()  # handed on: the next reading starts empty
        else:  # most readings: nothing new, the state waits for the periodic flush
            self.dirty.add(st.device_id)

    def on_sequence(self, a: SequenceAnomaly, into: Emitted) -> None:
        st = self._state(a.device_id)
        now_s = self.clock.now_s()
        self._after(st, self.engine.on_sequence(st, a, now_s), into, now_s)

    def reset(self, key: str, resolution_id: str, at_s: float, into: Emitted) -> None:
        """A person resolved the incident owning condition `key`: clear the condition if this
        stage holds it (keyed by device)."""
        device_id = subject_of(key)
        raw = None if device_id in self.cache else self.store.get(device_id)
        if device_id not in self.cache and raw is None:
            return  # not a device of this stage (or of this worker's partitions)
        st = self._state(device_id)
        if key not in st.conditions:
            return
        alert = apply_reset(st.conditions, key, resolution_id, at_s)
        if alert is not None:
            into.alerts.append(alert)
        self.write(st)  # the resolution id too, so a replay after a restart stays a no-op

    def tick(self, into: Emitted) -> None:
        now_s = self.clock.now_s()
        may_be_due = self.engine.may_be_due
        for st in list(self.cache.values()):
            if not may_be_due(st, now_s):
                continue
            out = self.engine.on_tick(st, now_s)
            if out.findings or out.signals or out.is_significant:
                self._after(st, out, into, now_s)

    def flush(self, limit: int | None = None) -> int:
        """Write changed states to the store, at most `limit` of them (the rest stay changed
        for the next call); how many were written."""
        if limit is None or len(self.dirty) <= limit:
            dirty, self.dirty = self.dirty, set()
        else:
            dirty = set(itertools.islice(self.dirty, limit))
            self.dirty -= dirty
        for device_id in dirty:
            st = self.cache.get(device_id)
            if st is not None:
                self.store.put(device_id, st.to_dict(), partition_for(device_id, self.partitions))
        return len(dirty)

    def keep_only(self, partitions: set[int]) -> None:
        """After a rebalance: drop devices of revoked partitions, load those of new ones."""
        self.flush()
        self.cache = {
            k: v for k, v in self.cache.items() if partition_for(k, self.partitions) in partitions
        }
        for key, raw in self.store.items():
            if key not in self.cache and partition_for(key, self.partitions) in partitions:
                self.cache[key] = DeviceState.from_dict(raw)


class CompoundProcessor:
    """The compound stage: low traffic (signals on change only), written on every change."""

    def __init__(
        self, engine: CompoundEngine, clock: Clock, store: StateStore, partitions: int
    ) -> None:
        self.engine, self.clock, self.store, self.partitions = engine, clock, store, partitions
        self.cache: dict[str, CompoundState] = {}
        self.dirty: set[str] = set()

    def _state(self, compound_id: str) -> CompoundState:
        cs = self.cache.get(compound_id)
        if cs is None:
            raw = self.store.get(compound_id)
            cs = CompoundState.from_dict(raw) if raw else CompoundState()
            self.cache[compound_id] = cs
        return cs

    def on_signal(self, s: Signal, into: Emitted) -> None:
        compound_id = s.place.compound_id
        cs = self._state(compound_id)
        out = self.engine.on_signal(cs, s)
        _fold(cs.conditions, out.findings, self.clock.now_s(), into)
        # A compound's state holds all its devices' facts: serialising it for every door
        # toggle cost more than the whole device stage. Written at once when a condition
        # moved, else in the periodic flush.
        if out.findings:
            self._write(compound_id, cs)
        else:
            self.dirty.add(compound_id)

    def reset(self, key: str, resolution_id: str, at_s: float, into: Emitted) -> None:
        """A person resolved the incident owning condition `key`: clear it if it is an area
        condition held here, and forget the rule edges behind it."""
        compound_id = compound_of(key)
        if compound_id not in self.cache and self.store.get(compound_id) is None:
            return
        cs = self._state(compound_id)
        if key not in cs.conditions:
            return
        alert = apply_reset(cs.conditions, key, resolution_id, at_s)
        if alert is not None:
            into.alerts.append(alert)
            _fold(cs.conditions, self.engine.on_reset(cs, key, at_s).findings, at_s, into)
        self._write(compound_id, cs)

    def _write(self, compound_id: str, cs: CompoundState) -> None:
        self.dirty.discard(compound_id)
        self.store.put(compound_id, cs.to_dict(), partition_for(compound_id, self.partitions))

    def flush(self) -> int:
        dirty, self.dirty = self.dirty, set()
        for compound_id in dirty:
            cs = self.cache.get(compound_id)
            if cs is not None:
                self._write(compound_id, cs)
        return len(dirty)

    def tick(self, into: Emitted) -> None:
        now_s = self.clock.now_s()
        for compound_id, cs in list(self.cache.items()):
            if not cs.silent:
                continue
            out = self.engine.on_tick(cs, now_s)
            _fold(cs.conditions, out.findings, now_s, into)
            self._write(compound_id, cs)

    def keep_only(self, partitions: set[int]) -> None:
        self.flush()
        self.cache = {}
        for key, raw in self.store.items():
            if partition_for(key, self.partitions) in partitions:
                self.cache[key] = CompoundState.from_dict(raw)
