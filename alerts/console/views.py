"""The incident as the console shows it (pure): the one layer between the incident model and
the page.

Shaped for the "one event, one incident" model (issue 10): place in words and on a plan,
severity, state, assignee, linkage tasks with their states, a timeline. The incident's
linkage tasks are filled (a failed power cut is the duty member's business); the timeline
is read from the ledger on demand (alerts/console/story.py, /api/story).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from alerts.console.places import locate
from alerts.errors import TransitionError
from alerts.escalation import EscalationPolicy, Tier, Until
from alerts.lifecycle import Action, Incident, Outcome, State, Task
from alerts.registry.models import Station
from alerts.registry.registry import Registry
from events.alerts import AlertKind, Severity

# What a person may do from the console, in the order the buttons stand.
CONSOLE_ACTIONS = (
    Action.ACKNOWLEDGE,
    Action.ON_SCENE,
    Action.CONFIRM,
    Action.DENY,
    Action.RESOLVE,
    Action.MUTE,
)
FIRE_KINDS = frozenset({AlertKind.FIRE, AlertKind.THERMAL_RUNAWAY, AlertKind.SMOKE_NEAR_CHARGING})
ASSESSED_KINDS = FIRE_KINDS | {AlertKind.FIRE_PRE_ALARM}
_UNANSWERED = (State.RAISED, State.DISPATCHED)


def incident_view(
    inc: Incident,
    registry: Registry,
    policy: EscalationPolicy,
    hazards: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`hazards`: open hazards in the incident's building (alerts.console.work.hazards_near)."""
    station = next((s for s in registry.stations if s.station_id == inc.station_id), None)
    return {
        "incident_key": inc.incident_key,
        "kind": inc.kind.value,
        "is_fire": inc.kind in FIRE_KINDS,
        "severity": inc.severity.value,
        "state": inc.state.value,
        "is_open": inc.is_open,
        # Attention until answered (issue 11.3): the page rings for these.
        "needs_answer": inc.state in _UNANSWERED,
        # The lead condition's key ends in its subject (a device or an area): the plan shows it.
        "place": locate(registry, inc.compound_id, inc.building_id, inc.device_id, _lead_key(inc)),
        "station": {"id": station.station_id, "name": station.name, "name_en": station.name_en}
        if station
        else None,
        "assignee": _member(registry, inc.assignee),
        # Independent alarm sources (GB 50116-2013 §4.1.6): two confirm the fire.
        "confirmations": len(inc.confirmations),
        "is_confirmed": inc.is_confirmed,
        "tasks": [_task(t) for t in inc.tasks.values()],
        "hazards": hazards or [],
        "paged_stations": sorted(inc.paged_stations),
        "actions": [a.value for a in allowed_actions(inc)],
        "confirm_calls_119": confirm_calls_119(policy, inc.severity),
        "opened_at": _iso(inc.opened_at),
        "acknowledged_at": _iso(inc.acknowledged_at),
        "on_scene_at": _iso(inc.on_scene_at),
        "resolved_at": _iso(inc.resolved_at),
        "ack_due_at": _due(inc, policy, Until.ACKNOWLEDGED),
        "scene_due_at": _due(inc, policy, Until.ON_SCENE),
        "summary": inc.summary,
        # The page words the reason from its code (dispatch.reason.*); the English text with
        # every candidate stays for the curious (shown small).
        "dispatch_reason_code": inc.dispatch.reason.value if inc.dispatch else None,
        "dispatch_reason": inc.dispatch_reason,
        "assessment": inc.assessment,
        "outcome": inc.outcome.value if inc.outcome else None,
        "is_muted": inc.is_muted,
    }


def allowed_actions(inc: Incident) -> list[Action]:
    """The console actions the incident's state allows now: tried on a copy, so the lifecycle
    stays the one place that knows its table (issue 11.4: only the buttons that apply).
    Confirm / false alarm are an assessment of a fire or an urgent case; a low battery or a
    door held open is handled and resolved (with its outcome), not confirmed."""
    is_assessed = inc.severity is Severity.P1 or inc.kind in ASSESSED_KINDS
    allowed = []
    for action in CONSOLE_ACTIONS:
        if action in (Action.CONFIRM, Action.DENY) and not is_assessed:
            continue
        # A shallow copy: apply() sets the copy's own fields, never the shared conditions.
        probe = dataclasses.replace(inc)
        try:
            probe.apply(
                action, actor="probe", at=inc.opened_at, source="probe", outcome=Outcome.TEST
            )
        except TransitionError:
            continue
        allowed.append(action)
    return allowed


def confirm_calls_119(policy: EscalationPolicy, severity: Severity) -> bool:
    """Does a person's confirmation forward to 119 at once (GB 50440: within 3 s)?"""
    return any(
        step.on_confirmation and Tier.FORWARD_119 in step.tiers for step in policy.steps(severity)
    )


def _lead_key(inc: Incident) -> str:
    lead = inc.lead_condition
    return lead.condition_key if lead else inc.incident_key


def _task(task: Task) -> dict[str, Any]:
    """One linkage task; `text` names the action and the device (the page shows it with the
    state), `kind` and `device_id` let the plan mark it."""
    text = f"{task.kind.value} {task.device_id}" + (f": {task.detail}" if task.detail else "")
    return {
        "kind": task.kind.value,
        "device_id": task.device_id,
        "state": task.state.value,
        "text": text,
        "updated_at": _iso(task.updated_at),
    }


def _member(registry: Registry, member_id: str | None) -> dict[str, str] | None:
    if member_id is None:
        return None
    member = registry.member(member_id)
    return {
        "member_id": member_id,
        "name": member.name if member else member_id,
        "role": member.role.value if member else "",
    }


def _station(station: Station | None) -> dict[str, str] | None:
    if station is None:
        return None
    return {"id": station.station_id, "name": station.name, "name_en": station.name_en}


def _due(inc: Incident, policy: EscalationPolicy, until: Until) -> str | None:
    """The SLA deadline the console counts down (DOMAIN.md §2: 1 min respond, 3 min on scene)."""
    seconds = policy.deadline_s(inc.severity, until)
    if seconds is None:
        return None
    return _iso(inc.opened_at + timedelta(seconds=seconds))


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None
