"""Gap repair: ask a gateway to publish again what the sequence check found missing. Pure.

A gap (ingest/sequence.py) becomes a ResendRequest (events.commands) to the device's gateway,
which keeps a bounded buffer of its recent readings (the simulator's: simulators/mqtt/
gateway_buffer.py). What a request did not bring back is asked for again after
`retry_after_s`, up to `attempts` times in all; then the gap stays reported, and the worker
raises `sequence_gap` after its grace. The first request waits `first_after_s`: readings that
are only reordered (the two lanes, a QoS1 redelivery) fill their gap by themselves within
milliseconds. At most `max_per_tick` devices are asked per tick, so a broker crash that opened
gaps on thousands of devices becomes a steady trickle, not a storm on the gateways.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from events.commands import ResendRequest
from events.sequence import AnomalyType, SequenceAnomaly
from events.topics import MqttTopic

MissingRanges = Callable[[str], list[tuple[int, int]]]


@dataclass(frozen=True)
class RepairPolicy:
    first_after_s: float = 0.5
    retry_after_s: float = 5.0
    attempts: int = 3
    max_per_tick: int = 200
    # One request never asks for more than this many readings (a gateway's buffer is smaller
    # anyway); the oldest missing come first.
    max_range: int = 1000
    # Devices with an open gap tracked at most; beyond, new gaps stay reported, not repaired.
    max_open: int = 100_000


@dataclass
class _Open:
    compound_id: str
    gateway_id: str
    asked: int
    due_s: float


class GapRepair:
    """Feed it the tracker's anomalies; every tick, `due` says which requests to publish."""

    def __init__(
        self, bridge_id: str, missing: MissingRanges, policy: RepairPolicy | None = None
    ) -> None:
        self.bridge_id = bridge_id
        self.missing = missing
        self.policy = policy or RepairPolicy()
        self._open: dict[str, _Open] = {}
        self.requested = 0
        self.given_up = 0

    @property
    def open_count(self) -> int:
        return len(self._open)

    def on_anomalies(self, anomalies: Iterable[SequenceAnomaly], now_s: float) -> None:
        for a in anomalies:
            if a.anomaly is AnomalyType.GAP and a.device_id not in self._open:
                if len(self._open) < self.policy.max_open:
                    due_s = now_s + self.policy.first_after_s
                    self._open[a.device_id] = _Open(a.compound_id, a.gateway_id, 0, due_s)
            elif a.anomaly in (AnomalyType.HEALED, AnomalyType.RESET):
                self._open.pop(a.device_id, None)

    def due(self, now: datetime, now_s: float) -> list[tuple[str, ResendRequest]]:
        """(gateway command topic, request) pairs to publish now."""
        out: list[tuple[str, ResendRequest]] = []
        asked = 0
        for device_id, gap in list(self._open.items()):
            if asked >= self.policy.max_per_tick:
                break
            if gap.due_s > now_s:
                continue
            ranges = self.missing(device_id)
            if not ranges or gap.asked >= self.policy.attempts:
                self.given_up += bool(ranges)
                del self._open[device_id]
                continue
            gap.asked += 1
            gap.due_s = now_s + self.policy.retry_after_s
            asked += 1
            topic = MqttTopic.gateway_command(gap.compound_id, gap.gateway_id)
            out += [(topic, self._request(device_id, gap, r, now)) for r in self._clip(ranges)]
        self.requested += len(out)
        return out

    def _clip(self, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
        left, out = self.policy.max_range, []
        for first, last in ranges:
            if left <= 0:
                break
            upto = min(last, first + left - 1)
            out.append((first, upto))
            left -= upto - first + 1
        return out

    def _request(
        self, device_id: str, gap: _Open, seqs: tuple[int, int], now: datetime
    ) -> ResendRequest:
        return ResendRequest(
            request_id=f"{self.bridge_id}:{device_id}:{seqs[0]}-{seqs[1]}:{gap.asked}",
            compound_id=gap.compound_id,
            gateway_id=gap.gateway_id,
            device_id=device_id,
            from_seq=seqs[0],
            to_seq=seqs[1],
            requested_at=now,
            requested_by=self.bridge_id,
        )
