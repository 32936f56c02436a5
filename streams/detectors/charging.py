"""Charging ports: electrical limits, "full" but drawing, too long, climb, thermal runaway.

Sources (DOMAIN.md §4): 应急管理部令第5号 Art. 37 (power off when full), Beijing group standard
2021 (8 h), TI BQ76942 defaults (55 C, 2 s), GB 38031-style appendix (runaway criterion).
"""

from __future__ import annotations

from collections.abc import Callable

from events.alerts import AlertKind, LinkageAction, LinkageRequest
from events.readings import ChargingPortReading, PortState, RelayState
from streams.detectors.config import ChargingSettings
from streams.detectors.model import Finding, Outcome, Place, Signal, SignalKind, evidence
from streams.detectors.state import DeviceState

_CLIMB_SPACING_S = 60.0  # climb samples one a minute: 10 points cover the window


def cut_power(r: ChargingPortReading, reason: str) -> tuple[LinkageRequest, ...]:
    return cut_power_for(r.device_id, r.gateway_id, reason)


def cut_power_for(device_id: str, gateway_id: str, reason: str) -> tuple[LinkageRequest, ...]:
    return (
        LinkageRequest(
            action=LinkageAction.CUT_POWER,
            device_id=device_id,
            gateway_id=gateway_id,
            reason=reason,
        ),
    )


def _summary(r: ChargingPortReading) -> dict[str, float | str]:
    return {
        "voltage_v": r.voltage_v,
        "current_a": r.current_a,
        "power_w": r.power_w,
        "socket_temp_c": r.socket_temp_c,
        "leakage_ma": r.leakage_ma,
        "port_state": r.port_state.value,
    }


class _Edges:
    """Edge-triggered findings for one reading: a condition raises once and clears once."""

    def __init__(
        self, state: DeviceState, r: ChargingPortReading, place: Place, t_s: float, *, out: Outcome
    ) -> None:
        self.state, self.r, self.place, self.t_s, self.out = state, r, place, t_s, out

    def edge(
        self, kind: AlertKind, is_now: bool, describe: Callable[[], str], cut: bool = False
    ) -> None:
        """`describe` builds the summary only on an edge: this runs for every reading."""
        if not self.state.set_active(kind, is_now):
            return
        r = self.r
        summary = describe()
        link = cut_power(r, summary) if cut and is_now else ()
        self.out.findings.append(
            Finding(
                kind,
                r.device_id,
                self.place,
                self.t_s,
                is_active=is_now,
                stage="raised" if is_now else "cleared",
                summary=summary,
                evidence=evidence(r.event_id, r.device_id, self.t_s, **_summary(r)),
                linkage=link,
            )
        )
        self.out.is_significant = True


