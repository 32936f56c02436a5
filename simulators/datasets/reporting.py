"""Re-report a recorded series at another interval, with jitter and gaps (seeded, pure).

A data set samples every 2 s; devices report every 1-60 s, never exactly on time, and lose
readings. Each reading here is the recorded value linearly interpolated at the report time
(so 1 s reporting of a 2 s record is interpolation: smoother than a real 1 s sensor, and said
so wherever it is scored). Gaps drop runs of readings, as a gateway outage or radio loss does.
"""

from __future__ import annotations

import bisect
import random
import zlib
from dataclasses import dataclass

Series = list[tuple[float, float]]  # (t_s, value), sorted by t_s


@dataclass(frozen=True, slots=True)
class Reporting:
    """How a device reports: every `interval_s`, each time moved by up to `jitter_frac` of the
    interval either way, a run of readings lost with probability `gap_frac` per reading (runs of
    1-`max_gap_readings`)."""

    interval_s: float
    jitter_frac: float = 0.0
    gap_frac: float = 0.0
    max_gap_readings: int = 5
    seed: int = 0

    def label(self) -> str:
        extras = []
        if self.jitter_frac:
            extras.append(f"jitter ±{self.jitter_frac:.0%}")
        if self.gap_frac:
            extras.append(f"gaps {self.gap_frac:.0%}")
        return f"{self.interval_s:g} s" + (f" ({', '.join(extras)})" if extras else "")


def interpolate(series: Series, t_s: float) -> float:
    times = [p[0] for p in series]
    i = bisect.bisect_right(times, t_s)
    if i == 0:
        return series[0][1]
    if i >= len(series):
        return series[-1][1]
    (t0, v0), (t1, v1) = series[i - 1], series[i]
    return v0 if t1 == t0 else v0 + (v1 - v0) * (t_s - t0) / (t1 - t0)


def resample(series: Series, how: Reporting, stream: str) -> Series:
    """The readings a device reporting `how` would have sent; `stream` names the series so each
    gets its own (seeded) phase, jitter and gaps."""
    if not series:
        return []
    rng = random.Random(how.seed * 1_000_003 + zlib.crc32(stream.encode()))
    first, last = series[0][0], series[-1][0]
    slot_s = first + rng.uniform(0.0, how.interval_s)
    out: Series = []
    skip = 0
    while slot_s <= last:
        t_s = slot_s + rng.uniform(-how.jitter_frac, how.jitter_frac) * how.interval_s
        slot_s += how.interval_s
        if skip:
            skip -= 1
            continue
        if how.gap_frac and rng.random() < how.gap_frac:
            skip = rng.randint(1, how.max_gap_readings) - 1
            continue
        if first <= t_s <= last and (not out or t_s > out[-1][0]):
            out.append((t_s, interpolate(series, t_s)))
    return out
