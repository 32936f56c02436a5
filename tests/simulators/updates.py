"""Hand-made incident updates (events.incidents.IncidentUpdate) for the eval tests."""

from __future__ import annotations

from datetime import timedelta

from events.alerts import DEFAULT_SEVERITY, AlertKind, AlertStatus, highest
from events.incidents import (
    ConditionRef,
    DispatchNote,
    DispatchReason,
    IncidentAction,
    IncidentPlace,
    IncidentState,
    IncidentUpdate,
    LinkageTask,
    PlaceScope,
    TaskKind,
    TaskState,
)
from simulators.truth import GroundTruth


def update(
    truth: GroundTruth,
    scope: str,
    place_id: str,
    conditions: list[tuple[AlertKind, float]],
    *,
    tasks: tuple[tuple[TaskKind, str, TaskState], ...] = (),
    station: str = "st-east",
    seq: int = 1,
) -> IncidentUpdate:
    """An incident at `place_id` whose conditions were raised at the given seconds."""
    at = [truth.start_at + timedelta(seconds=t_s) for _, t_s in conditions]
    severities = [DEFAULT_SEVERITY[k] for k, _ in conditions]
    scoped = PlaceScope(scope)
    place = IncidentPlace(
        compound_id="c001",
        scope=scoped,
        place_id=place_id,
        building_id=place_id if scoped is PlaceScope.BUILDING else None,
    )
    return IncidentUpdate(
        incident_key=f"{place.key}@{min(at).isoformat()}",
        seq=seq,
        place=place,
        severity=highest(severities),
        state=IncidentState.DISPATCHED,
        title="test",
        opened_at=min(at),
        raised_at=min(at),
        dispatch=DispatchNote(
            station_id=station, reason=DispatchReason.NEAREST_COVERING, text="nearest"
        ),
        conditions=tuple(
            ConditionRef(
                condition_key=f"c001/{place_id}/{kind.value}/{i}",
                kind=kind,
                severity=DEFAULT_SEVERITY[kind],
                status=AlertStatus.RAISED,
                device_id=place_id if scoped is PlaceScope.DEVICE else f"d{i}",
                raised_at=t,
            )
            for i, ((kind, _), t) in enumerate(zip(conditions, at, strict=True))
        ),
        tasks=tuple(
            LinkageTask(kind=k, device_id=d, state=s, updated_at=max(at)) for k, d, s in tasks
        ),
        action=IncidentAction.DISPATCH,
        from_state=IncidentState.RAISED,
        actor="dispatch",
        at=min(at),
        source="dispatch",
    )
