"""Thermal runaway at a charging port: gas, temperature rate and pack voltage, fused.

Criterion (GB 38031-2020 Annex C style, DOMAIN.md §4): dT/dt >= 1 C/s held >= 3 s, with a
voltage drop > 25 % or the maker's maximum temperature. Holding 3 s at 1 Hz reporting, and
waiting for the whole pack to collapse, cost the P1 tens of seconds (issue #15.4). Two
additions make it seconds: battery off-gas at venting levels is an independent criterion that
stands in for the 3 s persistence (multi-criteria), and in a pack one shorted cell is a step
of its share of the voltage, not 25 %. Off-gas below venting levels is the early P2.
"""

from __future__ import annotations

from enum import Enum

from events.alerts import AlertKind
from events.readings import ChargingPortReading
from streams.detectors.config import ChargingSettings
from streams.detectors.ports import PortEdges
from streams.detectors.state import DeviceState

PACK_MAX_V = 100.0  # above this `voltage_v` is the mains side of the port, not the pack

# Enum members read for every reading, held as module constants: on Python 3.11 a class
# attribute of an Enum goes through EnumType.__getattr__'s slot hook (~150 ns a lookup, a
# global ~20 ns; docs/PERFORMANCE.md, "Worker", third pass).
_OFF_GAS = AlertKind.BATTERY_OFF_GAS


class Gas(Enum):
    NONE = 0
    EARLY = 1
    VENTING = 2


def gas_level(r: ChargingPortReading, cfg: ChargingSettings) -> Gas:
    voc, co, h2 = r.voc_ppm or 0.0, r.co_ppm or 0.0, r.h2_ppm or 0.0
    is_li_ion = voc >= cfg.offgas_voc_ppm or co >= cfg.offgas_co_ppm
    if voc >= cfg.venting_voc_ppm or co >= cfg.venting_co_ppm:
        return Gas.VENTING
    if is_li_ion and h2 >= cfg.venting_h2_ppm:
        return Gas.VENTING
    return Gas.EARLY if is_li_ion else Gas.NONE


def pack_voltage_v(r: ChargingPortReading) -> float | None:
    """The pack's voltage when the port knows it: the charger's report, else `voltage_v` when
    it is the DC side (a mains-side port cannot see a cell short)."""
    if r.pack_voltage_v is not None:
        return r.pack_voltage_v
    return r.voltage_v if r.voltage_v <= PACK_MAX_V else None


def _voltage_sign(
    state: DeviceState, volts: float | None, cfg: ChargingSettings, t_s: float
) -> str:
    """'' or why the pack voltage (`pack_voltage_v` of the reading) says cells are failing."""
    if volts is None or volts <= 0.0:
        return ""  # no pack on the charger (unplugged, or the charger unpowered): no measure
    since_s = t_s - cfg.pack_drop_window_s
    # One pass keeps the window's samples and finds their peak (volts are > 0): this runs
    # for every port reading, and building the list twice cost more than the rule.
    recent, peak = [], 0.0
    for sample in state.pack_v_recent:
        if sample[0] >= since_s:
            recent.append(sample)
            peak = max(peak, sample[1])
    recent.append([t_s, volts])
    state.pack_v_recent = recent[-8:] if len(recent) > 8 else recent
    session = state.session_voltage_v or 0.0
    if session > 0 and volts < session * (1 - cfg.runaway_voltage_drop_frac):
        return "voltage collapse"
    if peak > 0 and volts <= peak * (1 - cfg.pack_cell_drop_frac):
        return "a cell's voltage lost"
    return ""


def _rate(state: DeviceState, r: ChargingPortReading, cfg: ChargingSettings, t_s: float) -> float:
    """Temperature rate since the previous reading (C/s); tracks the 3 s persistence."""
    prev = state.prev_temp
    state.prev_temp = [t_s, r.socket_temp_c]
    if prev is None or t_s <= prev[0]:
        return 0.0
    rate = (r.socket_temp_c - prev[1]) / (t_s - prev[0])
    is_fast = rate >= cfg.runaway_rate_c_per_s
    state.rise_since_s = (state.rise_since_s or prev[0]) if is_fast else None
    return rate


def detect_runaway(
    state: DeviceState,
    r: ChargingPortReading,
    cfg: ChargingSettings,
    t_s: float,
    volts: float | None,
    *,
    edges: PortEdges,
) -> None:
    """`volts`: the pack's voltage (pack_voltage_v), when the port knows it."""
    rate = _rate(state, r, cfg, t_s)
    volts_why = _voltage_sign(state, volts, cfg, t_s)
    gas = gas_level(r, cfg)
    _offgas(state, r, cfg, t_s, gas, edges=edges)
    is_hot = r.socket_temp_c >= cfg.maker_max_temp_c
    held = state.rise_since_s is not None and t_s - state.rise_since_s >= cfg.runaway_duration_s
    why = ""
    if held and (volts_why or is_hot):
        why = f"{rate:.1f} C/s held, {volts_why or 'maker maximum temperature'}"
    elif gas is Gas.VENTING and (rate >= cfg.runaway_rate_c_per_s or volts_why or is_hot):
        sign = volts_why or ("maker maximum temperature" if is_hot else f"{rate:.1f} C/s")
        why = f"a cell venting ({_gas_text(r)}) with {sign}"
    if why:
        edges.edge(
            AlertKind.THERMAL_RUNAWAY,
            True,
            lambda: f"thermal runaway at port {r.port_no}: {why}",
            cut=True,
            stage="runaway",
            rate_c_per_s=round(rate, 2),
        )


def _gas_text(r: ChargingPortReading) -> str:
    parts = [(r.voc_ppm, "VOC"), (r.co_ppm, "CO"), (r.h2_ppm, "H2")]
    return ", ".join(f"{name} {ppm:.0f} ppm" for ppm, name in parts if ppm is not None)


def _offgas(
    state: DeviceState,
    r: ChargingPortReading,
    cfg: ChargingSettings,
    t_s: float,
    gas: Gas,
    *,
    edges: PortEdges,
) -> None:
    """P2 while a Li-ion cell off-gasses (cutting the port's power while it charges, when the
    deployment chose so). Clears only after `offgas_clear_s` below the early levels: gas
    lingers and sensors read noisily."""
    if gas is not Gas.NONE:
        state.offgas_low_since_s = None
        edges.edge(
            AlertKind.BATTERY_OFF_GAS,
            True,
            lambda: f"battery off-gas at port {r.port_no}: {_gas_text(r)}",
            cut=cfg.offgas_cuts_power and state.is_charging,
        )
        return
    if _OFF_GAS not in state.active:
        return
    since = state.offgas_low_since_s = state.offgas_low_since_s or t_s
    if t_s - since >= cfg.offgas_clear_s:
        state.offgas_low_since_s = None
        edges.edge(AlertKind.BATTERY_OFF_GAS, False, lambda: "off-gas cleared")
