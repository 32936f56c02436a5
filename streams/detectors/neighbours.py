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
idempotent (streams.incidents), so a repeat pages nobody.
"""

from __future__ import annotations

from typing import Any

from events.alerts import AlertKind
from streams.detectors.model import Finding, FireLevel, Outcome, Place, Signal, SignalKind

_ADJACENT_FLOORS = 1


def on_signal(cs: dict[str, Any], s: Signal, *, out: Outcome) -> None:
    """HEAT_RISE and FAULT signals (FIRE_LEVEL ones go to `on_fire_level` after the table
    `cs["fire"]` has them)."""
    entry = _compact(s)
    if s.kind is SignalKind.HEAT_RISE:
        rising: dict[str, Any] = cs.setdefault("heat", {})
        if s.flag:
            rising[s.device_id] = entry
            _confirm_near_fire(cs, s.place.compound_id, [entry], s.at_s, out=out)
        else:
            rising.pop(s.device_id, None)
        return
    failed: dict[str, Any] = cs.setdefault("faults", {})
    reasons = set(failed.get(s.device_id, {}).get("why", []))
    reasons = reasons | {s.level} if s.flag else reasons - {s.level}
    if reasons:
        failed[s.device_id] = {**entry, "why": sorted(reasons)}
        _lone_detectors(cs, s.place, s.at_s, out=out)
    else:
        failed.pop(s.device_id, None)


def on_fire_level(cs: dict[str, Any], s: Signal, *, out: Outcome) -> None:
    if s.level == FireLevel.ALARM.value:
        rising = list(cs.get("heat", {}).values())
        _confirm_near_fire(cs, s.place.compound_id, rising, s.at_s, out=out)
    elif s.level == FireLevel.PRE_ALARM.value:
        _lone_detectors(cs, s.place, s.at_s, out=out)


def _compact(s: Signal) -> dict[str, Any]:
    p = s.place
    return {"id": s.device_id, "g": p.gateway_id, "b": p.building_id, "f": p.floor, "a": p.area_id}


def _is_near(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.get("b") is None or a.get("b") != b.get("b"):
        return False
    fa, fb = a.get("f"), b.get("f")
    return fa is None or fb is None or abs(fa - fb) <= _ADJACENT_FLOORS


def _confirm_near_fire(
    cs: dict[str, Any], compound: str, rising: list[dict[str, Any]], t_s: float, *, out: Outcome
) -> None:
    fires = [d for d in cs["fire"].values() if d.get("level") == FireLevel.ALARM.value]
    for d in rising:
        near = sorted(f["id"] for f in fires if f["id"] != d["id"] and _is_near(d, f))
        if not near:
            continue
        place = Place(compound, d.get("g"), d.get("b"), d.get("f"), d.get("a"), d["id"])
        out.findings.append(
            Finding(
                AlertKind.FIRE,
                f"near:{d['id']}",
                place,
                t_s,
                stage="heat rise next to a fire",
                summary=f"fire at {d['id']}: heat rising while {near[0]} is on fire",
            )
        )


def _lone_detectors(cs: dict[str, Any], where: Place, t_s: float, *, out: Outcome) -> None:
    area, building = where.area_id, where.building_id
    if area is None:
        return
    failed = [
        d for d in cs.get("faults", {}).values() if d.get("a") == area and d.get("b") == building
    ]
    failed_ids = {d["id"] for d in failed}
    alarmed = [
        d
        for d in cs["fire"].values()
        if d.get("a") == area and d.get("b") == building and d["id"] not in failed_ids
    ]
    if not (failed and alarmed):
        return
    ids = ", ".join(sorted(d["id"] for d in alarmed))
    dead = ", ".join(sorted(d["id"] for d in failed))
    out.findings.append(
        Finding(
            AlertKind.FIRE,
            f"area:{area}",
            Place(where.compound_id, None, building, alarmed[0].get("f"), area),
            t_s,
            stage="one detector, the other failed",
            summary=f"fire confirmed by {ids} alone: {dead} failed (sensor fault)",
        )
    )
    cs.setdefault("fire_areas", {})[f"area:{area}"] = building
