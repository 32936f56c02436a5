"""The SQL behind the monthly statistics, kept apart so each query can follow its tables.

`incident_rows` reads the ledger's incidents table (incidents v2, migration 0007: one row per
event in one place, so a fire two detectors saw counts once; the v1 rows are copied into it).
It is the only place the people side reads incident data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.hazards.coverage import coverage, longest_slot
from alerts.hazards.patrols import PatrolRound
from alerts.hazards.report import read_checkins
from alerts.hazards.stats import HazardRow, IncidentRow, Month, MonthlyStats, monthly
from alerts.ledger.db import Database

FALSE_ALARM = "false_alarm"  # alerts.lifecycle.Outcome.FALSE_ALARM on the wire


def month_of(label: str, timezone: str) -> Month:
    """ "2026-01" -> that calendar month in local time; ValueError names a bad label."""
    try:
        first = datetime.strptime(label, "%Y-%m").replace(tzinfo=ZoneInfo(timezone))
    except ValueError:
        raise ValueError(f"month {label!r} is not YYYY-MM") from None
    following = (first + timedelta(days=32)).replace(day=1)
    return Month(label, first, following)


def _at(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def hazard_rows(db: Database, month: Month) -> list[HazardRow]:
    start, end = month.start.timestamp(), month.end.timestamp()
    rows = db.query(
        "SELECT compound_id, found_at, deadline_at, rectified_at FROM hazards"
        " WHERE (found_at >= ? AND found_at < ?) OR (rectified_at >= ? AND rectified_at < ?)"
        " OR (deadline_at >= ? AND deadline_at < ?)",
        (start, end, start, end, start, end),
    )
    return [HazardRow(r[0], datetime.fromtimestamp(r[1], UTC), _at(r[2]), _at(r[3])) for r in rows]


def whistle_counts(db: Database, month: Month) -> dict[str, int]:
    rows = db.query(
        "SELECT h.compound_id, COUNT(*) FROM hazard_transitions t"
        " JOIN hazards h ON h.hazard_id = t.hazard_id"
        " WHERE t.action = 'escalate' AND t.at >= ? AND t.at < ? GROUP BY h.compound_id",
        (month.start.timestamp(), month.end.timestamp()),
    )
    return {r[0]: int(r[1]) for r in rows}


def incident_rows(db: Database, month: Month) -> list[IncidentRow]:
    rows = db.query(
        "SELECT compound_id, opened_at, acknowledged_at, on_scene_at, outcome FROM incidents"
        " WHERE opened_at >= ? AND opened_at < ?",
        (month.start.timestamp(), month.end.timestamp()),
    )
    return [
        IncidentRow(
            r[0], datetime.fromtimestamp(r[1], UTC), _at(r[2]), _at(r[3]), r[4] == FALSE_ALARM
        )
        for r in rows
    ]


def monthly_report(  # noqa: PLR0917 - the month and where to read it
    db: Database,
    rounds: tuple[PatrolRound, ...],
    street_of: dict[str, str],
    label: str,
    timezone: str,
    now: datetime,
) -> list[MonthlyStats]:
    """The month's statistics; for the running month, patrol slots ended by `now`."""
    month = month_of(label, timezone)
    until = min(month.end, now)
    checkins = read_checkins(db, month.start - longest_slot(rounds), until)
    return monthly(
        month,
        hazard_rows(db, month),
        incident_rows(db, month),
        whistle_counts(db, month),
        coverage(rounds, checkins, month.start, until),
        street_of,
    )
