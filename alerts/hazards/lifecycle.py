"""The rectification loop (隐患整改) as a pure state machine with time as an input.

found -> triaged -> assigned -> rectified -> reinspected -> closed; a failed re-inspection
(reject) sends it back to assigned with a new deadline; reopen brings a re-inspected or closed
hazard back to triage; dismiss ends a report that is not a hazard. Rectification needs a
photo, and the re-inspection is someone else's (the owner does not sign off their own work).
Overdue items climb the ladder of `policy.py` (escalate: no state change).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from alerts.errors import TransitionError
from alerts.hazards.model import Hazard, HazardChange
from alerts.hazards.policy import HazardPolicy, next_escalation
from events.hazards import HazardAction, HazardOwner, HazardSeverity, HazardState
from events.reports import HazardCategory, HazardReport

S, A = HazardState, HazardAction
# action -> (states it is allowed from, state it leads to; None = unchanged)
_TABLE: dict[HazardAction, tuple[frozenset[HazardState], HazardState | None]] = {
    A.TRIAGE: (frozenset({S.FOUND, S.TRIAGED}), S.TRIAGED),
    A.DISMISS: (frozenset({S.FOUND, S.TRIAGED}), S.DISMISSED),
    A.ASSIGN: (frozenset({S.TRIAGED, S.ASSIGNED}), S.ASSIGNED),
    A.RECTIFY: (frozenset({S.ASSIGNED}), S.RECTIFIED),
    A.REINSPECT: (frozenset({S.RECTIFIED}), S.REINSPECTED),
    A.REJECT: (frozenset({S.RECTIFIED}), S.ASSIGNED),
    A.CLOSE: (frozenset({S.REINSPECTED}), S.CLOSED),
    A.REOPEN: (frozenset({S.REINSPECTED, S.CLOSED}), S.TRIAGED),
}


@dataclass(frozen=True, slots=True)
class Command:
    """What a person asks; which fields matter depends on the action (checked in `apply`)."""

    action: HazardAction
    severity: HazardSeverity | None = None
    category: HazardCategory | None = None
    owner: HazardOwner | None = None
    assignee: str | None = None
    deadline_at: datetime | None = None
    photo_ids: tuple[str, ...] = ()
    note: str = ""


def open_hazard(
    report: HazardReport, hazard_id: str, now: datetime, street_id: str | None, title: str
) -> tuple[Hazard, HazardChange]:
    """A new hazard from its first report (发现 -> 报告)."""
    place = report.place
    hazard = Hazard(
        hazard_id=hazard_id,
        category=report.category,
        compound_id=place.compound_id,
        found_at=now,
        title=title,
        description=report.description,
        street_id=street_id,
        building_id=place.building_id,
        floor=place.floor,
        unit=place.unit,
        reporter_contact=report.contact,
        report_ids=[report.report_id],
        photo_ids=[p.photo_id for p in report.photos],
    )
    who = report.reporter_id or "resident"
    return hazard, _change(hazard, A.REPORT, None, who, now, report.received_via, "")


def join_report(h: Hazard, report: HazardReport, now: datetime) -> HazardChange:
    """Another report of the same open hazard: its photos join, nothing else changes."""
    h.report_ids.append(report.report_id)
    h.photo_ids.extend(p.photo_id for p in report.photos if p.photo_id not in h.photo_ids)
    if h.reporter_contact is None:
        h.reporter_contact = report.contact
    who = report.reporter_id or "resident"
    return _change(h, A.JOIN, h.state, who, now, report.received_via, report.report_id)


def apply(  # noqa: PLR0917 - who, when and from where are all required
    h: Hazard, cmd: Command, actor: str, now: datetime, source: str, policy: HazardPolicy
) -> HazardChange:
    """Apply one person's command; TransitionError names why it is refused."""
    allowed, target = _TABLE.get(cmd.action, (frozenset(), None))
    if h.state not in allowed or target is None:
        raise TransitionError(f"{cmd.action.value} is not allowed in state {h.state.value}")
    _check(h, cmd, actor)
    before = h.state
    _effects(h, cmd, actor, now, policy)
    h.state = target
    schedule(h, policy)
    return _change(h, cmd.action, before, actor, now, source, cmd.note)


