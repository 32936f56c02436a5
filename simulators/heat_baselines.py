"""Conventional heat detectors, the baselines Firewatch's heat detection is scored against.

- fixed temperature: alarms at 57 C (135 F, the UL 521 / NFPA 72 "ordinary" rating; inside the
  EN 54-5 / GB 4716 class A1 static response band 54-65 C);
- rate of rise: fixed 57 C, or a rise of 8.3 C/min (15 F/min, UL 521 / NFPA 72 practice)
  between a reading and the oldest one of the last 30 s, as a two-point rate-of-rise head does
  (EN 54-5 suffix R).
Each is run over one device's readings like a latching detector that a person resets: every
time the condition starts is one alarm, so noise before the onset shows as false alarms.
"""

from __future__ import annotations

from collections.abc import Callable

from events.alerts import AlertKind
from simulators.device_scoring import Alarm, Trace

FIXED_C = 57.0
RATE_C_PER_MIN = 8.3
RATE_WINDOW_S = 30.0

Rule = Callable[[list[tuple[float, float]], int], bool]


def _fixed(samples: list[tuple[float, float]], i: int) -> bool:
    return samples[i][1] >= FIXED_C


def _rate_of_rise(samples: list[tuple[float, float]], i: int) -> bool:
    t_s, temp_c = samples[i]
    if temp_c >= FIXED_C:
        return True
    j = i
    while j > 0 and samples[j - 1][0] >= t_s - RATE_WINDOW_S:
        j -= 1
    if j == i and i > 0 and t_s - samples[i - 1][0] <= 2 * RATE_WINDOW_S:
        j = i - 1  # reports sparser than the window: the previous reading
    t0, temp0 = samples[j]
    return t_s > t0 and (temp_c - temp0) / (t_s - t0) * 60.0 >= RATE_C_PER_MIN


BASELINES: dict[str, Rule] = {
    "fixed 57 C": _fixed,
    "rate of rise": _rate_of_rise,
}


def alarms(trace: Trace, rule: Rule) -> list[Alarm]:
    """One FIRE alarm each time the rule starts to hold."""
    samples = list(trace.samples)
    out: list[Alarm] = []
    was = False
    for i, (t_s, _) in enumerate(samples):
        now = rule(samples, i)
        if now and not was:
            out.append(Alarm(t_s, AlertKind.FIRE))
        was = now
    return out
