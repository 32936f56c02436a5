"""The incident as the wire and the console see it (pure): events.incidents.IncidentUpdate.

Built with `model_construct`: every field comes from typed, already valid state (the
dispatcher's own), so validating it again would only cost the page its latency. The wire
models name their fields as the domain does (alerts.lifecycle), so each is copied by name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from alerts.lifecycle import Condition, Incident, Task, Transition
from events.incidents import ConditionRef, IncidentUpdate, LinkageTask

# What an update carries of the incident and of the transition it publishes.
_INCIDENT_FIELDS = (
    *("incident_key", "seq", "place", "severity", "state", "title"),
    *("opened_at", "raised_at", "dispatch"),
)
_TRANSITION_FIELDS = ("action", "from_state", "actor", "at", "source", "detail")


def update_of(inc: Incident, t: Transition) -> IncidentUpdate:
    """The update that publishes transition `t`: the incident as it stands after it. Counts
    the incident's updates (seq), so consumers keep the newest."""
    inc.seq += 1
    return IncidentUpdate.model_construct(
        **_fields(inc, _INCIDENT_FIELDS),
        **_fields(t, _TRANSITION_FIELDS),
        confirmations=tuple(sorted(inc.confirmations)),
        conditions=tuple(condition_ref(c) for c in inc.conditions.values()),
        tasks=tuple(linkage_task(task) for task in inc.tasks.values()),
    )


def condition_ref(c: Condition) -> ConditionRef:
    return ConditionRef.model_construct(**_fields(c, ConditionRef.model_fields))


def linkage_task(task: Task) -> LinkageTask:
    return LinkageTask.model_construct(**_fields(task, LinkageTask.model_fields))


def _fields(source: object, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(source, name) for name in names}
