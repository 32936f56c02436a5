"""Monthly statistics per compound and per street (pure): what a street office's grid centre
reports each month (台账统计).

Definitions, each counted in the month it happened (local calendar month):
- hazards_found: hazards opened by a report in the month;
- rectified_on_time / rectified_late: rectifications done in the month, by / after deadline;
- overdue: deadlines that fell in the month and were missed (not rectified by then);
- whistles: escalations up the ladder in the month;
- patrol coverage: checked / expected checkpoints of the round slots that ended in the month;
- incidents, false_alarms, time to acknowledge and to be on scene (median, p90) of the
  incidents opened in the month (DOMAIN.md §2: respond within 1 min, on scene within 3 min).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from alerts.hazards.coverage import Coverage


@dataclass(frozen=True, slots=True)
class HazardRow:
    compound_id: str
    found_at: datetime
    deadline_at: datetime | None
    rectified_at: datetime | None


@dataclass(frozen=True, slots=True)
class IncidentRow:
    compound_id: str
    opened_at: datetime
    acknowledged_at: datetime | None
    on_scene_at: datetime | None
    is_false_alarm: bool


@dataclass
class MonthlyStats:
    scope: str  # compound | street
    scope_id: str
    month: str
    hazards_found: int = 0
    rectified_on_time: int = 0
    rectified_late: int = 0
    overdue: int = 0
    whistles: int = 0
    patrol_expected: int = 0
    patrol_checked: int = 0
    missed_rounds: int = 0
    incidents: int = 0
    false_alarms: int = 0
    _ack_s: list[float] = field(default_factory=list, repr=False)
    _scene_s: list[float] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        data["patrol_coverage"] = (
            round(self.patrol_checked / self.patrol_expected, 4) if self.patrol_expected else None
        )
        data["ack_median_s"], data["ack_p90_s"] = _median(self._ack_s), _p90(self._ack_s)
        data["scene_median_s"], data["scene_p90_s"] = _median(self._scene_s), _p90(self._scene_s)
        return data


@dataclass(frozen=True, slots=True)
class Month:
    label: str  # 2026-01
    start: datetime
    end: datetime

    def holds(self, at: datetime | None) -> bool:
        return at is not None and self.start <= at < self.end


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _p90(values: list[float]) -> float | None:
    """Nearest-rank percentile, as `firewatch report` counts it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(0.9 * len(ordered))) - 1]


def monthly(  # noqa: PLR0917 - the month and everything counted in it
    month: Month,
    hazards: Iterable[HazardRow],
    incidents: Iterable[IncidentRow],
    whistles: dict[str, int],
    coverage: dict[str, Coverage],
    street_of: dict[str, str],
) -> list[MonthlyStats]:
    """One row per compound, then one per street (its compounds together)."""
    hazards, incidents = list(hazards), list(incidents)
    rows = []
    for scope, key in (("compound", lambda c: c), ("street", lambda c: street_of.get(c, "?"))):
        rows += _rows(scope, key, month, hazards, incidents, whistles, coverage, street_of)
    return rows


def _rows(  # noqa: PLR0917 - one grouping of the same inputs
    scope: str,
    key: Callable[[str], str],
    month: Month,
    hazards: list[HazardRow],
    incidents: list[IncidentRow],
    whistles: dict[str, int],
    coverage: dict[str, Coverage],
    street_of: dict[str, str],
) -> list[MonthlyStats]:
    table: dict[str, MonthlyStats] = {}

    def row(compound_id: str) -> MonthlyStats:
        name = key(compound_id)
        return table.setdefault(name, MonthlyStats(scope, name, month.label))

    for compound_id in street_of:  # every compound gets a row, quiet ones too
        row(compound_id)
    for h in hazards:
        _count_hazard(row(h.compound_id), h, month)
    for compound_id, count in whistles.items():
        row(compound_id).whistles += count
    for compound_id, cov in coverage.items():
        r = row(compound_id)
        r.patrol_expected += cov.expected
        r.patrol_checked += cov.checked
        r.missed_rounds += cov.missed_slots
    for i in incidents:
        _count_incident(row(i.compound_id), i)
    return sorted(table.values(), key=lambda r: r.scope_id)


def _count_hazard(r: MonthlyStats, h: HazardRow, month: Month) -> None:
    r.hazards_found += int(month.holds(h.found_at))
    if month.holds(h.rectified_at) and h.rectified_at is not None:
        is_late = h.deadline_at is not None and h.rectified_at > h.deadline_at
        r.rectified_late += int(is_late)
        r.rectified_on_time += int(not is_late)
    if month.holds(h.deadline_at) and h.deadline_at is not None:
        r.overdue += int(h.rectified_at is None or h.rectified_at > h.deadline_at)


def _count_incident(r: MonthlyStats, i: IncidentRow) -> None:
    r.incidents += 1
    r.false_alarms += int(i.is_false_alarm)
    if i.acknowledged_at is not None:
        r._ack_s.append((i.acknowledged_at - i.opened_at).total_seconds())
    if i.on_scene_at is not None:
        r._scene_s.append((i.on_scene_at - i.opened_at).total_seconds())
