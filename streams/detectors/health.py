"""Device health: silence, tamper, battery, stuck value, clock skew, false alarms, test mode.

Sources (DOMAIN.md §1, §6): GB/T 28181 (60 s heartbeat, offline after 3 misses), GB 50440 O&M
(> 5 false alarms a day). Silence is found by a timer over this state, never by a window that
needs a later event (ARCHITECTURE.md, known traps).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from events.alerts import AlertKind, Evidence
from events.readings import Heartbeat, Reading, SmokeReading
from streams.detectors.config import HealthSettings
from streams.detectors.faults import STUCK, degraded_signal
from streams.detectors.model import Finding, Outcome, Place, Signal, SignalKind, evidence
from streams.detectors.state import DeviceState

_DAY_S = 86_400.0

# Enum members read for every reading, held as module constants: on Python 3.11 a class
# attribute of an Enum goes through EnumType.__getattr__'s slot hook (~150 ns a lookup, a
# global ~20 ns; docs/PERFORMANCE.md, "Worker", third pass).
_LOW_BATTERY, _TAMPER = AlertKind.LOW_BATTERY, AlertKind.TAMPER
_STUCK_VALUE = AlertKind.STUCK_VALUE


def edge(
    state: DeviceState,
    kind: AlertKind,
    is_now: bool,
    place: Place,
    t_s: float,
    *,
    out: Outcome,
    summary: str | Callable[[], str],
    ev: tuple[Any, ...] | Callable[[], tuple[Any, ...]] = (),
) -> None:
    """Summary and evidence may be callables: built only on an edge, never on the hot path."""
    if state.set_active(kind, is_now):
        if callable(ev):
            ev = ev()
        if callable(summary):
            summary = summary()
        found(state, kind, is_now, place, t_s, out=out, summary=summary, ev=ev)


def found(
    state: DeviceState,
    kind: AlertKind,
    is_now: bool,
    place: Place,
    t_s: float,
    *,
    out: Outcome,
    summary: str,
    ev: tuple[Any, ...] = (),
) -> None:
    """The finding of an edge `state.set_active` reported (callers on the hot path test the
    edge themselves: no closures built for the readings that change nothing)."""
    out.findings.append(
        Finding(
            kind,
            state.device_id,
            place,
            t_s,
            is_active=is_now,
            stage="raised" if is_now else "cleared",
            summary=summary,
            evidence=ev,
        )
    )
    out.is_significant = True


def on_alive(state: DeviceState, place: Place, r: Reading, now_s: float, *, out: Outcome) -> None:
    """Any reading proves the device is alive."""
    state.last_seen_s = now_s
    if state.is_silent:
        state.is_silent = False
        out.signals.append(
            Signal(
                SignalKind.SILENCE,
                state.device_id,
                place,
                now_s,
                r.event_id,
                flag=False,
                is_gateway=_is_gateway(state),
            )
        )
        out.is_significant = True


def _is_gateway(state: DeviceState) -> bool:
    return state.device_id == state.gateway_id or state.kind == "gateway_status"


def check_health(
    state: DeviceState,
    r: SmokeReading | Heartbeat,
    cfg: HealthSettings,
    place: Place,
    obs_s: float,
    *,
    out: Outcome,
) -> None:

    def ev() -> tuple[Evidence, ...]:  # on an edge only: no event id formatted per reading
        return evidence(r.event_id, r.device_id, obs_s)

    battery = r.battery_pct
    is_low = battery is not None and battery < cfg.low_battery_pct
    if battery is not None and state.set_active(_LOW_BATTERY, is_low):
        found(
            state,
            AlertKind.LOW_BATTERY,
            is_low,
            place,
            obs_s,
            out=out,
            summary=f"battery {battery:.0f} %",
            ev=ev(),
        )
    if isinstance(r, SmokeReading):
        if state.set_active(_TAMPER, r.is_tampered):
            found(
                state,
                AlertKind.TAMPER,
                r.is_tampered,
                place,
                obs_s,
                out=out,
                summary="detector removed from its base or opened",
                ev=ev(),
            )
        _stuck(state, r, cfg, place, obs_s, out=out)
        in_test = r.is_self_test
    else:
        state.heartbeat_s = r.interval_s
        in_test = r.is_test_mode
    if in_test and state.test_mode_since_s is None:
        state.test_mode_since_s = obs_s
        out.is_significant = True
    elif not in_test and state.test_mode_since_s is not None:
        state.test_mode_since_s = None
        edge(
            state,
            AlertKind.TEST_MODE_LEFT_ON,
            False,
            place,
            obs_s,
            out=out,
            summary="test mode off",
            ev=ev,
        )


def check_clock(
    state: DeviceState,
    r: Reading,
    obs_s: float,
    received_s: float,
    *,
    cfg: HealthSettings,
    place: Place,
    out: Outcome,
) -> None:
    """The device clock against the bridge's (a reading with `received_at` only)."""
    skew_s = obs_s - received_s
    edge(
        state,
        AlertKind.CLOCK_SKEW,
        abs(skew_s) > cfg.clock_skew_s,
        place,
        obs_s,
        out=out,
        summary=lambda: f"device clock {skew_s:+.0f} s off the bridge clock",
        ev=lambda: evidence(r.event_id, state.device_id, obs_s, skew_s=round(skew_s, 1)),
    )


