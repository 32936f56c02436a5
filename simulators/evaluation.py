"""Score what a pipeline produced against a ground truth (pure): its alerts, and its incidents.

Alerts are grouped into conditions by `condition_key` (revisions and duplicates never count
twice; `cleared` revisions are ignored); a condition's time is its first `raised_at`, measured
in seconds after the ground truth's `start_at`. Each expectation is detected (latency within
its deadline), late, missed, or raised as too many conditions. Every other condition is a
false alert unless tolerated; a condition inside a quiet window is false even when tolerated.
When dispatch's incidents are given too, they are scored by simulators.incident_scoring: a
run passes only if every expected incident is there as a person should see it, and no other.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from events.alerts import Alert, AlertKind, AlertStatus
from events.incidents import IncidentUpdate
from simulators.incident_scoring import IncidentReport, render_incidents, score_incidents
from simulators.truth import Expectation, GroundTruth, QuietWindow, Tolerated

# A detector that stamps `raised_at` from the device clock may land a hair before the onset.
ONSET_GRACE_S = 1.0


class Outcome(StrEnum):
    DETECTED = "detected"
    LATE = "late"
    MISSED = "missed"
    TOO_MANY = "too_many"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class RaisedCondition(_Frozen):
    condition_key: str
    kind: AlertKind
    compound_id: str
    device_id: str | None
    area_id: str | None
    gateway_id: str | None = None
    t_s: float


class ExpectationResult(_Frozen):
    expectation: Expectation
    outcome: Outcome
    latency_s: float | None = None
    conditions: tuple[str, ...] = ()


class FalseAlert(_Frozen):
    condition: RaisedCondition
    reason: str


class Report(_Frozen):
    name: str
    expectations: tuple[ExpectationResult, ...]
    false_alerts: tuple[FalseAlert, ...]
    tolerated: int
    conditions: int
    incidents: IncidentReport | None = None  # when dispatch's incidents were scored

    @property
    def passed(self) -> bool:
        ok = all(r.outcome is Outcome.DETECTED for r in self.expectations)
        incidents_ok = self.incidents is None or self.incidents.passed
        return ok and not self.false_alerts and incidents_ok


def conditions(alerts: Iterable[Alert], truth: GroundTruth) -> list[RaisedCondition]:
    first: dict[str, Alert] = {}
    for a in alerts:
        if a.status is AlertStatus.CLEARED:
            continue
        seen = first.get(a.condition_key)
        if seen is None or a.raised_at < seen.raised_at:
            first[a.condition_key] = a
    out = [
        RaisedCondition(
            condition_key=a.condition_key,
            kind=a.kind,
            compound_id=a.compound_id,
            device_id=a.device_id,
            area_id=a.area_id,
            gateway_id=a.gateway_id,
            t_s=(a.raised_at - truth.start_at).total_seconds(),
        )
        for a in first.values()
    ]
    return sorted(out, key=lambda i: (i.t_s, i.condition_key))


def _place_matches(
    dev: str | None, area: str | None, devices: tuple[str, ...], i: RaisedCondition
) -> bool:
    # A gateway alert may name the gateway only in `gateway_id` (device_id None).
    is_gateway = i.device_id is None and i.gateway_id == dev
    if dev is not None and i.device_id != dev and not is_gateway:
        return False
    return area is None or i.area_id == area or (i.device_id is not None and i.device_id in devices)


def _expects(e: Expectation, i: RaisedCondition) -> bool:
    if e.kind is not i.kind or (e.compound_id and e.compound_id != i.compound_id):
        return False
    return _place_matches(e.device_id, e.area_id, e.area_devices, i) and (
        i.t_s >= e.onset_s - ONSET_GRACE_S
    )


def _in_quiet(q: QuietWindow, i: RaisedCondition) -> bool:
    if not q.start_s <= i.t_s < q.end_s or (q.kinds and i.kind not in q.kinds):
        return False
    if q.compound_id and q.compound_id != i.compound_id:
        return False
    return q.device_id is None or q.device_id == i.device_id


def _tolerated(t: Tolerated, i: RaisedCondition) -> bool:
    return t.kind is i.kind and _place_matches(t.device_id, t.area_id, (), i)


def _score(e: Expectation, matched: list[RaisedCondition]) -> ExpectationResult:
    if not matched:
        return ExpectationResult(expectation=e, outcome=Outcome.MISSED)
    latency_s = round(matched[0].t_s - e.onset_s, 3)
    outcome = Outcome.DETECTED if latency_s <= e.deadline_s else Outcome.LATE
    if e.max_conditions is not None and len(matched) > e.max_conditions:
        outcome = Outcome.TOO_MANY
    keys = tuple(i.condition_key for i in matched)
    return ExpectationResult(expectation=e, outcome=outcome, latency_s=latency_s, conditions=keys)


def evaluate(
    truth: GroundTruth,
    alerts: Iterable[Alert],
    incidents: Iterable[IncidentUpdate] | None = None,
) -> Report:
    """The incidents are scored when given and when the truth declares them (a scenario);
    else the alerts alone (a dataset recording, a detector run)."""
    found = conditions(alerts, truth)
    used: set[str] = set()
    results = []
    for e in truth.expect:
        matched = [i for i in found if _expects(e, i)]
        used.update(i.condition_key for i in matched)
        results.append(_score(e, matched))
    false_alerts: list[FalseAlert] = []
    tolerated = 0
    for i in found:
        if i.condition_key in used:
            continue
        if any(_in_quiet(q, i) for q in truth.quiet):
            false_alerts.append(FalseAlert(condition=i, reason="in a quiet window"))
        elif any(_tolerated(t, i) for t in truth.tolerate):
            tolerated += 1
        else:
            false_alerts.append(FalseAlert(condition=i, reason="not expected"))
    return Report(
        name=truth.name,
        expectations=tuple(results),
        false_alerts=tuple(false_alerts),
        tolerated=tolerated,
        conditions=len(found),
        incidents=(
            None
            if incidents is None or truth.incidents is None
            else score_incidents(truth, incidents)
        ),
    )


def read_alerts_file(path: Path | str) -> list[Alert]:
    """Alerts as JSON lines (one events.alerts.Alert per line), e.g. a dump of the alerts topic."""
    text = Path(path).read_text(encoding="utf-8")
    return [Alert.model_validate_json(line) for line in text.splitlines() if line.strip()]


def read_incidents_file(path: Path | str) -> list[IncidentUpdate]:
    """Incident updates as JSON lines (events.incidents.IncidentUpdate), e.g. a dump of the
    incidents topic."""
    text = Path(path).read_text(encoding="utf-8")
    return [IncidentUpdate.model_validate_json(ln) for ln in text.splitlines() if ln.strip()]


def to_json(report: Report) -> str:
    data = report.model_dump(mode="json")
    data["passed"] = report.passed
    return json.dumps(data, indent=2, ensure_ascii=False)


def render_table(report: Report) -> str:
    lines = [f"scenario {report.name}: {'PASS' if report.passed else 'FAIL'}", ""]
    lines.append(f"{'EXPECTED':<26} {'WHERE':<28} {'OUTCOME':<9} {'LATENCY':>8} {'DEADLINE':>8}")
    for r in report.expectations:
        e = r.expectation
        where = e.device_id or e.area_id or e.compound_id or "-"
        latency = f"{r.latency_s:.1f}s" if r.latency_s is not None else "-"
        outcome = r.outcome.value
        lines.append(
            f"{e.kind.value:<26} {where:<28} {outcome:<9} {latency:>8} {e.deadline_s:>7.0f}s"
        )
    lines.append("")
    lines.append(f"false alerts: {len(report.false_alerts)}   tolerated: {report.tolerated}")
    for f in report.false_alerts:
        i = f.condition
        lines.append(f"  {i.kind.value:<24} {i.condition_key:<48} t={i.t_s:.1f}s  {f.reason}")
    if report.incidents is not None:
        lines += ["", *render_incidents(report.incidents)]
    return "\n".join(lines)
