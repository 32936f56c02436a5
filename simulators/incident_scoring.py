"""Score the incidents dispatch published against a ground truth (pure).

Incidents come from the incidents topic (events.incidents.IncidentUpdate): the newest update
of each incident is the incident. Each expectation matches the incidents at its place; it is
detected (the right severity, conditions, tasks and station, in time), late, wrong (matched
by place but not by what a person sees), missed, or split into too many incidents. Every
incident no expectation claims is extra: a person on duty would see one more card.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from events.alerts import Severity
from events.incidents import IncidentUpdate, PlaceScope
from simulators.truth import GroundTruth, IncidentExpectation

ONSET_GRACE_S = 1.0  # device clocks may stamp evidence a hair before the onset


class IncidentOutcome(StrEnum):
    DETECTED = "detected"
    LATE = "late"
    WRONG = "wrong"
    MISSED = "missed"
    TOO_MANY = "too_many"
    ABSENT = "absent"  # an optional incident that did not appear: fine


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class SeenIncident(_Frozen):
    incident_key: str
    place: str
    severity: Severity
    station_id: str | None
    t_s: float  # first evidence, seconds after the ground truth's start
    kinds: tuple[str, ...]
    tasks: tuple[str, ...]  # "kind:device=state"


class IncidentResult(_Frozen):
    expectation: IncidentExpectation
    outcome: IncidentOutcome
    latency_s: float | None = None
    incidents: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


class IncidentReport(_Frozen):
    results: tuple[IncidentResult, ...]
    extra: tuple[SeenIncident, ...]
    seen: tuple[SeenIncident, ...]

    @property
    def passed(self) -> bool:
        good = (IncidentOutcome.DETECTED, IncidentOutcome.ABSENT)
        return all(r.outcome in good for r in self.results) and not self.extra


def latest(updates: Iterable[IncidentUpdate]) -> list[IncidentUpdate]:
    """The newest update of every incident (the highest seq)."""
    newest: dict[str, IncidentUpdate] = {}
    for u in updates:
        seen = newest.get(u.incident_key)
        if seen is None or u.seq > seen.seq:
            newest[u.incident_key] = u
    return sorted(newest.values(), key=lambda u: (u.raised_at, u.incident_key))


def _seconds(at: datetime, truth: GroundTruth) -> float:
    return round((at - truth.start_at).total_seconds(), 3)


def _seen(u: IncidentUpdate, truth: GroundTruth) -> SeenIncident:
    return SeenIncident(
        incident_key=u.incident_key,
        place=u.place.key,
        severity=u.severity,
        station_id=u.station_id,
        t_s=_seconds(u.raised_at, truth),
        kinds=tuple(sorted({c.kind.value for c in u.conditions})),
        tasks=tuple(f"{t.kind.value}:{t.device_id}={t.state.value}" for t in u.tasks),
    )


def _at_place(e: IncidentExpectation, u: IncidentUpdate) -> bool:
    p = u.place
    if e.compound_id and p.compound_id != e.compound_id:
        return False
    if e.building_id is not None:
        return p.scope is PlaceScope.BUILDING and p.place_id == e.building_id
    if e.area_id is not None:
        is_area = p.scope is PlaceScope.AREA and p.place_id == e.area_id
        return is_area or any(c.area_id == e.area_id for c in u.conditions)
    if e.device_id is not None:
        is_device = p.scope is PlaceScope.DEVICE and p.place_id == e.device_id
        return is_device or any(c.device_id == e.device_id for c in u.conditions)
    return False


def _problems(e: IncidentExpectation, u: IncidentUpdate) -> list[str]:
    out = []
    if u.severity is not e.severity:
        out.append(f"severity {u.severity.value}, expected {e.severity.value}")
    kinds = {c.kind for c in u.conditions}
    out += [f"no {k.value} condition" for k in e.kinds if k not in kinds]
    tasks = {(t.kind, t.device_id): t.state for t in u.tasks}
    for t in e.tasks:
        state = tasks.get((t.kind, t.device_id))
        if state is None:
            out.append(f"no task {t.kind.value} {t.device_id}")
        elif t.states and state not in t.states:
            out.append(f"task {t.kind.value} {t.device_id} is {state.value}")
    if e.station_id and u.station_id != e.station_id:
        out.append(f"dispatched to {u.station_id}, expected {e.station_id}")
    return out


def _latency(e: IncidentExpectation, u: IncidentUpdate, truth: GroundTruth) -> float:
    """From the onset to the first evidence of the expected severity (or the first at all)."""
    severe = [c.raised_at for c in u.conditions if not e.severity.is_above(c.severity)]
    return round(_seconds(min(severe, default=u.raised_at), truth) - e.onset_s, 3)


def _score(
    e: IncidentExpectation, matched: list[IncidentUpdate], truth: GroundTruth
) -> IncidentResult:
    keys = tuple(u.incident_key for u in matched)
    if not matched:
        outcome = IncidentOutcome.ABSENT if e.is_optional else IncidentOutcome.MISSED
        return IncidentResult(expectation=e, outcome=outcome)
    first = matched[0]
    latency_s = _latency(e, first, truth)
    problems = tuple(_problems(e, first))
    if len(matched) > 1:
        outcome = IncidentOutcome.TOO_MANY
    elif problems:
        outcome = IncidentOutcome.WRONG
    elif latency_s > e.deadline_s or latency_s < -ONSET_GRACE_S:
        outcome = IncidentOutcome.LATE
    else:
        outcome = IncidentOutcome.DETECTED
    return IncidentResult(
        expectation=e, outcome=outcome, latency_s=latency_s, incidents=keys, problems=problems
    )


def score_incidents(truth: GroundTruth, updates: Iterable[IncidentUpdate]) -> IncidentReport:
    found = latest(updates)
    claimed: set[str] = set()
    results = []
    for e in truth.incidents or ():
        matched = [u for u in found if _at_place(e, u) and u.incident_key not in claimed]
        claimed.update(u.incident_key for u in matched)
        results.append(_score(e, matched, truth))
    return IncidentReport(
        results=tuple(results),
        extra=tuple(_seen(u, truth) for u in found if u.incident_key not in claimed),
        seen=tuple(_seen(u, truth) for u in found),
    )


def render_incidents(report: IncidentReport) -> list[str]:
    lines = [f"{'INCIDENT':<30} {'SEVERITY':<8} {'OUTCOME':<9} {'LATENCY':>8}  PROBLEMS"]
    for r in report.results:
        e = r.expectation
        where = e.building_id or e.area_id or e.device_id or "-"
        latency = f"{r.latency_s:.1f}s" if r.latency_s is not None else "-"
        problems = "; ".join(r.problems)
        lines.append(
            f"{where:<30} {e.severity.value:<8} {r.outcome.value:<9} {latency:>8}  {problems}"
        )
    lines.append(f"extra incidents: {len(report.extra)}")
    for i in report.extra:
        lines.append(f"  {i.severity.value} {i.place:<32} t={i.t_s:.1f}s  {', '.join(i.kinds)}")
    return lines
