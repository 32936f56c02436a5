"""Ledger statistics (台账统计): open incidents, counts by compound and station, time to
acknowledge / to scene (median, p90), false alarms per device (flag > 5 a day, GB 50440 O&M)."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

from alerts.ledger.db import Database
from alerts.lifecycle import Outcome, State

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


def build_report(
    db: Database,
    since: datetime,
    now: datetime,
    limit_per_day: int = FALSE_ALARMS_PER_DAY_LIMIT,
) -> dict[str, Any]:
    rows = db.query(
        "SELECT incident_key, compound_id, station_id, device_id, kind, severity, state,"
        " opened_at, acknowledged_at, on_scene_at, outcome FROM incidents WHERE opened_at >= ?",
        (since.timestamp(),),
    )
    open_rows = db.query(
        "SELECT incident_key, kind, severity, state, compound_id, station_id, opened_at"
        " FROM incidents WHERE state <> ? ORDER BY opened_at",
        (State.RESOLVED.value,),
    )
    by_compound: Counter[str] = Counter()
    by_station: Counter[str] = Counter()
    to_ack: list[float] = []
    to_scene: list[float] = []
    false_by_device_day: dict[str, Counter[str]] = defaultdict(Counter)
    for _key, compound, station, device, _k, _s, _st, opened, ack, scene, outcome in rows:
        by_compound[compound] += 1
        by_station[station or "(none)"] += 1
        if ack is not None:
            to_ack.append(ack - opened)
        if scene is not None:
            to_scene.append(scene - opened)
        if outcome == Outcome.FALSE_ALARM.value and device:
            day = datetime.fromtimestamp(opened, UTC).date().isoformat()
            false_by_device_day[device][day] += 1
    return {
        "since": since.isoformat(),
        "incidents": len(rows),
        "open_incidents": [
            {
                "incident_key": r[0],
                "kind": r[1],
                "severity": r[2],
                "state": r[3],
                "compound_id": r[4],
                "station_id": r[5],
                "opened_at": datetime.fromtimestamp(r[6], UTC).isoformat(),
            }
            for r in open_rows
        ],
        "by_compound": dict(sorted(by_compound.items())),
        "by_station": dict(sorted(by_station.items())),
        "time_to_acknowledge": _summary(to_ack),
        "time_to_scene": _summary(to_scene),
        "false_alarms_by_device": _false_alarms(
            false_by_device_day, (now - since).total_seconds(), limit_per_day
        ),
    }


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
