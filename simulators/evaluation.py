"""Score the alerts a pipeline produced against a ground truth (pure).

Alerts are grouped into incidents by `incident_key` (revisions and duplicates never count
twice; `cleared` revisions are ignored); an incident's time is its first `raised_at`, measured
in seconds after the ground truth's `start_at`. Each expectation is detected (latency within
its deadline), late, missed, or raised as too many incidents. Every other incident is a false
alert unless tolerated; an incident inside a quiet window is false even when tolerated.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from events.alerts import Alert, AlertKind, AlertStatus
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


class Incident(_Frozen):
    incident_key: str
    kind: AlertKind
    compound_id: str
    device_id: str | None
    area_id: str | None
    t_s: float


class ExpectationResult(_Frozen):
    expectation: Expectation
    outcome: Outcome
    latency_s: float | None = None
    incidents: tuple[str, ...] = ()


class FalseAlert(_Frozen):
    incident: Incident
    reason: str


class Report(_Frozen):
    name: str
    expectations: tuple[ExpectationResult, ...]
    false_alerts: tuple[FalseAlert, ...]
    tolerated: int
    incidents: int

    @property
    def passed(self) -> bool:
        ok = all(r.outcome is Outcome.DETECTED for r in self.expectations)
        return ok and not self.false_alerts


def incidents(alerts: Iterable[Alert], truth: GroundTruth) -> list[Incident]:
    first: dict[str, Alert] = {}
    for a in alerts:
        if a.status is AlertStatus.CLEARED:
            continue
        seen = first.get(a.incident_key)
        if seen is None or a.raised_at < seen.raised_at:
            first[a.incident_key] = a
    out = [
        Incident(
            incident_key=a.incident_key,
            kind=a.kind,
            compound_id=a.compound_id,
            device_id=a.device_id,
            area_id=a.area_id,
            t_s=(a.raised_at - truth.start_at).total_seconds(),
        )
        for a in first.values()
    ]
    return sorted(out, key=lambda i: (i.t_s, i.incident_key))


def _place_matches(
    dev: str | None, area: str | None, devices: tuple[str, ...], i: Incident
) -> bool:
    if dev is not None and i.device_id != dev:
        return False
    return area is None or i.area_id == area or (i.device_id is not None and i.device_id in devices)


def _expects(e: Expectation, i: Incident) -> bool:
    if e.kind is not i.kind or (e.compound_id and e.compound_id != i.compound_id):
        return False
    return _place_matches(e.device_id, e.area_id, e.area_devices, i) and (
        i.t_s >= e.onset_s - ONSET_GRACE_S
    )


def _in_quiet(q: QuietWindow, i: Incident) -> bool:
    if not q.start_s <= i.t_s < q.end_s or (q.kinds and i.kind not in q.kinds):
        return False
    if q.compound_id and q.compound_id != i.compound_id:
        return False
    return q.device_id is None or q.device_id == i.device_id


def _tolerated(t: Tolerated, i: Incident) -> bool:
    return t.kind is i.kind and _place_matches(t.device_id, t.area_id, (), i)


def _score(e: Expectation, matched: list[Incident]) -> ExpectationResult:
    if not matched:
        return ExpectationResult(expectation=e, outcome=Outcome.MISSED)
    latency_s = round(matched[0].t_s - e.onset_s, 3)
    outcome = Outcome.DETECTED if latency_s <= e.deadline_s else Outcome.LATE
    if e.max_incidents is not None and len(matched) > e.max_incidents:
        outcome = Outcome.TOO_MANY
    keys = tuple(i.incident_key for i in matched)
    return ExpectationResult(expectation=e, outcome=outcome, latency_s=latency_s, incidents=keys)


def evaluate(truth: GroundTruth, alerts: Iterable[Alert]) -> Report:
    found = incidents(alerts, truth)
    used: set[str] = set()
    results = []
    for e in truth.expect:
        matched = [i for i in found if _expects(e, i)]
        used.update(i.incident_key for i in matched)
        results.append(_score(e, matched))
    false_alerts: list[FalseAlert] = []
    tolerated = 0
    for i in found:
        if i.incident_key in used:
            continue
        if any(_in_quiet(q, i) for q in truth.quiet):
            false_alerts.append(FalseAlert(incident=i, reason="in a quiet window"))
        elif any(_tolerated(t, i) for t in truth.tolerate):
            tolerated += 1
        else:
            false_alerts.append(FalseAlert(incident=i, reason="not expected"))
    return Report(
        name=truth.name,
        expectations=tuple(results),
        false_alerts=tuple(false_alerts),
        tolerated=tolerated,
        incidents=len(found),
    )


def read_alerts_file(path: Path | str) -> list[Alert]:
    """Alerts as JSON lines (one events.alerts.Alert per line), e.g. a dump of the alerts topic."""
    text = Path(path).read_text(encoding="utf-8")
    return [Alert.model_validate_json(line) for line in text.splitlines() if line.strip()]


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
        i = f.incident
        lines.append(f"  {i.kind.value:<24} {i.incident_key:<48} t={i.t_s:.1f}s  {f.reason}")
    return "\n".join(lines)
