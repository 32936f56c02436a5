"""Charging ports: electrical limits, "full" but drawing, too long, climb, thermal runaway.

Sources (DOMAIN.md §4): 应急管理部令第5号 Art. 37 (power off when full), Beijing group standard
2021 (8 h), TI BQ76942 defaults (55 C, 2 s), GB 38031-style appendix (runaway criterion).
"""

from __future__ import annotations

from operator import itemgetter

from events.alerts import AlertKind
from events.readings import ChargingPortReading, PortState, RelayState
from streams.detectors.config import ChargingSettings
from streams.detectors.model import Outcome, Place, Signal, SignalKind
from streams.detectors.ports import PortEdges, cut_power, cut_power_for
from streams.detectors.runaway import detect_runaway, pack_voltage_v
from streams.detectors.state import DeviceState

__all__ = ["cut_power", "cut_power_for", "detect_charging"]

_CLIMB_SPACING_S = 60.0  # climb samples one a minute: 10 points cover the window
_TEMP = itemgetter(1)  # of a [t_s, temp_c] sample

# Enum members read for every reading, held as module constants: on Python 3.11 a class
# attribute of an Enum goes through EnumType.__getattr__'s slot hook (~150 ns a lookup, a
# global ~20 ns; docs/PERFORMANCE.md, "Worker", third pass).
_OVERCURRENT, _OVERPOWER = AlertKind.CHARGING_OVERCURRENT, AlertKind.CHARGING_OVERPOWER
_LEAKAGE, _OVER_TEMPERATURE = AlertKind.LEAKAGE_CURRENT, AlertKind.SOCKET_OVER_TEMPERATURE
_POWER_AFTER_FULL, _TOO_LONG = AlertKind.POWER_AFTER_FULL, AlertKind.CHARGE_TOO_LONG
_TEMP_CLIMB = AlertKind.CHARGING_TEMP_CLIMB
_RELAY_ON, _CHARGING, _FULL = RelayState.ON, PortState.CHARGING, PortState.FULL


def detect_charging(
    state: DeviceState,
    r: ChargingPortReading,
    cfg: ChargingSettings,
    place: Place,
    t_s: float,
    *,
    out: Outcome,
) -> None:
    edges = PortEdges(state, r, place, t_s, out=out)
    volts = pack_voltage_v(r)
    _session(state, r, cfg, place, t_s, volts=volts, out=out)
    _electrical_limits(state, r, cfg, edges)
    _held_limits(state, r, cfg, t_s, edges)
    _climb(state, r, cfg, t_s, edges=edges)
    detect_runaway(state, r, cfg, t_s, volts, edges=edges)


# Each limit below is tested against the active list and `edges.edge` called on a change only:
# a port reports every few seconds and its limits almost never move (a call with its summary
# closure per limit and reading was a sixth of the charging detector).


def _electrical_limits(
    state: DeviceState, r: ChargingPortReading, cfg: ChargingSettings, edges: PortEdges
) -> None:
    active = state.active
    kind = _OVERCURRENT
    is_now = r.current_a > cfg.over_current_a
    if is_now != (kind in active):
        edges.edge(
            kind,
            is_now,
            lambda: f"port {r.port_no} draws {r.current_a:.1f} A > {cfg.over_current_a} A",
        )
    kind = _OVERPOWER
    is_now = r.power_w > cfg.over_power_w
    if is_now != (kind in active):
        edges.edge(
            kind,
            is_now,
            lambda: f"port {r.port_no} draws {r.power_w:.0f} W > {cfg.over_power_w:.0f} W",
        )
    kind = _LEAKAGE
    is_now = r.leakage_ma >= cfg.leakage_ma
    if is_now != (kind in active):
        edges.edge(
            kind,
            is_now,
            lambda: f"leakage {r.leakage_ma:.0f} mA >= {cfg.leakage_ma:.0f} mA",
            cut=True,
        )


