"""The time window a ground truth speaks about (pure), so eval scores only alerts of that run.

Alerts from another run (the scenario published at another time, an earlier replay) would
otherwise score as absurd latencies ("late 23836186.6 s", issue #14). The window runs from a
minute before t = 0 to an hour past the last onset + deadline or quiet window: late alerts of
the run stay in it and count as late, alerts of other days do not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from events.alerts import Alert
from events.incidents import IncidentUpdate
from simulators.truth import GroundTruth

BEFORE_S = 60.0
AFTER_S = 3600.0


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def holds(self, at: datetime) -> bool:
        return self.start <= at <= self.end


def window(truth: GroundTruth) -> Window:
    ends = [e.onset_s + e.deadline_s for e in truth.expect]
    ends += [q.end_s for q in truth.quiet]
    horizon_s = max(ends, default=0.0)
    return Window(
        truth.start_at - timedelta(seconds=BEFORE_S),
        truth.start_at + timedelta(seconds=horizon_s + AFTER_S),
    )


def split(alerts: Iterable[Alert], truth: GroundTruth) -> tuple[list[Alert], list[Alert]]:
    """(alerts inside the run's window, alerts outside it)."""
    w = window(truth)
    inside: list[Alert] = []
    outside: list[Alert] = []
    for a in alerts:
        (inside if w.holds(a.raised_at) else outside).append(a)
    return inside, outside


def incidents_in(updates: Iterable[IncidentUpdate], truth: GroundTruth) -> list[IncidentUpdate]:
    """The incident updates of the run: incidents whose first evidence is in its window
    (another run's incidents would count as extra incidents and fail the scenario)."""
    w = window(truth)
    return [u for u in updates if w.holds(u.raised_at)]
