"""Replay planning (pure): when each recorded message goes out, with which ids and times.

`speed` scales inter-arrival gaps (1 = as recorded, 10 = ten times faster); `None` = as fast as
possible. Id remapping rewrites compound/gateway/device ids in the topic and in the payload, so
a replay can run beside live devices without colliding with their sequence numbers. Rebasing
shifts every timestamp by one offset (gaps kept) so the bridge's time window accepts them.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from simulators.recording import Record
from simulators.stamps import observed_s, shift_stamps

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


class Scheduled(NamedTuple):
    # A tuple, not a frozen dataclass: one is made per message, and a frozen dataclass's
    # __init__ (object.__setattr__ per field) was a twentieth of a replay at full speed.
    at_s: float  # seconds after the replay starts
    record: Record


def plan(
    records: Iterable[Record],
    speed: float | None,
    ids: IdMap | None = None,
    shift_s: float = 0.0,
) -> Iterator[Scheduled]:
    """Each record with its send offset, its ids rewritten and its times moved by `shift_s`.
    Gaps are taken from the recording's order of lines (negative gaps, e.g. a merged file,
    count as zero)."""
    if speed is not None and speed <= 0:
        raise ValueError("speed must be > 0 (or None for as fast as possible)")
    ids = ids or IdMap()
    if speed is None and ids.is_identity and not shift_s:
        return (Scheduled(0.0, r) for r in records)  # as recorded, at once: nothing to work out
    return _planned(records, speed, ids, shift_s)


def _planned(
    records: Iterable[Record], speed: float | None, ids: IdMap, shift_s: float
) -> Iterator[Scheduled]:
    t_first: float | None = None
    at_s = 0.0
    last_t = 0.0
    for r in records:
        if t_first is None:
            t_first, last_t = r.t, r.t
        if speed is not None:
            at_s += max(0.0, r.t - last_t) / speed
        last_t = max(last_t, r.t)
        out = ids.record(r)
        if shift_s:
            moved = shift_stamps(out.payload, shift_s)
            out = Record(out.t + shift_s, out.topic, moved, out.qos, out.retain)
        yield Scheduled(at_s, out)


def rebase_shift(records: Sequence[Record], now_s: float, speed: float | None) -> float:
    """Whole seconds to add to every timestamp so that no message is stamped later than it is
    sent and the first one as late as that allows: at x1 the recording starts now; faster
    replays start in the past so the last message is stamped when it goes out. Stamped ahead
    of the bridge clock would be dead-lettered (`timestamp_in_future`, ingest max_future_skew_s),
    so the shift errs towards the past (floor)."""
    if not records:
        return 0.0
    t_first = min(r.t for r in records)
    span_s = max(r.t for r in records) - t_first
    # At `max` everything goes out at once: the last stamp is "now".
    compressed_s = span_s if speed is None else span_s * max(0.0, 1.0 - 1.0 / speed)
    return float(math.floor(now_s - compressed_s - t_first))


@dataclass(frozen=True)
class WindowCheck:
    """How many planned messages the bridge would refuse for their timestamps."""

    too_old: int
    in_future: int
    total: int

    @property
    def is_clean(self) -> bool:
        return not (self.too_old or self.in_future)


def check_window(
    schedule: Iterable[Scheduled], now_s: float, max_age_s: float, max_future_s: float
) -> WindowCheck:
    """The bridge's time check (ingest core) applied to each message at its send time:
    observed_at older than `max_age_s` (retained messages are exempt) or more than
    `max_future_s` ahead is dead-lettered. Messages without a readable stamp count as fine."""
    too_old = in_future = total = 0
    for item in schedule:
        total += 1
        stamp_s = observed_s(item.record.payload)
        if stamp_s is None:
            continue
        sent_s = now_s + item.at_s
        if stamp_s - sent_s > max_future_s:
            in_future += 1
        elif sent_s - stamp_s > max_age_s and not item.record.retain:
            too_old += 1
    return WindowCheck(too_old, in_future, total)


@functools.lru_cache(maxsize=1 << 16)  # asked once per message, of a few topics per device
def gateway_of(topic: str) -> tuple[str, str]:
    """(compound, gateway) of an fw/v1 topic; other topics share one pseudo gateway."""
    parts = topic.split("/")
    if len(parts) >= 5 and parts[0] == "fw":
        return parts[2], parts[3]
    return "-", "replay"