def _held_limits(
    state: DeviceState, r: ChargingPortReading, cfg: ChargingSettings, t_s: float, edges: PortEdges
) -> None:
    """Limits that count only once they have held: socket temperature, power after "full",
    the session's length."""
    active = state.active
    state.over_temp_since_s = _since(
        state.over_temp_since_s, r.socket_temp_c >= cfg.socket_over_temp_c, t_s
    )
    is_hot = state.over_temp_since_s is not None and (
        t_s - state.over_temp_since_s >= cfg.over_temp_delay_s
    )
    kind = _OVER_TEMPERATURE
    if (is_hot or r.socket_temp_c < cfg.socket_over_temp_c) and is_hot != (kind in active):
        edges.edge(
            kind,
            is_hot,
            lambda: f"socket {r.socket_temp_c:.1f} C >= {cfg.socket_over_temp_c} C",
        )
    is_full_drawing = r.port_state is _FULL and r.power_w > cfg.full_power_w
    state.full_power_since_s = _since(state.full_power_since_s, is_full_drawing, t_s)
    kind = _POWER_AFTER_FULL
    is_now = (
        state.full_power_since_s is not None
        and t_s - state.full_power_since_s >= cfg.power_after_full_s
    )
    if is_now != (kind in active):
        edges.edge(
            kind,
            is_now,
            lambda: f"port {r.port_no} 'full' but still drawing {r.power_w:.0f} W",
            cut=True,
        )
    start = state.charge_start_s
    kind = _TOO_LONG
    is_now = state.is_charging and start is not None and t_s - start > cfg.max_charge_s
    if is_now != (kind in active):
        edges.edge(
            kind,
            is_now,
            lambda: f"port {r.port_no} charging longer than {cfg.max_charge_s / 3600:.0f} h",
            cut=True,
        )


def _since(since_s: float | None, is_now: bool, t_s: float) -> float | None:
    if not is_now:
        return None
    return t_s if since_s is None else since_s


def _session(
    state: DeviceState,
    r: ChargingPortReading,
    cfg: ChargingSettings,
    place: Place,
    t_s: float,
    *,
    volts: float | None,
    out: Outcome,
) -> None:
    """`volts`: the pack's voltage (pack_voltage_v), when the port knows it."""
    is_charging = r.relay_state is _RELAY_ON and (
        r.port_state is _CHARGING or r.power_w > cfg.full_power_w
    )
    if is_charging and not state.is_charging:
        state.charge_start_s = t_s
        state.session_voltage_v = volts
        if not state.is_active(AlertKind.CHARGING_TEMP_CLIMB):
            state.climb_samples, state.climb_low_c = [], None
    elif not is_charging and state.is_charging:
        state.charge_start_s = None
    if is_charging != state.is_charging:
        state.is_charging = is_charging
        out.signals.append(
            Signal(SignalKind.PORT, r.device_id, place, t_s, r.event_id, flag=is_charging)
        )
        out.is_significant = True
    if volts is not None and (state.session_voltage_v is None or volts > state.session_voltage_v):
        state.session_voltage_v = volts  # the pack's highest voltage of the session


def climb_low_c(state: DeviceState, t_s: float, temp_c: float, window_s: float) -> float:
    """Fold a reading into the climb samples (one a minute over `window_s`); the lowest
    temperature they hold (`temp_c` when none). The minimum is recomputed only when the
    samples changed: most readings fall between two samples."""
    samples = state.climb_samples
    low = state.climb_low_c
    if not samples or t_s - samples[-1][0] >= _CLIMB_SPACING_S:
        samples.append([t_s, temp_c])
        low = None
    while samples and samples[0][0] < t_s - window_s:
        samples.pop(0)
        low = None
    if low is None:
        low = state.climb_low_c = min(map(_TEMP, samples), default=None)
    return temp_c if low is None else low


def _climb(
    state: DeviceState,
    r: ChargingPortReading,
    cfg: ChargingSettings,
    t_s: float,
    *,
    edges: PortEdges,
) -> None:
    """Slow climb while charging: a precursor (P2). Raised while charging; cleared with
    hysteresis (below `climb_clear_rise_c`, after `climb_min_hold_s`) whether it charges or
    not: a pack heating on after its power was cut is still climbing (issue #10.4)."""
    rise_c = r.socket_temp_c - climb_low_c(state, t_s, r.socket_temp_c, cfg.climb_window_s)
    if _TEMP_CLIMB not in state.active:
        if state.is_charging and rise_c >= cfg.climb_rise_c:
            state.climb_since_s = t_s
            edges.edge(
                AlertKind.CHARGING_TEMP_CLIMB,
                True,
                lambda: (
                    f"socket temperature climbing {rise_c:.1f} C in "
                    f"{cfg.climb_window_s / 60:.0f} min while charging"
                ),
            )
        return
    held_s = t_s - (state.climb_since_s if state.climb_since_s is not None else t_s)
    if rise_c < cfg.climb_clear_rise_c and held_s >= cfg.climb_min_hold_s:
        state.climb_since_s = None
        edges.edge(AlertKind.CHARGING_TEMP_CLIMB, False, lambda: "socket temperature steady")
