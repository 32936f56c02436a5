"""UL FSRI fire-test CSV -> recording: each room's ceiling thermocouple (0.02 m below the
ceiling) becomes a heat detector; ignition (Time = 0) is the ground-truth onset of a fire.

The tests carry temperature only: the readings report obscuration 0 (no smoke cell), so only
heat criteria can fire on them. Values outside the sensor range (a failed thermocouple reads
~1260 C, see PROVENANCE) are skipped and counted, never clipped into plausible numbers.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from events.alerts import AlertKind
from events.readings import SmokeReading
from simulators.datasets import Converted, Emitter, slug
from simulators.datasets.reporting import Reporting, Series, resample
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


@dataclass(frozen=True)
class FireTest:
    """Each room's ceiling temperature [(t_s from the file's start, temp_c)], invalid values
    skipped (and counted); `ignition_s`: ignition (Time = 0) after the file's start."""

    rooms: dict[str, Series]
    ignition_s: float
    start_at: datetime
    skipped: int


def read_test(path: Path | str) -> FireTest:
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or "Time" not in rows[0]:
        raise ValueError(f"{path}: not a UL FSRI layout (no Time column)")
    rooms = _room_columns(list(rows[0]))
    t_first = float(rows[0]["Time"])
    start_at = datetime.fromisoformat(rows[0]["Timestamp"]).replace(tzinfo=UTC)
    series: dict[str, Series] = {room: [] for room in rooms}
    skipped = 0
    for row in rows:
        t_s = float(row["Time"]) - t_first
        for room, col in rooms.items():
            temp_c = _value(row.get(col, ""))
            if temp_c is None:
                skipped += 1
            else:
                series[room].append((t_s, temp_c))
    return FireTest(series, -t_first, start_at, skipped)


def _with_background_twice(test: FireTest) -> FireTest:
    shift_s = test.ignition_s
    rooms = {
        room: [(t, v) for t, v in v_s if t < shift_s] + [(t + shift_s, v) for t, v in v_s]
        for room, v_s in test.rooms.items()
    }
    start_at = datetime.fromtimestamp(test.start_at.timestamp() - shift_s, UTC)
    return FireTest(rooms, 2 * shift_s, start_at, test.skipped)


def convert(
    path: Path | str,
    *,
    compound_id: str = "ulfsri",
    deadline_s: float = 120.0,
    reporting: Reporting | None = None,
    start_at: datetime | None = None,
    warm_up: bool = False,
) -> Converted:
    """`reporting`: re-report each room at another interval, with jitter and gaps (default:
    the file's own 2 s samples). `start_at`: when the recording starts (default: the file's
    own clock, 2016). `warm_up`: play each room's pre-ignition record twice, so detectors that
    learn a sensor's noise have more than the file's 3-5 minutes of it (a real detector has
    reported for months before a fire); both plays count for false alarms."""
    path = Path(path)
    test = read_test(path)
    if warm_up:
        test = _with_background_twice(test)
    series = test.rooms
    start_at = start_at or test.start_at
    building = slug(path.stem)
    out = Emitter(compound_id, f"{compound_id}-gw1", start_at)
    if reporting is not None:
        series = {room: resample(v, reporting, f"{building}/{room}") for room, v in series.items()}
    readings = sorted((t_s, room, temp_c) for room, v in series.items() for t_s, temp_c in v)
    for t_s, room, temp_c in readings:
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
    onset_s = test.ignition_s
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
        notes=f"{path.name}: ignition at Time=0; heat-only detectors ({len(series)} rooms)"
        + (f", reported every {reporting.label()}" if reporting else ""),
    )
    return Converted(out.records, truth, test.skipped, str(path))
