"""smoke-iot (zip) -> recording of one multi-sensor detector at 1 Hz.

Obscuration is modelled from PM2.5 (the set has no optical chamber reading): the quiet
baseline (~1.7 ug/m3) maps to ~0.008 dB/m and 40 ug/m3 to 0.2 dB/m (a model, not data).
The `Fire Alarm` label does not track the signal (PROVENANCE): the ground truth is weak,
taken from the segment's majority label, and says so in its notes.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from events.alerts import AlertKind
from events.readings import SmokeReading
from simulators.datasets import Converted, Emitter
from simulators.truth import Expectation, GroundTruth, QuietWindow

# Segments by CNT resets (PROVENANCE.txt): 2 and 5 duplicate 1 and 4.
SEGMENTS = {
    1: (0, 24994),
    2: (24994, 49988),
    3: (49988, 51142),
    4: (51142, 56886),
    5: (56886, 62630),
}
DB_PER_M_PER_UG_M3 = 0.005


def convert(
    path: Path | str,
    *,
    segment: int = 4,
    max_rows: int | None = None,
    compound_id: str = "smokeiot",
) -> Converted:
    lo, hi = SEGMENTS[segment]
    with zipfile.ZipFile(path) as zf, zf.open(zf.namelist()[0]) as raw:
        rows = list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")))[lo:hi]
    rows = rows[:max_rows] if max_rows else rows
    start_at = datetime.fromtimestamp(int(rows[0]["UTC"]), UTC)
    out = Emitter(compound_id, f"{compound_id}-gw1", start_at)
    device = f"{compound_id}-s{segment}-smk"
    t0 = int(rows[0]["UTC"])
    labels = 0
    first_fire: float | None = None
    for row in rows:
        t_s = float(int(row["UTC"]) - t0)
        pm = float(row["PM2.5"])
        out.emit(
            t_s,
            SmokeReading,
            device,
            area_id=f"{compound_id}-s{segment}",
            obscuration_db_per_m=round(min(30.0, pm * DB_PER_M_PER_UG_M3), 4),
            temperature_c=max(-50.0, float(row["Temperature[C]"])),
            battery_pct=100.0,
        )
        if row["Fire Alarm"] == "1":
            labels += 1
            first_fire = t_s if first_fire is None else first_fire
    end_s = float(int(rows[-1]["UTC"]) - t0) + 1.0
    fire = (AlertKind.FIRE,)
    expect: tuple[Expectation, ...] = ()
    if labels * 2 > len(rows) and first_fire is not None:
        expect = (
            Expectation(
                kind=AlertKind.FIRE, device_id=device, onset_s=first_fire, deadline_s=300.0
            ),
        )
        quiet = (QuietWindow(start_s=0.0, end_s=first_fire, kinds=fire),)
    else:
        quiet = (QuietWindow(start_s=0.0, end_s=end_s, kinds=fire),)
    truth = GroundTruth(
        name=f"smoke-iot-segment{segment}",
        start_at=start_at,
        expect=expect,
        quiet=quiet,
        notes=f"WEAK ground truth from the Fire Alarm label ({labels}/{len(rows)} rows = 1)",
    )
    return Converted(out.records, truth, 0, str(path))
