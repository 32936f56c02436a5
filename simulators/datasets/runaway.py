"""Thermal-runaway ARC curves (front_N + back_N) -> recording of one charging port at 1 Hz.

The slow self-heating phase (hours in the calorimeter) is compressed into `front_s`, except its
last minutes, which keep their real duration like the runaway phase (simulators.devices.battery).
Temperatures are shifted so the port starts at 30 C (the calorimeter starts pre-heated). The
port reports its compartment's off-gas (from the cell's vented gas, column BGV) and the pack
voltage, which loses a cell's share when the temperature jumps and then one cell after another.
Ground truth: thermal runaway within 10 s of the vent bursting or the first cell shorting,
whichever comes first (issue #15.4).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from events.alerts import AlertKind
from events.readings import ChargingPortReading, PortState, RelayState
from simulators.datasets import Converted, Emitter
from simulators.devices.battery import (
    SENSOR_MAX_PPM,
    Compartment,
    RunawayCurves,
    onset_s,
    pack_voltage_v,
)
from simulators.truth import Expectation, GroundTruth, QuietWindow, Tolerated

START_C = 30.0
START_AT = datetime(2026, 1, 1, tzinfo=UTC)
PACK_V = 54.6  # 13S pack near the end of its charge
CHARGE_A = 3.0
P1_DEADLINE_S = 10.0  # issue #15.4: a P1 within 10 s of venting
_PRECURSORS = (
    AlertKind.CHARGING_TEMP_CLIMB,
    AlertKind.SOCKET_OVER_TEMPERATURE,
    AlertKind.BATTERY_OFF_GAS,
    AlertKind.LEAKAGE_CURRENT,
)


def curves(folder: Path, label: str) -> RunawayCurves:
    """Temperature (C) and cumulative vented gas (mol) of one ARC test, t = 0 at the onset."""

    def load(name: str) -> list[tuple[float, float, float]]:
        text = (folder / name).read_text(encoding="utf-8")
        rows = [line.split("\t") for line in text.splitlines() if line.strip()]
        return [(float(r[0]), float(r[1]) - 273.15, float(r[3])) for r in rows]

    front, back = load(f"front_{label}.txt"), load(f"back_{label}.txt")
    t_on = back[0][0]
    return RunawayCurves(
        front_c=[(t - t_on, c) for t, c, _ in front],
        back_c=[(t - t_on, c) for t, c, _ in back],
        gas_mol=[(t - t_on, m) for t, _, m in [*front, *back[1:]]],
    )


def convert(
    folder: Path | str,
    *,
    label: str = "100",
    front_s: float = 900.0,
    tail_s: float = 60.0,
    compound_id: str = "arc",
) -> Converted:
    cv = curves(Path(folder), label)
    out = Emitter(compound_id, f"{compound_id}-gw1", START_AT)
    device = f"{compound_id}-{label}-p01"
    c0, short_s, box = cv.front_c[0][1], cv.jump_s(), Compartment()
    for step in range(int(front_s + cv.back_c[-1][0] + tail_s)):
        t_s = float(step)
        curve_s = cv.curve_time(t_s, front_s)
        box.step(t_s, cv.gas_rate_mol_per_s(curve_s))
        is_shorted = curve_s >= short_s
        volts = pack_voltage_v(PACK_V, curve_s - short_s)
        amps = 0.0 if is_shorted else CHARGE_A
        gas = {k: round(min(SENSOR_MAX_PPM, v), 1) for k, v in box.ppm().items()}
        out.emit(
            t_s,
            ChargingPortReading,
            device,
            area_id=f"{compound_id}-shed",
            station_id=f"{compound_id}-cs1",
            port_no=1,
            voltage_v=round(volts, 2),
            pack_voltage_v=round(volts, 2),
            current_a=amps,
            power_w=round(volts * amps, 1),
            energy_wh=0.0,
            socket_temp_c=round(START_C + cv.cell_c(curve_s) - c0, 2),
            leakage_ma=1.0,
            port_state=PortState.FAULT if is_shorted else PortState.CHARGING,
            relay_state=RelayState.ON,
            **gas,
        )
    venting_s = front_s + onset_s(cv)
    truth = GroundTruth(
        name=f"runaway-{label}",
        start_at=START_AT,
        expect=(
            Expectation(
                kind=AlertKind.THERMAL_RUNAWAY,
                device_id=device,
                onset_s=venting_s,
                deadline_s=P1_DEADLINE_S,
            ),
        ),
        quiet=(QuietWindow(start_s=0.0, end_s=venting_s, kinds=(AlertKind.THERMAL_RUNAWAY,)),),
        tolerate=tuple(Tolerated(kind=k, device_id=device) for k in _PRECURSORS),
        notes=f"front_{label}/back_{label}: slow phase compressed into {front_s:.0f} s "
        f"(its last minutes in real time); vent or first cell short at {venting_s:.1f} s",
    )
    return Converted(out.records, truth, 0, str(folder))
