"""UL FSRI fire-test CSV -> recording: each room's ceiling thermocouple (0.02 m below the
ceiling) becomes a heat detector; ignition (Time = 0) is the ground-truth onset of a fire.

The tests carry temperature only: the readings report obscuration 0 (no smoke cell), so only
heat criteria can fire on them. Values outside the sensor range (a failed thermocouple reads
~1260 C, see PROVENANCE) are skipped and counted, never clipped into plausible numbers.
"""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime
from pathlib import Path

from events.alerts import AlertKind
from events.readings import SmokeReading
from simulators.datasets import Converted, Emitter, slug
from simulators.truth import Expectation, GroundTruth, QuietWindow, Tolerated

CEILING = "Temperature 0.02 m Below Ceiling"


def _room_columns(header: list[str]) -> dict[str, str]:
    return {slug(c.split("Temperature")[0]): c for c in header if c.endswith(CEILING)}


def _value(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) and -50.0 <= v <= 1200.0 else None


def convert(
    path: Path | str, *, compound_id: str = "ulfsri", deadline_s: float = 120.0
) -> Converted:
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or "Time" not in rows[0]:
        raise ValueError(f"{path}: not a UL FSRI layout (no Time column)")
    rooms = _room_columns(list(rows[0]))
    t_first = float(rows[0]["Time"])
    start_at = datetime.fromisoformat(rows[0]["Timestamp"]).replace(tzinfo=UTC)
    building = slug(path.stem)
    out = Emitter(compound_id, f"{compound_id}-gw1", start_at)
    skipped = 0
    for row in rows:
        t_s = float(row["Time"]) - t_first
        for room, col in rooms.items():
            temp_c = _value(row.get(col, ""))
            if temp_c is None:
                skipped += 1
                continue
            out.emit(
                t_s,
                SmokeReading,
                f"{compound_id}-{building}-{room}-heat",
                building_id=building,
                area_id=f"{building}-{room}",
                obscuration_db_per_m=0.0,
                temperature_c=round(temp_c, 2),
                battery_pct=100.0,
            )
    onset_s = -t_first  # Time = 0 is ignition
    fire = (AlertKind.FIRE, AlertKind.FIRE_PRE_ALARM)
    truth = GroundTruth(
        name=f"ulfsri-{building}",
        start_at=start_at,
        expect=(
            Expectation(
                kind=AlertKind.FIRE, compound_id=compound_id, onset_s=onset_s, deadline_s=deadline_s
            ),
        ),
        quiet=(QuietWindow(start_s=0.0, end_s=onset_s, kinds=fire),),
        tolerate=(Tolerated(kind=AlertKind.FIRE_PRE_ALARM),),
        notes=f"{path.name}: ignition at Time=0; heat-only detectors ({len(rooms)} rooms)",
    )
    return Converted(out.records, truth, skipped, str(path))
