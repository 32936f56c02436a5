"""Per-device sequence tracking: the completeness proof (a lost smoke reading is a safety fact).

Pure: readings in, SequenceAnomaly records out. Per device it keeps the highest seq seen and
the seqs still missing within a window (as intervals), so a late arrival heals its gap instead
of being counted a duplicate; the arrival that fills the last missing seq of a device is
recorded twice, as `late` and as `healed` (what the worker clears its gap finding on).
Not checked: gateway status and retained messages (their seq is fixed when the gateway
connects, and retained copies are redelivered on every subscribe).
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from events.readings import Reading
from events.sequence import AnomalyType, SequenceAnomaly


@dataclass(slots=True)
class _Device:
    last_seq: int
    # Sorted, disjoint, inclusive [start, end] intervals of seqs not seen yet.
    missing: list[list[int]] = field(default_factory=list)

    def missing_count(self) -> int:
        return sum(end - start + 1 for start, end in self.missing)

    def take(self, seq: int) -> bool:
        """Remove `seq` from the missing intervals; False when it was not missing."""
        i = bisect.bisect_right(self.missing, seq, key=lambda iv: iv[0]) - 1
        if i < 0 or not self.missing[i][0] <= seq <= self.missing[i][1]:
            return False
        start, end = self.missing[i]
        pieces = [[s, e] for s, e in ((start, seq - 1), (seq + 1, end)) if s <= e]
        self.missing[i : i + 1] = pieces
        return True

    def prune(self, oldest: int) -> None:
        while self.missing and self.missing[0][1] < oldest:
            self.missing.pop(0)
        if self.missing and self.missing[0][0] < oldest:
            self.missing[0][0] = oldest


class SequenceTracker:
    """Feed every accepted, sequence-checked reading; returns the anomalies it reveals."""

    def __init__(self, bridge_id: str, window: int = 10_000) -> None:
        self.bridge_id = bridge_id
        self.window = window
        self._devices: dict[str, _Device] = {}
        self.counts: Counter[AnomalyType] = Counter()
        self.missing_reported = 0

    def observe(
        self, reading: Reading, now: datetime, is_dup: bool = False
    ) -> list[SequenceAnomaly]:
        """`is_dup`: the MQTT DUP flag (a redelivery), never a counter reset."""
        seq = reading.seq
        dev = self._devices.get(reading.device_id)
        if dev is None:
            # First sight (or first since this bridge started): the baseline, not a gap.
            self._devices[reading.device_id] = _Device(seq)
            return []
        if seq == dev.last_seq + 1:
            dev.last_seq = seq
            if dev.missing:
                dev.prune(seq - self.window)
            return []
        expected = dev.last_seq + 1
        kind, missing = self._classify(dev, seq, is_dup)
        kinds = [kind]
        if kind is AnomalyType.LATE and missing == 0:
            kinds.append(AnomalyType.HEALED)
        out = []
        for k in kinds:
            self.counts[k] += 1
            out.append(
                SequenceAnomaly(
                    anomaly=k,
                    device_id=reading.device_id,
                    compound_id=reading.compound_id,
                    gateway_id=reading.gateway_id,
                    expected_seq=expected,
                    received_seq=seq,
                    missing_count=missing,
                    detected_at=now,
                    bridge_id=self.bridge_id,
                )
            )
        return out

    def missing(self, device_id: str) -> list[tuple[int, int]]:
        """The device's seqs still missing, as inclusive (first, last) ranges."""
        dev = self._devices.get(device_id)
        return [] if dev is None else [(start, end) for start, end in dev.missing]

    def _classify(self, dev: _Device, seq: int, is_dup: bool) -> tuple[AnomalyType, int]:
        if seq > dev.last_seq:
            gap = seq - dev.last_seq - 1
            dev.missing.append([max(dev.last_seq + 1, seq - self.window), seq - 1])
            dev.last_seq = seq
            dev.prune(seq - self.window)
            self.missing_reported += gap
            return AnomalyType.GAP, gap
        if dev.take(seq):
            # missing_count on a late arrival = how many of this device's seqs are still missing.
            return AnomalyType.LATE, dev.missing_count()
        # Devices count from 0 after a restart; anything older than the window is a restart
        # too (a redelivery that late would have been acknowledged long ago). Seq 0 again
        # right after seq 0 is the same reading twice (a gateway resending), not a restart.
        is_restart = (seq == 0 and dev.last_seq > 0) or seq < dev.last_seq - self.window
        if not is_dup and is_restart:
            dev.last_seq = seq
            dev.missing.clear()
            return AnomalyType.RESET, 0
        return AnomalyType.DUPLICATE, 0

    @property
    def device_count(self) -> int:
        return len(self._devices)