def detect_charging(
    state: DeviceState,
    r: ChargingPortReading,
    cfg: ChargingSettings,
    place: Place,
    t_s: float,
    *,
    out: Outcome,
) -> None:
    edges = _Edges(state, r, place, t_s, out=out)
    _session(state, r, cfg, place, t_s, out=out)
    edges.edge(
        AlertKind.CHARGING_OVERCURRENT,
        r.current_a > cfg.over_current_a,
        lambda: f"port {r.port_no} draws {r.current_a:.1f} A > {cfg.over_current_a} A",
    )
    edges.edge(
        AlertKind.CHARGING_OVERPOWER,
        r.power_w > cfg.over_power_w,
        lambda: f"port {r.port_no} draws {r.power_w:.0f} W > {cfg.over_power_w:.0f} W",
    )
    edges.edge(
        AlertKind.LEAKAGE_CURRENT,
        r.leakage_ma >= cfg.leakage_ma,
        lambda: f"leakage {r.leakage_ma:.0f} mA >= {cfg.leakage_ma:.0f} mA",
        cut=True,
    )
    state.over_temp_since_s = _since(
        state.over_temp_since_s, r.socket_temp_c >= cfg.socket_over_temp_c, t_s
    )
    is_hot = state.over_temp_since_s is not None and (
        t_s - state.over_temp_since_s >= cfg.over_temp_delay_s
    )
    if is_hot or r.socket_temp_c < cfg.socket_over_temp_c:
        edges.edge(
            AlertKind.SOCKET_OVER_TEMPERATURE,
            is_hot,
            lambda: f"socket {r.socket_temp_c:.1f} C >= {cfg.socket_over_temp_c} C",
        )
    is_full_drawing = r.port_state is PortState.FULL and r.power_w > cfg.full_power_w
    state.full_power_since_s = _since(state.full_power_since_s, is_full_drawing, t_s)
    edges.edge(
        AlertKind.POWER_AFTER_FULL,
        state.full_power_since_s is not None
        and t_s - state.full_power_since_s >= cfg.power_after_full_s,
        lambda: f"port {r.port_no} 'full' but still drawing {r.power_w:.0f} W",
        cut=True,
    )
    start = state.charge_start_s
    edges.edge(
        AlertKind.CHARGE_TOO_LONG,
        state.is_charging and start is not None and t_s - start > cfg.max_charge_s,
        lambda: f"port {r.port_no} charging longer than {cfg.max_charge_s / 3600:.0f} h",
        cut=True,
    )
    edges.edge(
        AlertKind.CHARGING_TEMP_CLIMB,
        state.is_charging and _climb(state, r, cfg, t_s),
        lambda: (
            f"socket temperature climbing >= {cfg.climb_rise_c} C in "
            f"{cfg.climb_window_s / 60:.0f} min while charging"
        ),
    )
    _runaway(state, r, cfg, place, t_s, out=out)


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
    out: Outcome,
) -> None:
    is_charging = r.relay_state is RelayState.ON and (
        r.port_state is PortState.CHARGING or r.power_w > cfg.full_power_w
    )
    if is_charging and not state.is_charging:
        state.charge_start_s = t_s
        state.session_voltage_v = r.voltage_v
        state.climb_samples = []
    elif not is_charging and state.is_charging:
        state.charge_start_s = None
    if is_charging != state.is_charging:
        state.is_charging = is_charging
        out.signals.append(
            Signal(SignalKind.PORT, r.device_id, place, t_s, r.event_id, flag=is_charging)
        )
        out.is_significant = True
    if state.session_voltage_v is None or r.voltage_v > state.session_voltage_v:
        state.session_voltage_v = r.voltage_v  # the pack's highest voltage of the session


def _climb(state: DeviceState, r: ChargingPortReading, cfg: ChargingSettings, t_s: float) -> bool:
    samples = state.climb_samples
    if not samples or t_s - samples[-1][0] >= _CLIMB_SPACING_S:
        samples.append([t_s, r.socket_temp_c])
    while samples and samples[0][0] < t_s - cfg.climb_window_s:
        samples.pop(0)
    coolest = min(temp for _, temp in samples)
    return r.socket_temp_c - coolest >= cfg.climb_rise_c


def _runaway(
    state: DeviceState,
    r: ChargingPortReading,
    cfg: ChargingSettings,
    place: Place,
    t_s: float,
    *,
    out: Outcome,
) -> None:
    prev = state.prev_temp
    state.prev_temp = [t_s, r.socket_temp_c]
    if prev is None or t_s <= prev[0]:
        return
    rate = (r.socket_temp_c - prev[1]) / (t_s - prev[0])
    state.rise_since_s = (
        (state.rise_since_s or prev[0]) if rate >= cfg.runaway_rate_c_per_s else None
    )
    if state.rise_since_s is None or t_s - state.rise_since_s < cfg.runaway_duration_s:
        return
    base_v = state.session_voltage_v or 0.0
    has_collapsed = base_v > 0 and r.voltage_v < base_v * (1 - cfg.runaway_voltage_drop_frac)
    if not (has_collapsed or r.socket_temp_c >= cfg.maker_max_temp_c):
        return
    if state.set_active(AlertKind.THERMAL_RUNAWAY, True):
        why = "voltage collapse" if has_collapsed else "maker's maximum temperature"
        summary = f"thermal runaway at port {r.port_no}: {rate:.1f} C/s sustained, {why}"
        out.findings.append(
            Finding(
                AlertKind.THERMAL_RUNAWAY,
                r.device_id,
                place,
                t_s,
                stage="runaway",
                summary=summary,
                evidence=evidence(
                    r.event_id, r.device_id, t_s, rate_c_per_s=round(rate, 2), **_summary(r)
                ),
                linkage=cut_power(r, summary),
            )
        )
        out.is_significant = True
