"""Smoke and heat: verification window, fixed temperature, rate of rise, multi-criteria.

Sources (DOMAIN.md §3): GB 4715-2024 §5.7 (obscuration), EN 54-5 / GB 4716-2005 class A1R
(heat), NFPA 72 / UL 864 (alarm verification), Gottuk 2002 and Cestari 2005 (multi-criteria).
"""

from __future__ import annotations

import math

from events.alerts import AlertKind
from events.readings import SmokeAlarmState, SmokeReading
from streams.detectors.config import SmokeSettings
from streams.detectors.model import (
    Finding,
    FireLevel,
    Outcome,
    Place,
    Signal,
    SignalKind,
    evidence,
)
from streams.detectors.state import DeviceState

_MAX_HEAT_SAMPLES = 8  # the rate needs only the oldest and newest; caps state per device


def rate_of_rise_c_per_min(state: DeviceState, t_s: float, temp_c: float, window_s: float) -> float:
    """Rise over the last `window_s`, from the oldest sample in it; 0 until a whole window
    is covered (a start-up transient is not a rise)."""
    samples = state.heat_samples
    samples.append([t_s, temp_c])
    while len(samples) > 1 and samples[1][0] <= t_s - window_s:
        samples.pop(0)
    if len(samples) > _MAX_HEAT_SAMPLES:
        del samples[1::2]  # thin, keep the oldest: the rate stays measured over the window
    t0, temp0 = samples[0]
    span_s = t_s - t0
    if span_s < window_s * 0.9:
        return 0.0
    return (temp_c - temp0) / span_s * 60.0


def _element_c(state: DeviceState, t_s: float, temp_c: float, tau_s: float) -> float:
    """First-order lag of the heat element, restart-safe (kept in state with its time)."""
    prev = state.element_c
    last = state.heat_samples[-1][0] if state.heat_samples else None
    if prev is None or last is None or tau_s == 0 or t_s <= last:
        state.element_c = temp_c if prev is None or tau_s == 0 else prev
        return state.element_c
    alpha = 1.0 - math.exp(-(t_s - last) / tau_s)
    state.element_c = prev + alpha * (temp_c - prev)
    return state.element_c


def detect_smoke(
    state: DeviceState,
    r: SmokeReading,
    cfg: SmokeSettings,
    place: Place,
    t_s: float,
    *,
    out: Outcome,
) -> None:
    temp_c = _element_c(state, t_s, r.temperature_c, cfg.thermal_time_constant_s)
    ror = rate_of_rise_c_per_min(state, t_s, temp_c, cfg.rate_of_rise_window_s)
    if state.baseline_c is None:
        state.baseline_c = temp_c
    rise_c = temp_c - state.baseline_c
    if ror < cfg.rate_of_rise_c_per_min / 4 and rise_c < cfg.heat_confirm_rise_c:
        state.baseline_c += cfg.baseline_weight * (temp_c - state.baseline_c)
    if r.is_self_test or state.fire_level == FireLevel.ALARM:
        return  # a test is not a fire; a confirmed fire is latched (P1) until reset
    reason = _confirmation(r, cfg, state, t_s, heat=(temp_c, ror, rise_c))
    if reason:
        _confirm_fire(state, r, place, t_s, out=out, reason=reason, ror=ror)
    elif _has_smoke(r, cfg):
        if state.pre_alarm_since_s is None:
            _pre_alarm(state, r, place, t_s, out=out)
    elif state.pre_alarm_since_s is not None:
        _pre_alarm_ended(state, r, place, t_s, out=out)


def _has_smoke(r: SmokeReading, cfg: SmokeSettings) -> bool:
    return r.obscuration_db_per_m >= cfg.pre_alarm_db_per_m or r.alarm_state in (
        SmokeAlarmState.PRE_ALARM,
        SmokeAlarmState.ALARM,
    )


