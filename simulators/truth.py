"""Ground truth: the alerts a correct pipeline raises, the incidents a person on duty should
see, and when it must stay quiet.

Two levels. `expect` / `quiet` / `tolerate` score the detectors' alerts (conditions).
`incidents` scores what dispatch made of them: one incident per physical event in one place,
its severity, its conditions and its linkage tasks; any other incident is extra, and fails.
Times are simulated seconds after `start_at` (the run's t = 0), so one ground truth works at any
replay speed. Used by scenarios, dataset adapters (recordings carry it in their header) and eval.
"""

from __future__ import annotations

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field

from events.alerts import AlertKind, Severity
from events.incidents import TaskKind, TaskState


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Expectation(_Frozen):
    """An alert that must be raised within `deadline_s` of `onset_s` (simulated seconds)."""

    kind: AlertKind
    device_id: str | None = None
    area_id: str | None = None
    compound_id: str | None = None
    onset_s: float = Field(ge=0)
    deadline_s: float = Field(gt=0)
    # More distinct conditions than this for one expectation is a failure (a duplicate would
    # be evidence twice). "max_incidents" is the name recordings made before schema 2 carry.
    max_conditions: int | None = Field(
        default=None, ge=1, validation_alias=AliasChoices("max_conditions", "max_incidents")
    )
    # Filled from the fleet: the devices of `area_id`, so a per-device alert in the area matches.
    area_devices: tuple[str, ...] = ()


class QuietWindow(_Frozen):
    """No alert of `kinds` (all kinds when empty) may be raised in [start_s, end_s)."""

    start_s: float = Field(ge=0)
    end_s: float
    kinds: tuple[AlertKind, ...] = ()
    compound_id: str | None = None
    device_id: str | None = None


class Tolerated(_Frozen):
    """Alerts that are neither required nor false (e.g. a pre-alarm before the fire alarm)."""

    kind: AlertKind
    device_id: str | None = None
    area_id: str | None = None


class TaskExpectation(_Frozen):
    """A linkage task the incident must carry; in one of `states` when given."""

    kind: TaskKind
    device_id: str
    states: tuple[TaskState, ...] = ()


class IncidentExpectation(_Frozen):
    """An incident a person on duty should see: one physical event in one place.

    The place is a building, an area (a charging area: also matched by the area of a
    condition that joined, so it holds wherever the registry puts the shed) or a device.
    Its latency counts from `onset_s` to the first evidence of the expected severity.
    """

    building_id: str | None = None
    area_id: str | None = None
    device_id: str | None = None
    compound_id: str | None = None
    severity: Severity
    onset_s: float = Field(ge=0)
    deadline_s: float = Field(gt=0)
    kinds: tuple[AlertKind, ...] = ()  # conditions that must have joined it
    tasks: tuple[TaskExpectation, ...] = ()
    station_id: str | None = None
    # May appear (a nuisance pre-alarm a person assesses): then it is not extra; but if it
    # appears it must match (a cooking pre-alarm must not become a P1).
    is_optional: bool = False


class GroundTruth(_Frozen):
    name: str
    start_at: AwareDatetime
    expect: tuple[Expectation, ...] = ()
    quiet: tuple[QuietWindow, ...] = ()
    tolerate: tuple[Tolerated, ...] = ()
    # None: the truth says nothing of incidents (a dataset recording); () : none may appear.
    incidents: tuple[IncidentExpectation, ...] | None = None
    notes: str = ""
