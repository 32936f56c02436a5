"""The people side of `firewatch report` (read-only SQL over the ledger, pure counting): hazards
found, triaged, closed in the period, open and overdue now, whistled; patrol coverage of the
round slots that ended in the period, per compound and overall (issue 18 item 4).

Overdue: open, not rectified, and its deadline passed (消防法 §16, 公安部令第61号 §21:
rectification by the deadline set); a rectified hazard awaiting re-inspection is not overdue.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from alerts.hazards.coverage import CheckIn, Coverage, coverage, longest_slot
from alerts.hazards.model import OPEN_STATES
from alerts.hazards.patrols import PatrolRound
from alerts.ledger.db import Database
from events.hazards import HazardAction


def read_checkins(db: Database, start: datetime, end: datetime) -> list[CheckIn]:
    """Patrol check-ins in [start, end), oldest first."""
    rows = db.query(
        "SELECT round_id, checkpoint_id, member_id, at FROM patrol_checkins"
        " WHERE at >= ? AND at < ? ORDER BY at",
        (start.timestamp(), end.timestamp()),
    )
    return [CheckIn(r[0], r[1], r[2], datetime.fromtimestamp(r[3], UTC)) for r in rows]


def people_report(
    db: Database, rounds: tuple[PatrolRound, ...], since: datetime, now: datetime
) -> dict[str, Any]:
    """{"hazards": ..., "patrols": ...} for the period [since, now)."""
    checkins = read_checkins(db, since - longest_slot(rounds), now)
    return {
        "hazards": hazard_counts(db, since, now),
        "patrols": patrol_coverage(coverage(rounds, checkins, since, now)),
    }


def hazard_counts(db: Database, since: datetime, now: datetime) -> dict[str, Any]:
    start = since.timestamp()
    found = db.query("SELECT category FROM hazards WHERE found_at >= ?", (start,))
    acted = db.query(
        "SELECT action, COUNT(DISTINCT hazard_id) FROM hazard_transitions"
        " WHERE at >= ? AND action IN (?, ?, ?) GROUP BY action",
        (start, HazardAction.TRIAGE.value, HazardAction.CLOSE.value, HazardAction.ESCALATE.value),
    )
    by_action = {str(a): int(n) for a, n in acted}
    open_now = db.query(
        f"SELECT deadline_at, rectified_at FROM hazards WHERE state IN ({_marks(OPEN_STATES)})",  # noqa: S608 - marks only
        sorted(s.value for s in OPEN_STATES),
    )
    overdue = sum(
        1 for deadline, rectified in open_now if rectified is None and _passed(deadline, now)
    )
    return {
        "found": len(found),
        "found_by_category": dict(sorted(Counter(str(r[0]) for r in found).items())),
        "triaged": by_action.get(HazardAction.TRIAGE.value, 0),
        "closed": by_action.get(HazardAction.CLOSE.value, 0),
        "whistled": by_action.get(HazardAction.ESCALATE.value, 0),
        "open": len(open_now),
        "overdue": overdue,
    }


def patrol_coverage(per_compound: dict[str, Coverage]) -> dict[str, Any]:
    expected = sum(c.expected for c in per_compound.values())
    checked = sum(c.checked for c in per_compound.values())
    return {
        "expected": expected,
        "checked": checked,
        "coverage": _ratio(checked, expected),
        "missed_slots": sum(c.missed_slots for c in per_compound.values()),
        "by_compound": {
            cid: {
                "expected": c.expected,
                "checked": c.checked,
                "coverage": _ratio(c.checked, c.expected),
                "missed_slots": c.missed_slots,
            }
            for cid, c in sorted(per_compound.items())
        },
    }


def _passed(deadline: float | None, now: datetime) -> bool:
    return deadline is not None and deadline <= now.timestamp()


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _marks(values: frozenset[Any]) -> str:
    return ", ".join("?" * len(values))
