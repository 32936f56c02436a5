"""Sensor faults: a value no working sensor reports is maintenance, not a fire and not nothing.

A sensor fails three ways (issue #15.3, DOMAIN.md §6): out of its physical range (ingest
dead-letters the reading and reports it on the sequence topic), a jump no fire makes, or stuck
at one value (health, STUCK_VALUE). Each is a P3 record for maintenance and a FAULT signal that
marks the device's detection degraded: the compound stage then lets the remaining detector of
an area confirm alone instead of waiting for a vote the failed one cannot give (2oo2 voting
degrades to 1oo1 on a detected fault, IEC 61508-6 Annex B practice, S).
"""

from __future__ import annotations

from events.alerts import AlertKind
from events.readings import SmokeReading
from events.sequence import SequenceAnomaly
from streams.detectors.config import HealthSettings, SmokeSettings
from streams.detectors.model import Finding, Outcome, Place, Signal, SignalKind, evidence
from streams.detectors.state import DeviceState

JUMP = "jump"
OUT_OF_RANGE = "out_of_range"
STUCK = "stuck"
_MAX_FAULT_SEQS = 16


def degraded_signal(
    state: DeviceState, place: Place, t_s: float, *, reason: str, is_now: bool, event_id: str = ""
) -> Signal:
    """FAULT signal for the compound stage: this device's detection is degraded (or not)."""
    return Signal(
        SignalKind.FAULT, state.device_id, place, t_s, event_id, flag=is_now, level=reason
    )


def _set(
    state: DeviceState,
    reason: str,
    is_now: bool,
    place: Place,
    t_s: float,
    *,
    out: Outcome,
    summary: str,
    event_id: str = "",
) -> None:
    """Record one reason's state (time of its latest bad reading); findings and signals on
    its edges only. The SENSOR_FAULT condition holds while any reason does."""
    was = reason in state.faults
    if is_now:
        state.faults[reason] = t_s
    else:
        state.faults.pop(reason, None)
    if was == is_now:
        return
    out.signals.append(
        degraded_signal(state, place, t_s, reason=reason, is_now=is_now, event_id=event_id)
    )
    ev = evidence(event_id, state.device_id, t_s, reason=reason) if event_id else ()
    out.findings.append(
        Finding(
            AlertKind.SENSOR_FAULT,
            state.device_id,
            place,
            t_s,
            is_active=bool(state.faults),
            stage=reason if is_now else f"{reason} ended",
            summary=summary,
            evidence=ev,
        )
    )
    state.set_active(AlertKind.SENSOR_FAULT, bool(state.faults))
    out.is_significant = True


def screen_temperature(
    state: DeviceState,
    r: SmokeReading,
    cfg: SmokeSettings,
    place: Place,
    t_s: float,
    *,
    out: Outcome,
) -> bool:
    """False when the temperature jumped as no fire can: it is held out of heat detection.
    While the fault holds, a reading must come back near the last plausible one to count."""
    temp_c, trusted = r.temperature_c, state.trusted_c
    if trusted is None or t_s <= trusted[0]:
        state.trusted_c = trusted or [t_s, temp_c]
        return True
    step_c = abs(temp_c - trusted[1])
    if JUMP in state.faults:
        is_jump = step_c >= cfg.sensor_jump_c
    else:
        is_jump = step_c >= cfg.sensor_jump_c and step_c / max(t_s - trusted[0], 1.0) >= (
            cfg.sensor_jump_c_per_s
        )
    if is_jump:
        _set(
            state,
            JUMP,
            True,
            place,
            t_s,
            out=out,
            event_id=r.event_id,
            summary=f"temperature jumped {trusted[1]:.1f} -> {temp_c:.1f} C: no fire does that",
        )
        return False
    state.trusted_c = [t_s, temp_c]
    since = state.faults.get(JUMP)
    if since is not None and t_s - since >= cfg.jump_fault_hold_s:
        _set(state, JUMP, False, place, t_s, out=out, summary="temperature plausible again")
    return True


def on_out_of_range(
    state: DeviceState, a: SequenceAnomaly, cfg: HealthSettings, now_s: float, *, out: Outcome
) -> None:
    """Ingest dead-lettered a reading of this device with a value out of the physical range."""
    state.building_id = state.building_id or a.building_id
    state.area_id = state.area_id or a.area_id
    state.fault_seqs = [*state.fault_seqs, a.received_seq][-_MAX_FAULT_SEQS:]
    state.fault_due_s = now_s + cfg.out_of_range_hold_s
    value = "a non-number" if a.value is None else f"{a.value:g}"
    place = Place(state.compound_id, state.gateway_id, state.building_id, None, state.area_id)
    _set(
        state,
        OUT_OF_RANGE,
        True,
        place._replace(device_id=state.device_id),
        a.detected_at.timestamp(),
        out=out,
        event_id=f"{a.device_id}:{a.received_seq}",
        summary=f"{a.field or 'a field'} read {value}: outside the sensor's physical range",
    )
    out.is_significant = True


def tick_out_of_range(state: DeviceState, place: Place, now_s: float, *, out: Outcome) -> None:
    """No out-of-range reading for the hold time: the sensor was repaired or recovered."""
    due = state.fault_due_s
    if due is None or now_s < due:
        return
    state.fault_due_s = None
    _set(state, OUT_OF_RANGE, False, place, now_s, out=out, summary="readings in range again")


def unexplained_missing(state: DeviceState, a: SequenceAnomaly) -> int:
    """A gap's missing count less the seqs ingest dead-lettered as out of range: those readings
    arrived (and are a sensor fault), they were not lost."""
    explained = sum(1 for s in state.fault_seqs if a.expected_seq <= s < a.received_seq)
    return max(0, a.missing_count - explained)
