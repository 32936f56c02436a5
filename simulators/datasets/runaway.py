"""Thermal-runaway ARC curves (front_N + back_N) -> recording of one charging port at 1 Hz.

The slow self-heating phase (hours in the calorimeter) is compressed into `front_s`; the
runaway phase keeps its real duration. Temperatures are shifted so the port starts at 30 C (the
calorimeter starts pre-heated). Voltage collapses when the rise first reaches 1 C/s.
Ground truth: thermal runaway at the start of the `back` curve.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

from events.alerts import AlertKind
from events.readings import ChargingPortReading, PortState, RelayState
from simulators.calibration import interpolate
from simulators.datasets import Converted, Emitter
from simulators.truth import Expectation, GroundTruth, QuietWindow

START_C = 30.0
START_AT = datetime(2026, 1, 1, tzinfo=UTC)


def _curve(path: Path) -> list[tuple[float, float]]:
    rows = [
        line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    return [(float(r[0]), float(r[1]) - 273.15) for r in rows]


def convert(
    folder: Path | str,
    *,
    label: str = "100",
    front_s: float = 900.0,
    tail_s: float = 60.0,
    compound_id: str = "arc",
) -> Converted:
    folder = Path(folder)
    front, back = _curve(folder / f"front_{label}.txt"), _curve(folder / f"back_{label}.txt")
    t_on, c0 = back[0][0], front[0][1]
    jump_s = next(
        (
            t0 - t_on
            for (t0, a), (t1, b) in itertools.pairwise(back)
            if t1 > t0 and (b - a) / (t1 - t0) >= 1.0
        ),
        0.0,
    )
    out = Emitter(compound_id, f"{compound_id}-gw1", START_AT)
    device = f"{compound_id}-{label}-p01"
    t_front0 = front[0][0]
    for step in range(int(front_s + back[-1][0] - t_on + tail_s)):
        t_s = float(step)
        if t_s < front_s:
            curve_c = interpolate(front, t_front0 + (t_on - t_front0) * t_s / front_s)
        else:
            curve_c = interpolate(back, t_on + t_s - front_s)
        after_s = t_s - front_s - jump_s
        volts = 54.6 if after_s < 0 else max(4.0, 54.6 * (1 - after_s / 5.0))
        amps = 3.0 if after_s < 0 else 0.0
        out.emit(
            t_s,
            ChargingPortReading,
            device,
            area_id=f"{compound_id}-shed",
            station_id=f"{compound_id}-cs1",
            port_no=1,
            voltage_v=round(volts, 2),
            current_a=amps,
            power_w=round(volts * amps, 1),
            energy_wh=0.0,
            socket_temp_c=round(START_C + curve_c - c0, 2),
            leakage_ma=1.0,
            port_state=PortState.CHARGING if after_s < 0 else PortState.FAULT,
            relay_state=RelayState.ON,
        )
    truth = GroundTruth(
        name=f"runaway-{label}",
        start_at=START_AT,
        expect=(
            Expectation(
                kind=AlertKind.THERMAL_RUNAWAY, device_id=device, onset_s=front_s, deadline_s=30.0
            ),
        ),
        quiet=(QuietWindow(start_s=0.0, end_s=front_s, kinds=(AlertKind.THERMAL_RUNAWAY,)),),
        notes=f"front_{label}/back_{label}: slow phase compressed into {front_s:.0f} s",
    )
    return Converted(out.records, truth, 0, str(folder))
