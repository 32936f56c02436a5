"""Ledger statistics (台账统计): open incidents, counts by compound and station, time to
acknowledge / to scene (median, p90), false alarms per device (flag > 5 a day, GB 50440 O&M),
maintenance work orders (open, overdue against their 24 h due date, by kind)."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from alerts.ledger.db import Database
from alerts.lifecycle import Outcome, State
from alerts.maintenance import WorkOrderState

FALSE_ALARMS_PER_DAY_LIMIT = 5  # GB 50440 O&M (V): > 5 a day needs a handling plan


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile; None when there is no value."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _summary(values: list[float]) -> dict[str, Any]:
    return {
        "count": len(values),
        "median_s": statistics.median(values) if values else None,
        "p90_s": percentile(values, 90),
    }


@dataclass
class _Tally:
    by_compound: Counter[str] = field(default_factory=Counter)
    by_station: Counter[str] = field(default_factory=Counter)
    to_ack_s: list[float] = field(default_factory=list)
    to_scene_s: list[float] = field(default_factory=list)
    false_by_device_day: dict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )

    def add(self, row: tuple[Any, ...], devices: list[str]) -> None:
        compound, station, opened, ack, scene, outcome = row
        self.by_compound[compound] += 1
        self.by_station[station or "(none)"] += 1
        if ack is not None:
            self.to_ack_s.append(ack - opened)
        if scene is not None:
            self.to_scene_s.append(scene - opened)
        if outcome == Outcome.FALSE_ALARM.value:
            day = datetime.fromtimestamp(opened, UTC).date().isoformat()
            for device in devices:  # every detector that raised the false alarm
                self.false_by_device_day[device][day] += 1


def build_report(
    db: Database,
    since: datetime,
    now: datetime,
    limit_per_day: int = FALSE_ALARMS_PER_DAY_LIMIT,
) -> dict[str, Any]:
    tally = _Tally()
    rows = db.query(
        "SELECT incident_key, compound_id, station_id, opened_at, acknowledged_at, on_scene_at,"
        " outcome FROM incidents WHERE opened_at >= ?",
        (since.timestamp(),),
    )
    devices: dict[str, list[str]] = defaultdict(list)
    for key, device in db.query(
        "SELECT c.incident_key, c.device_id FROM incident_conditions c JOIN incidents i"
        " ON i.incident_key = c.incident_key WHERE i.opened_at >= ? AND i.outcome = ?"
        " AND c.device_id IS NOT NULL",
        (since.timestamp(), Outcome.FALSE_ALARM.value),
    ):
        devices[key].append(device)
    for row in rows:
        tally.add(row[1:], sorted(set(devices.get(row[0], []))))
    return {
        "since": since.isoformat(),
        "incidents": len(rows),
        "open_incidents": _open_incidents(db),
        "by_compound": dict(sorted(tally.by_compound.items())),
        "by_station": dict(sorted(tally.by_station.items())),
        "time_to_acknowledge": _summary(tally.to_ack_s),
        "time_to_scene": _summary(tally.to_scene_s),
        "false_alarms_by_device": _false_alarms(
            tally.false_by_device_day, (now - since).total_seconds(), limit_per_day
        ),
        "work_orders": _work_orders(db, since, now),
    }


def _open_incidents(db: Database) -> list[dict[str, Any]]:
    rows = db.query(
        "SELECT incident_key, title, severity, state, compound_id, station_id, opened_at"
        " FROM incidents WHERE state <> ? ORDER BY opened_at",
        (State.RESOLVED.value,),
    )
    names = ("incident_key", "title", "severity", "state", "compound_id", "station_id")
    return [
        {
            **dict(zip(names, r[:6], strict=True)),
            "opened_at": datetime.fromtimestamp(r[6], UTC).isoformat(),
        }
        for r in rows
    ]


def _false_alarms(
    by_device_day: dict[str, Counter[str]], window_s: float, limit_per_day: int
) -> list[dict[str, Any]]:
    days = max(1.0, window_s / 86_400)
    out = []
    for device, per_day in sorted(by_device_day.items()):
        worst_day, worst = max(per_day.items(), key=lambda kv: kv[1])
        out.append(
            {
                "device_id": device,
                "false_alarms": sum(per_day.values()),
                "per_day": round(sum(per_day.values()) / days, 3),
                "worst_day": worst_day,
                "worst_day_count": worst,
                "needs_handling_plan": worst > limit_per_day,
            }
        )
    return out


def _work_orders(db: Database, since: datetime, now: datetime) -> dict[str, Any]:
    """Maintenance (维保): every order still open, how many are past their due date, and
    what was opened in the period by kind."""
    opened = db.query(
        "SELECT kind, COUNT(*) FROM work_orders WHERE opened_at >= ? GROUP BY kind ORDER BY kind",
        (since.timestamp(),),
    )
    rows = db.query(
        "SELECT order_id, kind, compound_id, device_id, summary, opened_at, due_at"
        " FROM work_orders WHERE state = ? ORDER BY due_at",
        (WorkOrderState.OPEN.value,),
    )
    open_orders = [
        {
            "order_id": r[0],
            "kind": r[1],
            "compound_id": r[2],
            "device_id": r[3],
            "summary": r[4],
            "opened_at": datetime.fromtimestamp(r[5], UTC).isoformat(),
            "due_at": datetime.fromtimestamp(r[6], UTC).isoformat(),
            "is_overdue": r[6] < now.timestamp(),
        }
        for r in rows
    ]
    return {
        "opened_by_kind": {kind: int(n) for kind, n in opened},
        "open": open_orders,
        "overdue": sum(o["is_overdue"] for o in open_orders),
    }
