"""Smoke and heat: verification window, fixed temperature, rate of rise, multi-criteria.

Sources (DOMAIN.md §3): GB 4715-2024 §5.7 (obscuration), EN 54-5 / GB 4716-2005 class A1R
(heat), NFPA 72 / UL 864 (alarm verification), Gottuk 2002 and Cestari 2005 (multi-criteria).
"""

from __future__ import annotations

from events.alerts import AlertKind
from events.readings import SmokeAlarmState, SmokeReading
from streams.detectors import faults, heat
from streams.detectors.config import SmokeSettings
from streams.detectors.heat import HeatView
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

# Read for every smoke reading: on Python 3.11 an Enum's class attribute goes through
# EnumType.__getattr__'s slot hook (~150 ns a lookup, a module constant ~20 ns).
_ALARM = FireLevel.ALARM


def detect_smoke(
    state: DeviceState,
    r: SmokeReading,
    cfg: SmokeSettings,
    place: Place,
    t_s: float,
    *,
    out: Outcome,
) -> None:
    if state.fire_level == _ALARM:
        # A confirmed fire is latched (P1) until reset; a sensor in a fire sees extremes, so
        # it is not judged for faults meanwhile, only followed.
        state.trusted_c = [t_s, r.temperature_c]
        return
    # A temperature no fire can make is a sensor fault: its heat is not judged (smoke still is).
    is_plausible = faults.screen_temperature(state, r, cfg, place, t_s, out=out)
    view = heat.observe(state, t_s, r.temperature_c, cfg) if is_plausible else None
    if r.is_self_test:
        return  # a test is not a fire
    _heat_rise_signal(state, r, view, place, t_s, out=out)
    has_smoke = _has_smoke(r, cfg)
    reason = _confirmation(r, cfg, state, t_s, view, has_smoke=has_smoke)
    if reason:
        _confirm_fire(state, r, place, t_s, out=out, reason=reason, view=view)
    elif has_smoke:
        if state.pre_alarm_since_s is None:
            _pre_alarm(state, r, place, t_s, out=out)
    elif state.pre_alarm_since_s is not None:
        _pre_alarm_ended(state, r, place, t_s, out=out)


def _heat_rise_signal(
    state: DeviceState,
    r: SmokeReading,
    view: HeatView | None,
    place: Place,
    t_s: float,
    *,
    out: Outcome,
) -> None:
    """A rise over the baseline is no alarm on its own (sun, heating, cooking warm a ceiling),
    but next to a confirmed fire in the same building it is the fire arriving: the compound
    stage confirms it (streams.detectors.neighbours). Sent on its edges only."""
    is_rising = view is not None and view.is_rising
    if is_rising != state.is_heat_rising:
        state.is_heat_rising = is_rising
        out.signals.append(
            Signal(SignalKind.HEAT_RISE, r.device_id, place, t_s, r.event_id, flag=is_rising)
        )
        out.is_significant = True


# A constant: a tuple of enum members built per call cost ~0.4 us (enum attribute lookups
# are descriptor calls), twice for every smoke reading.
_SMOKE_STATES = frozenset({SmokeAlarmState.PRE_ALARM, SmokeAlarmState.ALARM})


def _has_smoke(r: SmokeReading, cfg: SmokeSettings) -> bool:
    return r.obscuration_db_per_m >= cfg.pre_alarm_db_per_m or r.alarm_state in _SMOKE_STATES


def _confirmation(
    r: SmokeReading,
    cfg: SmokeSettings,
    state: DeviceState,
    t_s: float,
    view: HeatView | None,
    *,
    has_smoke: bool,
) -> str:
    """Why this reading confirms a fire, or '' when it does not. Heat alone, as a combined
    fixed + rate-of-rise detector does (EN 54-5 / GB 4716 class A1R, UL 521); smoke only with a
    second criterion (Gottuk 2002, Cestari 2005) or verified (NFPA 72). `has_smoke`: the
    reading's _has_smoke, judged once by the caller."""
    if view is not None and view.temp_c >= cfg.fixed_temperature_c:
        return "fixed temperature"  # EN 54-5 A1 static response
    if view is not None and view.is_rate_alarm:
        return "rate of rise"  # EN 54-5 class R, measured as a slope (streams.detectors.heat)
    if not has_smoke:
        return ""
    if r.co_ppm is not None and r.co_ppm >= cfg.co_confirm_ppm:
        return "smoke with CO"  # multi-criteria: cooking smoke carries little CO
    if view is not None and view.rise_c >= cfg.heat_confirm_rise_c:
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


def _summary(r: SmokeReading, view: HeatView | None = None) -> dict[str, float | str]:
    out: dict[str, float | str] = {
        "obscuration_db_per_m": r.obscuration_db_per_m,
        "temperature_c": r.temperature_c,
    }
    if r.co_ppm is not None:
        out["co_ppm"] = r.co_ppm
    if view is not None and view.rate_c_per_min:
        out["rise_c_per_min"] = round(view.rate_c_per_min, 2)
    return out


def _confirm_fire(
    state: DeviceState,
    r: SmokeReading,
    place: Place,
    t_s: float,
    *,
    out: Outcome,
    reason: str,
    view: HeatView | None,
) -> None:
    state.fire_level = FireLevel.ALARM
    state.set_active(AlertKind.FIRE, True)
    ev = evidence(r.event_id, r.device_id, t_s, **_summary(r, view))
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
