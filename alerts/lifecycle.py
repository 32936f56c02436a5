"""The closed loop 发现 -> 报告 -> 研判 -> 派单 -> 处置 -> 反馈 as an incident state machine.

raised -> dispatched -> acknowledged -> on_scene -> assessed -> resolved. Mute silences the
sounder and changes no state (mute is not acknowledge); acknowledge never resolves (acknowledge
is not clear); assess (confirm or deny) is its own step. Every transition records who, when and
from where.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from alerts.errors import TransitionError
from events.alerts import AlertKind, Severity


class State(StrEnum):
    RAISED = "raised"
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    ON_SCENE = "on_scene"
    ASSESSED = "assessed"
    RESOLVED = "resolved"


class Action(StrEnum):
    DISPATCH = "dispatch"
    ACKNOWLEDGE = "acknowledge"
    ON_SCENE = "on_scene"
    CONFIRM = "confirm"
    DENY = "deny"
    RESOLVE = "resolve"
    MUTE = "mute"
    NOTE = "note"  # escalation fired, revision, command confirmed: no state change


class Outcome(StrEnum):
    REAL_FIRE = "real_fire"
    FALSE_ALARM = "false_alarm"
    TEST = "test"


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
    Action.NOTE: ((*_OPEN, State.RESOLVED), None),
}


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


@dataclass
class Incident:
    incident_key: str
    kind: AlertKind
    severity: Severity
    compound_id: str
    opened_at: datetime
    building_id: str | None = None
    device_id: str | None = None
    summary: str = ""
    alert_key: str = ""  # the alert's incident key; differs after a re-raise (KEY~2)
    revision: int = 1
    state: State = State.RAISED
    station_id: str | None = None
    dispatch_reason: str = ""
    acknowledged_at: datetime | None = None
    on_scene_at: datetime | None = None
    resolved_at: datetime | None = None
    assessment: str | None = None  # "confirmed" | "denied"
    outcome: Outcome | None = None
    false_alarm_cause: str | None = None
    is_muted: bool = False
    confirmations: set[str] = field(default_factory=set)
    fired_steps: set[str] = field(default_factory=set)
    delivery_failures: int = 0
    next_due_at: datetime | None = None

    def __post_init__(self) -> None:
        self.alert_key = self.alert_key or self.incident_key

    @property
    def is_open(self) -> bool:
        return self.state is not State.RESOLVED

    @property
    def is_confirmed(self) -> bool:
        # A second independent confirmation: two alarm sources (GB 50116 §4.1.6) or a person.
        return self.assessment == "confirmed" or len(self.confirmations) >= 2

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
        if outcome is Outcome.REAL_FIRE and self.assessment == "denied":
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
            self.assessment = "confirmed" if action is Action.CONFIRM else "denied"
        elif action is Action.RESOLVE:
            self.resolved_at, self.outcome = at, outcome
            self.false_alarm_cause = cause if outcome is Outcome.FALSE_ALARM else None
        elif action is Action.MUTE:
            self.is_muted = True


def _describe(action: Action, outcome: Outcome | None, cause: str | None) -> str:
    if action is Action.RESOLVE and outcome is not None:
        return outcome.value + (f": {cause}" if cause else "")
    return action.value