def _stuck(
    state: DeviceState,
    r: SmokeReading,
    cfg: HealthSettings,
    place: Place,
    obs_s: float,
    *,
    out: Outcome,
) -> None:
    # A live thermistor never repeats the exact same float for an hour: it is stuck.
    if state.stuck_value == r.temperature_c:
        state.stuck_count += 1
    else:
        state.stuck_value = r.temperature_c
        state.stuck_count = 1
        state.stuck_since_s = obs_s
    since = state.stuck_since_s or obs_s
    is_stuck = state.stuck_count >= cfg.stuck_min_readings and (
        obs_s - since >= cfg.stuck_min_duration_s
    )
    if is_stuck != (_STUCK_VALUE in state.active):
        edge(
            state,
            AlertKind.STUCK_VALUE,
            is_stuck,
            place,
            obs_s,
            out=out,
            summary=f"temperature stuck at {r.temperature_c} C",
            ev=evidence(r.event_id, r.device_id, obs_s),
        )
        # A stuck sensor sees no fire: its area's detection is degraded (streams.detectors.faults).
        out.signals.append(
            degraded_signal(state, place, obs_s, reason=STUCK, is_now=is_stuck, event_id=r.event_id)
        )


def count_false_alarms(
    state: DeviceState, cfg: HealthSettings, place: Place, t_s: float, *, out: Outcome
) -> None:
    state.false_alarms_s = [s for s in state.false_alarms_s if s > t_s - _DAY_S]
    count = len(state.false_alarms_s)
    edge(
        state,
        AlertKind.FALSE_ALARM_EXCESS,
        count > cfg.false_alarms_per_day,
        place,
        t_s,
        out=out,
        summary=lambda: (
            f"{count} unconfirmed alarms in 24 h "
            f"(GB 50440: > {cfg.false_alarms_per_day} needs a plan)"
        ),
    )


def tick_health(
    state: DeviceState, cfg: HealthSettings, place: Place, now_s: float, *, out: Outcome
) -> None:
    """Timer side: silence and test mode deadlines, from stored times (restart-safe)."""
    interval_s = state.heartbeat_s
    is_tracked = interval_s > 0 and not state.is_silent and state.last_seen_s > 0
    if is_tracked and now_s > state.last_seen_s + cfg.missed_heartbeats * interval_s:
        state.is_silent = True
        out.signals.append(
            Signal(
                SignalKind.SILENCE,
                state.device_id,
                place,
                now_s,
                flag=True,
                is_gateway=_is_gateway(state),
            )
        )
        out.is_significant = True
    since = state.test_mode_since_s
    is_open = since is not None and not state.is_active(AlertKind.TEST_MODE_LEFT_ON)
    # The device clock started it; the worker clock ends it: a skewed clock errs late.
    if is_open and since is not None and now_s - since > cfg.test_mode_max_s:
        edge(
            state,
            AlertKind.TEST_MODE_LEFT_ON,
            True,
            place,
            now_s,
            out=out,
            summary=f"test mode on for more than {cfg.test_mode_max_s / 60:.0f} min",
        )
