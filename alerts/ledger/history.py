"""History rows for the 台账 export and the console's history (read-only SQL over the ledger):
incidents, hazards and patrol check-ins, each with the columns a fire-safety inspection asks
for (GB 50440 §6: alarm records with time, place, kind, who handled it and the outcome; 消防法
§16 / 公安部令第61号 §21: hazard rectification records; patrol records with who and when).

Rows carry registry ids (compound, building, device) and times in UTC: the caller renders the
place in words and the local time from its registry, so this module stays one query per sheet
and runs the same on SQLite and PostgreSQL. Filters are optional; each sheet is paged
(`limit`, `offset`), newest first, scoped by `compound_ids` (the member's scope, never input
that reaches SQL as text: only as bound parameters).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from alerts.ledger.db import Database
from alerts.ledger.history_records import (
    HAZARD_COLUMNS,
    INCIDENT_COLUMNS,
    PATROL_COLUMNS,
    Column,
    HazardRecord,
    IncidentRecord,
    PatrolRecord,
)

HANDLING_ACTIONS = ("acknowledge", "on_scene", "confirm", "deny", "resolve")
# Who triaged, assigned, rectified, re-inspected, closed (not the reporter: data minimisation).
HAZARD_ACTIONS = ("triage", "dismiss", "assign", "rectify", "reinspect", "reject", "close")
MAX_PAGE = 10_000


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    start: datetime | None = None  # inclusive: incidents opened, hazards found, check-ins at
    end: datetime | None = None  # exclusive
    compound_ids: frozenset[str] | None = None  # None: every compound (command line only)
    kinds: frozenset[str] | None = None  # incidents: condition kinds; hazards: categories
    outcomes: frozenset[str] | None = None  # incidents: outcome; hazards: state
    limit: int = 500
    offset: int = 0


_INCIDENT_SELECT = (
    "SELECT incident_key, compound_id, building_id, place_scope, place_id, title, severity,"
    " state, station_id, opened_at, acknowledged_at, on_scene_at, resolved_at, outcome,"
    " false_alarm_cause FROM incidents"
)
_HAZARD_SELECT = (
    "SELECT hazard_id, compound_id, street_id, building_id, floor, unit, category, severity,"
    " state, title, owner_kind, owner_name, assignee, found_at, deadline_at, rectified_at,"
    " rectified_by, closed_at, escalation, whistled_department, report_ids FROM hazards"
)
_PATROL_SELECT = (
    "SELECT checkin_id, round_id, checkpoint_id, compound_id, member_id, at, is_ok,"
    " finding_report_id, note FROM patrol_checkins"
)
# Epoch seconds in the ledger, UTC datetimes in a record.
_TIMES = frozenset(
    {"opened_at", "acknowledged_at", "on_scene_at", "resolved_at"}
    | {"found_at", "deadline_at", "rectified_at", "closed_at", "at"}
)


def _columns(select: str) -> tuple[str, ...]:
    """The column names of a fixed `SELECT a, b FROM t`: a record takes its fields from the
    row by these names (history_records.py), so a column added cannot shift the others."""
    names = select.removeprefix("SELECT ").split(" FROM ", 1)[0]
    return tuple(name.strip() for name in names.split(","))


_INCIDENT_FIELDS = _columns(_INCIDENT_SELECT)
_HAZARD_FIELDS = _columns(_HAZARD_SELECT)
_PATROL_FIELDS = _columns(_PATROL_SELECT)


def incident_history(db: Database, f: HistoryFilter) -> list[IncidentRecord]:
    """Incidents opened in [start, end), newest first, with their kinds, devices and handlers."""
    where, args = _where(f, "opened_at", "outcome")
    if f.kinds is not None:
        where.append(
            "incident_key IN (SELECT incident_key FROM incident_conditions"  # noqa: S608 - marks only
            f" WHERE kind IN ({_marks(f.kinds)}))"
        )
        args += sorted(f.kinds)
    rows = db.query(_paged(_INCIDENT_SELECT, where, "opened_at"), [*args, *_page(f)])
    keys = [r[0] for r in rows]
    conditions = _conditions(db, keys)
    handlers = _handlers(db, keys)
    return [_incident(r, conditions.get(r[0], []), handlers.get(r[0], [])) for r in rows]


def hazard_history(db: Database, f: HistoryFilter, now: datetime) -> list[HazardRecord]:
    """Hazards found in [start, end), newest first; `kinds` are categories, `outcomes` states;
    overdue as of `now` (the caller's clock)."""
    where, args = _where(f, "found_at", "state")
    if f.kinds is not None:
        where.append(f"category IN ({_marks(f.kinds)})")
        args += sorted(f.kinds)
    rows = db.query(_paged(_HAZARD_SELECT, where, "found_at"), [*args, *_page(f)])
    handlers = _hazard_handlers(db, [r[0] for r in rows])
    return [_hazard(r, now, handlers.get(r[0], [])) for r in rows]


def patrol_history(db: Database, f: HistoryFilter) -> list[PatrolRecord]:
    """Check-ins in [start, end), newest first (`kinds`, `outcomes` do not apply)."""
    where, args = _where(f, "at", None)
    rows = db.query(_paged(_PATROL_SELECT, where, "at"), [*args, *_page(f)])
    return [_patrol(r) for r in rows]


# -- SQL pieces (fixed text; every value is a bound parameter) ----------------------------------
def _where(
    f: HistoryFilter, time_column: str, outcome_column: str | None
) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    args: list[Any] = []
    if f.start is not None:
        where.append(f"{time_column} >= ?")
        args.append(f.start.timestamp())
    if f.end is not None:
        where.append(f"{time_column} < ?")
        args.append(f.end.timestamp())
    if f.compound_ids is not None:
        # An empty scope sees nothing (IN () is not SQL): compare with an impossible id.
        where.append(f"compound_id IN ({_marks(f.compound_ids) or '?'})")
        args += sorted(f.compound_ids) or [""]
    if f.outcomes is not None and outcome_column is not None:
        where.append(f"{outcome_column} IN ({_marks(f.outcomes) or '?'})")
        args += sorted(f.outcomes) or [""]
    return where, args


def _marks(values: frozenset[str]) -> str:
    return ", ".join("?" * len(values))


def _paged(select: str, where: list[str], time_column: str) -> str:
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return f"{select}{clause} ORDER BY {time_column} DESC LIMIT ? OFFSET ?"


def _page(f: HistoryFilter) -> list[int]:
    return [max(0, min(f.limit, MAX_PAGE)), max(0, f.offset)]


def _conditions(db: Database, keys: Sequence[str]) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    if not keys:
        return out
    rows = db.query(
        "SELECT incident_key, kind, device_id, sources FROM incident_conditions"  # noqa: S608 - marks only
        f" WHERE incident_key IN ({', '.join('?' * len(keys))}) ORDER BY raised_at",
        list(keys),
    )
    for row in rows:
        out.setdefault(row[0], []).append(row)
    return out


def _handlers(db: Database, keys: Sequence[str]) -> dict[str, list[str]]:
    return _actors(db, "transitions", "incident_key", keys, HANDLING_ACTIONS, "id")


def _hazard_handlers(db: Database, keys: Sequence[str]) -> dict[str, list[str]]:
    return _actors(db, "hazard_transitions", "hazard_id", keys, HAZARD_ACTIONS, "seq")


def _actors(  # noqa: PLR0917 - one query, its fixed names
    db: Database,
    table: str,
    key_column: str,
    keys: Sequence[str],
    actions: Sequence[str],
    order: str,
) -> dict[str, list[str]]:
    """Who took `actions` on each of `keys`, in order, each once (table and columns fixed)."""
    out: dict[str, list[str]] = {}
    if not keys:
        return out
    rows = db.query(
        f"SELECT {key_column}, actor FROM {table}"  # noqa: S608 - fixed names, marks only
        f" WHERE {key_column} IN ({', '.join('?' * len(keys))})"
        f" AND action IN ({', '.join('?' * len(actions))}) ORDER BY {key_column}, {order}",
        [*keys, *actions],
    )
    for key, actor in rows:
        names = out.setdefault(key, [])
        if actor not in names:
            names.append(actor)
    return out


# -- rows -> records --------------------------------------------------------------------------
def _named(fields: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
    """The row by column name, its times as UTC datetimes (None stays None)."""
    return {f: _opt(v) if f in _TIMES else v for f, v in zip(fields, row, strict=True)}


def _incident(
    r: tuple[Any, ...], conditions: list[tuple[Any, ...]], handlers: list[str]
) -> IncidentRecord:
    row = _named(_INCIDENT_FIELDS, r)
    opened, acked, scene = row["opened_at"], row["acknowledged_at"], row["on_scene_at"]
    devices = _unique(d for c in conditions for d in [c[2], *json.loads(c[3] or "[]")] if d)
    return IncidentRecord(
        **row,
        kinds=_unique(c[1] for c in conditions),
        devices=devices,
        ack_s=(acked - opened).total_seconds() if acked else None,
        scene_s=(scene - opened).total_seconds() if scene else None,
        handled_by=tuple(handlers),
    )


def _hazard(r: tuple[Any, ...], now: datetime, handlers: list[str]) -> HazardRecord:
    row = _named(_HAZARD_FIELDS, r)
    deadline, rectified = row["deadline_at"], row["rectified_at"]
    # Rectified after its deadline, or not rectified and the deadline has passed.
    late = deadline is not None and (rectified or now) > deadline
    floor, report_ids = row.pop("floor"), row.pop("report_ids")
    return HazardRecord(
        **row,
        floor=int(floor) if floor is not None else None,
        reports=len(json.loads(report_ids or "[]")),
        is_overdue=late,
        handled_by=tuple(handlers),
    )


def _patrol(r: tuple[Any, ...]) -> PatrolRecord:
    row = _named(_PATROL_FIELDS, r)
    return PatrolRecord(**{**row, "is_ok": bool(row["is_ok"])})


def _unique(values: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(v) for v in values))


def _at(value: float) -> datetime:
    return datetime.fromtimestamp(float(value), UTC)


def _opt(value: float | None) -> datetime | None:
    return _at(value) if value is not None else None


__all__ = [
    "HAZARD_COLUMNS",
    "INCIDENT_COLUMNS",
    "PATROL_COLUMNS",
    "Column",
    "HazardRecord",
    "HistoryFilter",
    "IncidentRecord",
    "PatrolRecord",
    "hazard_history",
    "incident_history",
    "patrol_history",
]
