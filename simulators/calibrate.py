"""Derive the small calibration table the simulator runs on from the shared public data sets.

Run: `python -m simulators.calibrate ../shared/datasets simulators/data/calibration.json`.
Every number in the output names its source file; the big files are never read at run time.
Sources (see each folder's PROVENANCE.txt): norway-residential-ev (arrival hours, plug-in
durations, energy), acn-sessions (idle after "done charging"), kasteren-houseA (door open
durations), smoke-iot (sensor noise, nuisance excursion shape), ulfsri-residential-gasburner-2016
(ceiling temperature rise per room after ignition), thermal-runaway-arc (runaway temperature
and vented gas).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import statistics
import sys
import zipfile
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

_QUANTILES = [i / 20 for i in range(21)]  # 0, 5 %, ... 100 %
# UL FSRI Two_Story rooms: family room = room of origin (fastest rise), then neighbours.
FIRE_TEST = "Gas_Burner_4"
FIRE_ROOMS = {
    "origin": "Family Room Center",
    "hall": "Mid Hall",
    "foyer": "Foyer",
    "bedroom": "Bedroom 1",
    "kitchen": "Kitchen",
}
FIRE_STEP_S = 4
FIRE_WINDOW_S = (-60, 1200)


def quantiles(values: list[float]) -> list[float]:
    data = sorted(values)
    out = []
    for q in _QUANTILES:
        idx = min(len(data) - 1, round(q * (len(data) - 1)))
        out.append(round(data[idx], 4))
    return out


def charging_norway(root: Path) -> dict[str, Any]:
    path = root / "norway-residential-ev" / "Dataset1_EV_charging_reports.csv"
    hours = [0] * 24
    durations_h: list[float] = []
    energy_kwh: list[float] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            hours[int(row["Start_plugin_hour"])] += 1
            energy_kwh.append(float(row["El_kWh"].replace(",", ".")))
            # Sessions still plugged in at the export have no plug-out (NA): no duration.
            if row["Duration_hours"] not in ("", "NA"):
                durations_h.append(float(row["Duration_hours"].replace(",", ".")))
    total = sum(hours)
    return {
        "source": "norway-residential-ev/Dataset1_EV_charging_reports.csv",
        "arrival_hour_weights": [round(h / total, 5) for h in hours],
        "plugin_duration_h_quantiles": quantiles(durations_h),
        "energy_kwh_quantiles": quantiles(energy_kwh),
        "sessions": len(energy_kwh),
    }


def charging_acn(root: Path) -> dict[str, Any]:
    path = root / "acn-sessions" / "acndata_sessions.json"
    idle_h: list[float] = []
    for s in json.loads(path.read_text(encoding="utf-8")):
        if not s.get("doneChargingTime"):
            continue
        done = parsedate_to_datetime(s["doneChargingTime"])
        gone = parsedate_to_datetime(s["disconnectTime"])
        # 19 sessions finish after unplugging (a data quirk, PROVENANCE): skip them.
        if gone > done:
            idle_h.append((gone - done).total_seconds() / 3600)
    return {
        "source": "acn-sessions/acndata_sessions.json (disconnectTime - doneChargingTime)",
        "idle_after_full_h_quantiles": quantiles(idle_h),
        "acn_sessions": len(idle_h),
    }


def doors(root: Path) -> dict[str, Any]:
    path = root / "kasteren-houseA" / "kasterenSenseData.txt"
    fmt = "%d-%b-%Y %H:%M:%S"
    front: list[float] = []
    interior: list[float] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not parts[2].strip().isdigit():
            continue
        start = datetime.strptime(parts[0].strip(), fmt)
        end = datetime.strptime(parts[1].strip(), fmt)
        sensor = int(parts[2])
        dur_s = max(1.0, (end - start).total_seconds())
        if sensor == 12:
            front.append(dur_s)
        elif sensor in (5, 6, 24):
            interior.append(dur_s)
    return {
        "source": "kasteren-houseA/kasterenSenseData.txt (12 = front door; 5, 6, 24 interior)",
        "front_open_s_quantiles": quantiles(front),
        "interior_open_s_quantiles": quantiles(interior),
        "front_openings_per_day": round(len(front) / 28, 3),
    }


def _smoke_rows(root: Path) -> list[dict[str, str]]:
    with zipfile.ZipFile(root / "smoke-iot" / "smoke_detection_iot.csv.zip") as zf:
        name = zf.namelist()[0]
        with zf.open(name) as raw:
            return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")))


def smoke(root: Path) -> dict[str, Any]:
    rows = _smoke_rows(root)
    quiet = rows[0:24994]  # segment 1 (PROVENANCE): no high PM/TVOC
    pm = [float(r["PM2.5"]) for r in quiet]
    temp = [float(r["Temperature[C]"]) for r in quiet]
    steps = [b - a for a, b in itertools.pairwise(temp)]
    # Segment 4 holds the largest particle excursion (PM2.5 up to 41,263) while labelled 0:
    # a nuisance-like event. Its normalised shape drives the cooking-smoke scenario.
    seg4 = rows[51142:56886]
    excursion = [float(r["PM2.5"]) for r in seg4[4740:5460]]
    peak = max(excursion)
    shape = [round(max(excursion[i : i + 10]) / peak, 4) for i in range(0, len(excursion), 10)]
    return {
        "source": "smoke-iot/smoke_detection_iot.csv.zip "
        "(segment 1 quiet; segment 4 rows 4740-5460)",
        "pm25_quiet_mean": round(statistics.mean(pm), 4),
        "pm25_quiet_rel_std": round(statistics.pstdev(pm) / statistics.mean(pm), 4),
        "temp_step_c_std": round(statistics.pstdev(steps), 5),
        "nuisance_shape_step_s": 10,
        "nuisance_shape": shape,
    }


def fire(root: Path) -> dict[str, Any]:
    path = root / "ulfsri-residential-gasburner-2016" / "Two_Story" / f"{FIRE_TEST}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    curves: dict[str, list[float]] = {}
    for key, room in FIRE_ROOMS.items():
        col = next(c for c in rows[0] if c.startswith(room) and "0.02 m Below Ceiling" in c)
        series = [(float(r["Time"]), float(r[col])) for r in rows if r[col] not in ("", "NaN")]
        base = statistics.mean(v for t, v in series if t < 0)
        grid = range(FIRE_WINDOW_S[0], FIRE_WINDOW_S[1] + 1, FIRE_STEP_S)
        curves[key] = [round(_interp(series, float(t)) - base, 2) for t in grid]
    return {
        "source": f"ulfsri-residential-gasburner-2016/Two_Story/{FIRE_TEST}.csv, 0.02 m below "
        "ceiling, rise above the pre-ignition mean; ignition at t = 0",
        "rooms": dict(FIRE_ROOMS),
        "start_s": FIRE_WINDOW_S[0],
        "step_s": FIRE_STEP_S,
        "delta_c": curves,
    }


def _interp(series: list[tuple[float, float]], t: float) -> float:
    if t <= series[0][0]:
        return series[0][1]
    for (t0, v0), (t1, v1) in itertools.pairwise(series):
        if t0 <= t <= t1:
            return v0 if t1 == t0 else v0 + (v1 - v0) * (t - t0) / (t1 - t0)
    return series[-1][1]


def runaway(root: Path, label: str = "100") -> dict[str, Any]:
    def load(name: str) -> list[tuple[float, float, float]]:
        text = (root / "thermal-runaway-arc" / name).read_text(encoding="utf-8")
        rows = [line.split("\t") for line in text.splitlines() if line.strip()]
        return [(float(r[0]), float(r[1]) - 273.15, float(r[3])) for r in rows]

    front, back = load(f"front_{label}.txt"), load(f"back_{label}.txt")
    t_onset = back[0][0]
    return {
        "source": f"thermal-runaway-arc/front_{label}.txt + back_{label}.txt (K -> C; "
        "vented gas: cumulative mol, column BGV)",
        "front_c": [[round(t - t_onset, 2), round(c, 2)] for t, c, _ in front],
        "back_c": [[round(t - t_onset, 3), round(c, 2)] for t, c, _ in back],
        "front_gas_mol": [[round(t - t_onset, 2), round(m, 6)] for t, _, m in front],
        "back_gas_mol": [[round(t - t_onset, 3), round(m, 6)] for t, _, m in back],
    }


def derive(root: Path) -> dict[str, Any]:
    return {
        "charging": {"norway": charging_norway(root), "acn": charging_acn(root)},
        "doors": doors(root),
        "smoke": smoke(root),
        "fire": fire(root),
        "runaway": runaway(root),
    }


def main(argv: list[str]) -> int:
    root, out = Path(argv[0]), Path(argv[1])
    out.write_text(json.dumps(derive(root), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
