"""Replay planning (pure): when each recorded message goes out, and with which ids.

`speed` scales inter-arrival gaps (1 = as recorded, 10 = ten times faster); `None` = as fast as
possible. Id remapping rewrites compound/gateway/device ids in the topic and in the payload, so
a replay can run beside live devices without colliding with their sequence numbers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from simulators.recording import Record

_ID_FIELDS = ("device_id", "compound_id", "gateway_id", "station_id", "area_id", "session_id")


@dataclass(frozen=True)
class IdMap:
    """Prefix rewrites applied to every id: {"c001": "c901"} turns c001-b1-f3 into c901-b1-f3;
    `prefix` is prepended to every id afterwards."""

    rewrites: dict[str, str] = field(default_factory=dict)
    prefix: str = ""

    @property
    def is_identity(self) -> bool:
        return not self.rewrites and not self.prefix

    def id(self, value: str) -> str:
        for old, new in self.rewrites.items():
            if value.startswith(old):
                value = new + value[len(old) :]
                break
        return self.prefix + value

    def topic(self, topic: str) -> str:
        parts = topic.split("/")
        # fw/v1/{compound}/{gateway}[/{device}]/{channel}
        for i in range(2, len(parts) - 1):
            parts[i] = self.id(parts[i])
        return "/".join(parts)

    def payload(self, payload: bytes) -> bytes:
        try:
            data = json.loads(payload)
        except ValueError:
            return payload  # not ours to fix: replay it as recorded
        if not isinstance(data, dict):
            return payload
        for key in _ID_FIELDS:
            if isinstance(data.get(key), str):
                data[key] = self.id(data[key])
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def record(self, r: Record) -> Record:
        if self.is_identity:
            return r
        return Record(r.t, self.topic(r.topic), self.payload(r.payload), r.qos, r.retain)


@dataclass(frozen=True, slots=True)
class Scheduled:
    at_s: float  # seconds after the replay starts
    record: Record


def plan(
    records: Iterable[Record], speed: float | None, ids: IdMap | None = None
) -> Iterator[Scheduled]:
    """Each record with its send offset. Gaps are taken from the recording's order of lines
    (negative gaps, e.g. a merged file, count as zero)."""
    if speed is not None and speed <= 0:
        raise ValueError("speed must be > 0 (or None for as fast as possible)")
    ids = ids or IdMap()
    t_first: float | None = None
    at_s = 0.0
    last_t = 0.0
    for r in records:
        if t_first is None:
            t_first, last_t = r.t, r.t
        if speed is not None:
            at_s += max(0.0, r.t - last_t) / speed
        last_t = max(last_t, r.t)
        yield Scheduled(at_s, ids.record(r))


def gateway_of(topic: str) -> tuple[str, str]:
    """(compound, gateway) of an fw/v1 topic; other topics share one pseudo gateway."""
    parts = topic.split("/")
    if len(parts) >= 5 and parts[0] == "fw":
        return parts[2], parts[3]
    return "-", "replay"