def _confirmation(
    r: SmokeReading,
    cfg: SmokeSettings,
    state: DeviceState,
    t_s: float,
    heat: tuple[float, float, float],
) -> str:
    """Why this reading confirms a fire, or '' when it does not."""
    temp_c, ror, rise_c = heat
    if temp_c >= cfg.fixed_temperature_c:
        return "fixed temperature"  # EN 54-5 A1 static response
    if ror >= cfg.rate_of_rise_c_per_min:
        return "rate of rise"  # EN 54-5 class R
    if not _has_smoke(r, cfg):
        return ""
    if r.co_ppm is not None and r.co_ppm >= cfg.co_confirm_ppm:
        return "smoke with CO"  # multi-criteria: cooking smoke carries little CO
    if rise_c >= cfg.heat_confirm_rise_c:
        return "smoke with heat"
    return _verified(r, cfg, state, t_s)


def _verified(r: SmokeReading, cfg: SmokeSettings, state: DeviceState, t_s: float) -> str:
    since = state.pre_alarm_since_s
    is_dense = (
        r.obscuration_db_per_m >= cfg.smoke_only_confirm_db_per_m
        or r.alarm_state is SmokeAlarmState.ALARM
    )
    if since is not None and is_dense and t_s - since <= cfg.verification_window_s:
        return "smoke verified"  # NFPA 72 verification: still there within the window
    return ""


def _summary(r: SmokeReading, ror: float = 0.0) -> dict[str, float | str]:
    out: dict[str, float | str] = {
        "obscuration_db_per_m": r.obscuration_db_per_m,
        "temperature_c": r.temperature_c,
    }
    if r.co_ppm is not None:
        out["co_ppm"] = r.co_ppm
    if ror:
        out["rise_c_per_min"] = round(ror, 2)
    return out


def _confirm_fire(
    state: DeviceState,
    r: SmokeReading,
    place: Place,
    t_s: float,
    *,
    out: Outcome,
    reason: str,
    ror: float,
) -> None:
    state.fire_level = FireLevel.ALARM
    state.set_active(AlertKind.FIRE, True)
    ev = evidence(r.event_id, r.device_id, t_s, **_summary(r, ror))
    out.findings.append(
        Finding(
            AlertKind.FIRE,
            r.device_id,
            place,
            t_s,
            stage="confirmed",
            summary=f"fire at {r.device_id}: {reason}",
            evidence=ev,
        )
    )
    if state.pre_alarm_since_s is not None:
        state.pre_alarm_since_s = None
        out.findings.append(
            Finding(
                AlertKind.FIRE_PRE_ALARM,
                r.device_id,
                place,
                t_s,
                is_active=False,
                stage="escalated",
                summary="pre-alarm escalated to fire",
                evidence=ev,
            )
        )
    out.signals.append(
        Signal(SignalKind.FIRE_LEVEL, r.device_id, place, t_s, r.event_id, level=FireLevel.ALARM)
    )
    out.is_significant = True


def _pre_alarm(
    state: DeviceState, r: SmokeReading, place: Place, t_s: float, *, out: Outcome
) -> None:
    state.pre_alarm_since_s = t_s
    state.fire_level = FireLevel.PRE_ALARM
    out.findings.append(
        Finding(
            AlertKind.FIRE_PRE_ALARM,
            r.device_id,
            place,
            t_s,
            stage="pre_alarm",
            summary=f"smoke at {r.device_id}, verifying",
            evidence=evidence(r.event_id, r.device_id, t_s, **_summary(r)),
        )
    )
    out.signals.append(
        Signal(
            SignalKind.FIRE_LEVEL, r.device_id, place, t_s, r.event_id, level=FireLevel.PRE_ALARM
        )
    )
    out.is_significant = True


def _pre_alarm_ended(
    state: DeviceState, r: SmokeReading, place: Place, t_s: float, *, out: Outcome
) -> None:
    state.pre_alarm_since_s = None
    state.fire_level = FireLevel.NONE
    state.false_alarms_s.append(t_s)  # unconfirmed pre-alarm: counted for GB 50440 O&M
    out.findings.append(
        Finding(
            AlertKind.FIRE_PRE_ALARM,
            r.device_id,
            place,
            t_s,
            is_active=False,
            stage="cleared",
            summary="smoke cleared without confirmation",
            evidence=evidence(r.event_id, r.device_id, t_s, **_summary(r)),
        )
    )
    out.signals.append(
        Signal(SignalKind.FIRE_LEVEL, r.device_id, place, t_s, r.event_id, level=FireLevel.NONE)
    )
    out.is_significant = True
