"""The incident: one physical event in one place, and its state machine (pure).

raised -> dispatched -> acknowledged -> on_scene -> assessed -> resolved (events.incidents.
IncidentState). Mute silences the sounder and changes no state (mute is not acknowledge);
acknowledge never resolves (acknowledge is not clear); assess (confirm or deny) is its own
step; reopen brings a resolved incident back when its condition returns within the hold-off
(flapping). Every transition records who, when and from where.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from alerts.errors import TransitionError
from events.alerts import AlertKind, AlertStatus, ConditionFamily, Severity, family_of
from events.incidents import (
    DispatchNote,
    IncidentAction,
    IncidentPlace,
    IncidentState,
    PlaceScope,
    TaskKind,
    TaskState,
)

State = IncidentState
Action = IncidentAction


class Outcome(StrEnum):
    REAL_FIRE = "real_fire"
    FALSE_ALARM = "false_alarm"
    TEST = "test"


class Assessment(StrEnum):
    CONFIRMED = "confirmed"
    DENIED = "denied"


_ACTIVE = (State.DISPATCHED, State.ACKNOWLEDGED, State.ON_SCENE, State.ASSESSED)
_OPEN = (State.RAISED, *_ACTIVE)

# action -> (states it is allowed from, state it leads to; None = unchanged)
_TABLE: dict[Action, tuple[tuple[State, ...], State | None]] = {
    Action.DISPATCH: ((State.RAISED,), State.DISPATCHED),
    Action.ACKNOWLEDGE: ((State.RAISED, State.DISPATCHED), State.ACKNOWLEDGED),
    Action.ON_SCENE: ((State.DISPATCHED, State.ACKNOWLEDGED), State.ON_SCENE),
    Action.CONFIRM: ((State.DISPATCHED, State.ACKNOWLEDGED, State.ON_SCENE), State.ASSESSED),
    Action.DENY: ((State.DISPATCHED, State.ACKNOWLEDGED, State.ON_SCENE), State.ASSESSED),
    Action.RESOLVE: ((State.ACKNOWLEDGED, State.ON_SCENE, State.ASSESSED), State.RESOLVED),
    Action.MUTE: (_OPEN, None),
    Action.REOPEN: ((State.RESOLVED,), State.ACKNOWLEDGED),
    Action.NOTE: ((*_OPEN, State.RESOLVED), None),
    # Assign (一键派单) and reassign while the incident is open; the state stays.
    Action.ASSIGN: (_OPEN, None),
}


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """A person's action on an incident, as the console, a terminal or another dispatch
    instance asks for it; recorded as a transition (who, when, from where)."""

    incident_key: str
    action: Action
    actor: str
    """The member id of who acts (the signed-in member at the console)."""
    source: str
    """From where: `console <client address>`, a terminal, `... via <instance>` when forwarded."""
    outcome: Outcome | None = None
    """RESOLVE only: real fire, false alarm (with its cause) or test."""
    cause: str | None = None
    """A false alarm's cause; for ASSIGN the assignee's member id (the console's one free-text
    field)."""


@dataclass(frozen=True, slots=True)
class Transition:
    incident_key: str
    action: Action
    from_state: State
    to_state: State
    actor: str
    at: datetime
    source: str
    detail: str = ""


@dataclass(slots=True)
class Condition:
    """A condition (events.alerts) that joined the incident: its evidence, as last seen."""

    condition_key: str
    kind: AlertKind
    severity: Severity
    status: AlertStatus
    revision: int
    raised_at: datetime  # device time of its first raise in this incident
    summary: str = ""
    device_id: str | None = None
    area_id: str | None = None
    gateway_id: str | None = None
    sources: tuple[str, ...] = ()  # alarm devices behind it (GB 50116 §4.1.6)

    @property
    def is_area_fire(self) -> bool:
        """A fire two detectors of one area confirmed (the compound stage's rule)."""
        return self.kind is AlertKind.FIRE and self.condition_key.split("/")[-1][:5] == "area:"


@dataclass(slots=True)
class Task:
    """One linkage task of the incident, on one device (events.incidents.TaskKind)."""

    kind: TaskKind
    device_id: str
    gateway_id: str
    state: TaskState
    updated_at: datetime
    detail: str = ""
    command_id: str | None = None

    @property
    def key(self) -> str:
        return task_key(self.kind, self.device_id)


def task_key(kind: TaskKind, device_id: str) -> str:
    return f"{kind.value}:{device_id}"


@dataclass(slots=True)
class Incident:
    incident_key: str
    place: IncidentPlace
    severity: Severity
    opened_at: datetime  # dispatch clock
    raised_at: datetime  # the first evidence (device clock)
    title: str = ""
    state: State = State.RAISED
    seq: int = 0  # updates published so far (events.incidents.IncidentUpdate.seq)
    severity_since: datetime | None = None  # when it reached its severity: the ladder's t = 0
    dispatch: DispatchNote | None = None
    acknowledged_at: datetime | None = None
    on_scene_at: datetime | None = None
    resolved_at: datetime | None = None
    assessment: Assessment | None = None
    outcome: Outcome | None = None
    false_alarm_cause: str | None = None
    is_muted: bool = False
    reopened: int = 0
    assignee: str | None = None  # the member in charge (一键派单), set by Action.ASSIGN
    # Stations whose members the ladder paged (mutual aid included): they see the incident.
    paged_stations: set[str] = field(default_factory=set)
    conditions: dict[str, Condition] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    fired_steps: set[str] = field(default_factory=set)
    delivery_failures: int = 0
    next_due_at: datetime | None = None

    # -- what the duty console reads (alerts.console: the Backend's incidents) --------------
    @property
    def compound_id(self) -> str:
        return self.place.compound_id

    @property
    def building_id(self) -> str | None:
        return self.place.building_id

    @property
    def device_id(self) -> str | None:
        return self.place.place_id if self.place.scope is PlaceScope.DEVICE else None

    @property
    def station_id(self) -> str | None:
        return self.dispatch.station_id if self.dispatch else None

    @property
    def dispatch_reason(self) -> str:
        return self.dispatch.text if self.dispatch else ""

    @property
    def lead_condition(self) -> Condition | None:
        """The condition that names the incident: its most severe duty condition, first
        raised (a linkage read-back names one only when it has nothing else)."""
        duty = [c for c in self.conditions.values() if family_of(c.kind) is not _LINKAGE]
        pool = duty or list(self.conditions.values())
        return min(pool, key=lambda c: (c.severity.rank, c.raised_at), default=None)

    @property
    def kind(self) -> AlertKind:
        """The kind that names the incident (its lead condition's)."""
        lead = self.lead_condition
        assert lead is not None, "an incident is opened by a condition"
        return lead.kind

    @property
    def summary(self) -> str:
        return self.title

    @property
    def confirmations(self) -> set[str]:
        """Independent alarm sources among the fire conditions (GB 50116-2013 §4.1.6)."""
        return {s for c in self.conditions.values() for s in c.sources}

    @property
    def is_open(self) -> bool:
        return self.state is not State.RESOLVED

    @property
    def is_confirmed(self) -> bool:
        # A second independent confirmation: two alarm sources (GB 50116 §4.1.6), an area
        # fire two detectors confirmed, or a person.
        if self.assessment is Assessment.CONFIRMED:
            return True
        if self.assessment is Assessment.DENIED:
            return False
        areas = any(c.is_area_fire for c in self.conditions.values())
        return areas or len(self.confirmations) >= 2

    @property
    def task_failures(self) -> int:
        return sum(t.state is TaskState.FAILED for t in self.tasks.values())

    def apply(
        self,
        action: Action,
        *,
        actor: str,
        at: datetime,
        source: str,
        detail: str = "",
        outcome: Outcome | None = None,
        cause: str | None = None,
    ) -> Transition:
        allowed, target = _TABLE[action]
        if self.state not in allowed:
            raise TransitionError(f"{action.value} is not allowed when {self.state.value}")
        if action is Action.RESOLVE:
            self._check_resolution(outcome, cause)
        if action is Action.ASSIGN:
            if not detail.strip():
                raise TransitionError("assign needs the assignee's member id")
            self.assignee = detail
        before = self.state
        self._record(action, at, outcome, cause)
        self.state = target or self.state
        text = detail or _describe(action, outcome, cause)
        return Transition(self.incident_key, action, before, self.state, actor, at, source, text)

    def _check_resolution(self, outcome: Outcome | None, cause: str | None) -> None:
        if outcome is None:
            raise TransitionError("resolve needs an outcome: real_fire, false_alarm or test")
        if outcome is Outcome.FALSE_ALARM and not (cause and cause.strip()):
            raise TransitionError("a false alarm is resolved with its cause")
        if outcome is Outcome.REAL_FIRE and self.assessment is Assessment.DENIED:
            raise TransitionError("assessed as not a fire: confirm it before resolving as fire")

    def _record(
        self, action: Action, at: datetime, outcome: Outcome | None, cause: str | None
    ) -> None:
        if action is Action.ACKNOWLEDGE:
            self.acknowledged_at = at
        elif action is Action.ON_SCENE:
            self.acknowledged_at = self.acknowledged_at or at
            self.on_scene_at = at
        elif action in (Action.CONFIRM, Action.DENY):
            is_confirm = action is Action.CONFIRM
            self.assessment = Assessment.CONFIRMED if is_confirm else Assessment.DENIED
        elif action is Action.RESOLVE:
            self.resolved_at, self.outcome = at, outcome
            self.false_alarm_cause = cause if outcome is Outcome.FALSE_ALARM else None
        elif action is Action.MUTE:
            self.is_muted = True
        elif action is Action.REOPEN:
            self.resolved_at = None
            self.reopened += 1


_LINKAGE = ConditionFamily.LINKAGE


def _describe(action: Action, outcome: Outcome | None, cause: str | None) -> str:
    if action is Action.RESOLVE and outcome is not None:
        return outcome.value + (f": {cause}" if cause else "")
    return action.value
