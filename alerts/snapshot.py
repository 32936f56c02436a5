"""The incident as the wire and the console see it (pure): events.incidents.IncidentUpdate.

Built with `model_construct`: every field comes from typed, already valid state (the
dispatcher's own), so validating it again would only cost the page its latency."""

from __future__ import annotations

from alerts.lifecycle import Condition, Incident, Task, Transition
from events.incidents import ConditionRef, IncidentUpdate, LinkageTask


def update_of(inc: Incident, t: Transition) -> IncidentUpdate:
    """The update that publishes transition `t`: the incident as it stands after it. Counts
    the incident's updates (seq), so consumers keep the newest."""
    inc.seq += 1
    return IncidentUpdate.model_construct(
        incident_key=inc.incident_key,
        seq=inc.seq,
        place=inc.place,
        severity=inc.severity,
        state=inc.state,
        title=inc.title,
        opened_at=inc.opened_at,
        raised_at=inc.raised_at,
        dispatch=inc.dispatch,
        confirmations=tuple(sorted(inc.confirmations)),
        conditions=tuple(condition_ref(c) for c in inc.conditions.values()),
        tasks=tuple(linkage_task(task) for task in inc.tasks.values()),
        action=t.action,
        from_state=t.from_state,
        actor=t.actor,
        at=t.at,
        source=t.source,
        detail=t.detail,
    )


def condition_ref(c: Condition) -> ConditionRef:
    return ConditionRef.model_construct(
        condition_key=c.condition_key,
        kind=c.kind,
        severity=c.severity,
        status=c.status,
        device_id=c.device_id,
        area_id=c.area_id,
        raised_at=c.raised_at,
    )


def linkage_task(task: Task) -> LinkageTask:
    return LinkageTask.model_construct(
        kind=task.kind,
        device_id=task.device_id,
        gateway_id=task.gateway_id,
        state=task.state,
        detail=task.detail,
        command_id=task.command_id,
        updated_at=task.updated_at,
    )