def _check(h: Hazard, cmd: Command, actor: str) -> None:
    if cmd.action is A.TRIAGE and (cmd.severity is None or cmd.owner is None):
        raise TransitionError("triage needs a severity and an owner")
    if cmd.action is A.ASSIGN and not cmd.assignee:
        raise TransitionError("assign needs an assignee")
    if cmd.action is A.RECTIFY and not cmd.photo_ids:
        raise TransitionError("rectify needs a photo of the rectified place")
    if cmd.action in (A.REINSPECT, A.REJECT) and actor == h.rectified_by:
        raise TransitionError("the re-inspection must be someone else's than the rectification")
    if cmd.action in (A.DISMISS, A.REJECT, A.REOPEN) and not cmd.note.strip():
        raise TransitionError(f"{cmd.action.value} needs a reason")


def _effects(h: Hazard, cmd: Command, actor: str, now: datetime, policy: HazardPolicy) -> None:
    if cmd.action is A.TRIAGE:
        h.severity, h.owner = cmd.severity, cmd.owner
        h.category = cmd.category or h.category
    elif cmd.action in (A.ASSIGN, A.REJECT):
        if cmd.action is A.REJECT:  # the rectification was not accepted: it never happened
            h.rectified_at, h.rectified_by = None, None
        h.assignee = cmd.assignee or h.assignee
        severity = h.severity or HazardSeverity.GENERAL
        h.deadline_at = cmd.deadline_at or policy.default_deadline(severity, now)
    elif cmd.action is A.RECTIFY:
        h.rectified_at, h.rectified_by = now, actor
        h.photo_ids.extend(p for p in cmd.photo_ids if p not in h.photo_ids)
    elif cmd.action in (A.CLOSE, A.DISMISS):
        h.closed_at = now
    elif cmd.action is A.REOPEN:
        h.closed_at, h.rectified_at, h.rectified_by = None, None, None


def schedule(h: Hazard, policy: HazardPolicy) -> None:
    """When the ladder's next step falls due (None: nothing pending)."""
    step = next_escalation(h.state, h.found_at, h.deadline_at, h.escalation, policy)
    h.next_due_at = step[1] if step else None


def escalate_due(h: Hazard, now: datetime, policy: HazardPolicy) -> HazardChange | None:
    """The whistle, on time: the next level when its time has come, else None."""
    step = next_escalation(h.state, h.found_at, h.deadline_at, h.escalation, policy)
    if step is None or step[1] > now:
        return None
    level, due_at = step
    h.escalation = level
    owner_department = h.owner.department_id if h.owner else None
    h.whistled_department = policy.department_for(h.category, owner_department)
    schedule(h, policy)
    what = "triage" if h.state is S.FOUND else "rectification"
    detail = (
        f"{what} overdue since {due_at.isoformat()}: {level.value} level whistles "
        f"{h.whistled_department}"
    )
    return _change(h, A.ESCALATE, h.state, "escalation", now, "hazard-timer", detail)


def _change(  # noqa: PLR0917 - every field of the record
    h: Hazard,
    action: HazardAction,
    before: HazardState | None,
    actor: str,
    now: datetime,
    source: str,
    detail: str,
) -> HazardChange:
    h.seq += 1
    return HazardChange(h.hazard_id, h.seq, action, before, h.state, actor, now, source, detail)


def copy(h: Hazard) -> Hazard:
    """A copy to try a command on, so a refused one leaves the stored hazard untouched."""
    return replace(h, report_ids=list(h.report_ids), photo_ids=list(h.photo_ids))
