"""Zone logic in the compound stage: neighbours confirm each other, a failed detector is no vote.

Two rules a fire-alarm control panel applies across detectors (issue #15.2, #15.3):
- A heat detector rising over its baseline (a HEAT_RISE signal: no alarm on its own, sun and
  heating warm a ceiling too) is the fire arriving when a detector of the same building, on the
  same or an adjacent floor, has already confirmed a fire: it is confirmed at once. Alarm zones
  follow floors and fire compartments (GB 50116-2013 §3.3, S); the hot layer spreads room to
  room through halls and stairs (UL FSRI two-storey tests: every room the fire reached).
- An area whose other detector failed (a FAULT signal: stuck, a jump no fire makes, out of
  range) cannot give the second vote of GB 50116-2013 §4.1.6: the remaining detector's
  pre-alarm confirms alone (2oo2 degrades to 1oo1 on a detected fault, IEC 61508-6, S).
Findings are re-emitted whenever a signal makes a rule hold: folding them into an incident is
idempotent (streams.conditions), so a repeat pages nobody.

Signals of different devices reach this stage in processing order, not device time (readings
are partitioned by device, and partitions are fetched in no set order): a rule is dated by the
facts it joins, from when all of them held (the later of the two), never by the signal that
happened to complete the picture (as streams.detectors.area does).
"""

from __future__ import annotations

from events.alerts import AlertKind
from streams.detectors.compound_state import CompoundState, DeviceFact, FireArea
from streams.detectors.model import Finding, FireLevel, Outcome, Place, Signal, SignalKind

_ADJACENT_FLOORS = 1
_KEPT_RISES = 8  # per device: enough for the rises a partition's lead can hold back


def on_signal(cs: CompoundState, s: Signal, *, out: Outcome) -> None:
    """HEAT_RISE and FAULT signals (FIRE_LEVEL ones go to `on_fire_level` after
    `cs.alarmed` has them)."""
    if s.kind is SignalKind.HEAT_RISE:
        fact = _rose(cs, s)
        if s.flag and fact is not None:
            _confirm_near_fire(cs, [fact], out=out)
        return
    known = cs.faulty.get(s.device_id)
    reasons = set(known.faults) if known else set()
    reasons = reasons | {s.level} if s.flag else reasons - {s.level}
    if reasons:
        fact = cs.faulty[s.device_id] = DeviceFact.of(s)
        fact.faults = sorted(reasons)
        _lone_detectors(cs, s.place, out=out)
    else:
        cs.faulty.pop(s.device_id, None)


def _rose(cs: CompoundState, s: Signal) -> DeviceFact | None:
    """Record a heat rise starting or ending. The device's recent rises are kept, ended ones
    too: a neighbour's alarm whose signal comes after a rise ended may have begun during it."""
    fact = cs.heat_rising.get(s.device_id)
    if fact is None:
        if not s.flag:
            return None
        fact = cs.heat_rising[s.device_id] = DeviceFact.of(s)
    elif not fact.spans:  # stored before spans were kept: it was rising since its at_s
        fact.spans = [[fact.at_s, None]]
    fact.place, fact.at_s, fact.event_id = s.place, s.at_s, s.event_id
    if s.flag:
        fact.spans = [*fact.spans, [s.at_s, None]][-_KEPT_RISES:]
    elif fact.spans and fact.spans[-1][1] is None:
        fact.spans[-1][1] = s.at_s
    return fact


def on_fire_level(cs: CompoundState, s: Signal, *, out: Outcome) -> None:
    if s.level == FireLevel.ALARM.value:
        _confirm_near_fire(cs, list(cs.heat_rising.values()), out=out)
    elif s.level == FireLevel.PRE_ALARM.value:
        _lone_detectors(cs, s.place, out=out)


def _is_near(a: Place, b: Place) -> bool:
    if a.building_id is None or a.building_id != b.building_id:
        return False
    return a.floor is None or b.floor is None or abs(a.floor - b.floor) <= _ADJACENT_FLOORS


def _confirm_near_fire(cs: CompoundState, rising: list[DeviceFact], *, out: Outcome) -> None:
    fires = [d for d in cs.alarmed.values() if d.level == FireLevel.ALARM.value]
    for d in rising:
        near = sorted(
            (f.at_s, f.device_id)
            for f in fires
            if f.device_id != d.device_id and _is_near(d.place, f.place)
        )
        if not near:
            continue
        held_s = _first_overlap(d, near[0][0])
        if held_s is None:
            continue
        out.findings.append(
            Finding(
                AlertKind.FIRE,
                f"near:{d.device_id}",
                d.place,
                held_s,
                stage="heat rise next to a fire",
                summary=f"fire at {d.device_id}: heat rising while {near[0][1]} is on fire",
            )
        )


def _first_overlap(rising: DeviceFact, fire_s: float) -> float | None:
    """When the heat first rose next to a fire already burning (the later of a rise's start
    and the first neighbour's alarm, while that rise lasted), whichever signal came first;
    None when every known rise ended before the fire. A rise ending at the very moment the
    alarm starts overlapped it: the answer must not depend on which signal was first."""
    spans = rising.spans or [[rising.at_s, None]]  # stored before spans were kept (_rose)
    held = [
        max(start, fire_s)
        for start, end in spans
        if start is not None and (end is None or max(start, fire_s) <= end)
    ]
    return min(held, default=None)


def _in_area(fact: DeviceFact, area: str, building: str | None) -> bool:
    return fact.place.area_id == area and fact.place.building_id == building


def _lone_detectors(cs: CompoundState, where: Place, *, out: Outcome) -> None:
    area, building = where.area_id, where.building_id
    if area is None:
        return
    failed = [d for d in cs.faulty.values() if _in_area(d, area, building)]
    failed_ids = {d.device_id for d in failed}
    alarmed = [
        d
        for d in cs.alarmed.values()
        if _in_area(d, area, building) and d.device_id not in failed_ids
    ]
    if not (failed and alarmed):
        return
    ids = ", ".join(sorted(d.device_id for d in alarmed))
    dead = ", ".join(sorted(failed_ids))
    # Held from when a detector had failed and another was alarmed: the later of the two.
    t_s = max(min(d.at_s for d in failed), min(d.at_s for d in alarmed))
    subject = f"area:{area}"
    out.findings.append(
        Finding(
            AlertKind.FIRE,
            subject,
            Place(where.compound_id, None, building, alarmed[0].place.floor, area),
            t_s,
            stage="one detector, the other failed",
            summary=f"fire confirmed by {ids} alone: {dead} failed (sensor fault)",
        )
    )
    # The area's fire holds until a person's reset, as a two-detector one does.
    cs.fire_areas.setdefault(subject, FireArea(building, t_s))
