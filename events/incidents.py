"""Incidents: one physical event in one place, as dispatch publishes it (topic `fw.incidents.v2`).

An incident owns the conditions (evidence) that joined it, a severity that only rises, and
its linkage tasks. Every change is published as an `IncidentUpdate`: the incident as it now
stands plus the change that made it (who, what, when, from where), keyed by compound. The
worker reads resolutions from it to unlatch every condition of the incident; `firewatch eval`
reads it to count incidents. Schema version 2 (docs/UPGRADING.md, docs/GLOSSARY.md).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events.alerts import AlertKind, AlertStatus, ConditionFamily, Severity, family_of

INCIDENT_SCHEMA_VERSION = "2"


class IncidentState(StrEnum):
    """The closed loop 发现 -> 报告 -> 研判 -> 派单 -> 处置 -> 反馈 (DOMAIN.md §2)."""

    RAISED = "raised"
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    ON_SCENE = "on_scene"
    ASSESSED = "assessed"
    RESOLVED = "resolved"


class IncidentAction(StrEnum):
    DISPATCH = "dispatch"
    ACKNOWLEDGE = "acknowledge"
    ON_SCENE = "on_scene"
    CONFIRM = "confirm"
    DENY = "deny"
    RESOLVE = "resolve"
    MUTE = "mute"
    # A resolved incident whose condition raised again within the hold-off (flapping): the
    # same incident, back to acknowledged, nobody paged again.
    REOPEN = "reopen"
    NOTE = "note"  # evidence joined, escalation fired, task moved: no state change
    # A person put one member in charge (一键派单, issue 11.6); `detail` is the assignee's
    # member id. No state change; added in schema 2 (docs/UPGRADING.md).
    ASSIGN = "assign"


class PlaceScope(StrEnum):
    """How large the place of an incident is."""

    BUILDING = "building"  # a building (a charging shed the registry puts in one, too)
    AREA = "area"  # a charging area outside any building
    DEVICE = "device"  # device-only matters: a door held open, a door forced


class IncidentPlace(BaseModel):
    """Where the incident is: the grouping key of dispatch (one live incident per place)."""

    model_config = ConfigDict(frozen=True)

    compound_id: str
    scope: PlaceScope
    place_id: str
    building_id: str | None = None

    @property
    def key(self) -> str:
        return f"{self.compound_id}/{self.scope.value}:{self.place_id}"


def incident_key(place: IncidentPlace, opened_at: AwareDatetime) -> str:
    """Identity of one incident: its place and when its first evidence was raised (device
    time), so replaying the alert that opened it yields the same key."""
    stamp = opened_at.strftime("%Y%m%dT%H%M%S.%f")[:-3]
    return f"{place.key}@{stamp}Z"


class TaskKind(StrEnum):
    """Linkage tasks of a fire incident, one per device."""

    CUT_POWER = "cut_power"  # a charging port's relay off (DOMAIN.md §4)
    RELEASE_LOCKS = "release_locks"  # an evacuation exit released (GB 55024-2022 §5.3.6)
    CLOSE_FIRE_DOOR = "close_fire_door"  # a normally-closed fire door shut (GB 50016 §6.5.1)


class TaskState(StrEnum):
    PENDING = "pending"  # needed, not commanded yet (e.g. waiting for a confirmed fire)
    SENT = "sent"  # command issued, read-back awaited
    CONFIRMED = "confirmed"  # the device reports the safe state
    FAILED = "failed"  # read-back deadline passed, device unreachable, or unsafe state seen
    NOT_APPLICABLE = "not_applicable"  # nothing to do (e.g. the port stopped charging)


class LinkageTask(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: TaskKind
    device_id: str
    gateway_id: str = ""
    state: TaskState
    detail: str = ""  # the read-back in words: "relay off", "still open", "device offline"
    command_id: str | None = None
    updated_at: AwareDatetime


class ConditionRef(BaseModel):
    """A condition that joined the incident (its evidence), as last seen."""

    model_config = ConfigDict(frozen=True)

    condition_key: str
    kind: AlertKind
    severity: Severity
    status: AlertStatus
    device_id: str | None = None
    area_id: str | None = None
    raised_at: AwareDatetime


class DispatchReason(StrEnum):
    """Why the station was chosen: a stable code the console renders in zh-CN."""

    NEAREST_COVERING = "nearest_covering"
    COVERING_NOT_BUSY = "covering_not_busy"  # the nearer covering station is busy elsewhere
    ALL_COVERING_BUSY = "all_covering_busy"
    NO_COVERING_ON_DUTY = "no_covering_on_duty"  # mutual aid is the ladder's step then
    UNKNOWN_COMPOUND = "unknown_compound"
    UNRECORDED = "unrecorded"  # migrated from schema 1, which kept only the words


class DispatchNote(BaseModel):
    model_config = ConfigDict(frozen=True)

    station_id: str | None = None
    reason: DispatchReason
    text: str  # the same in English words, with every candidate and why it was skipped


class IncidentUpdate(BaseModel):
    """One change of one incident, with the incident as it now stands."""

    model_config = ConfigDict(frozen=True)

    kind: str = "incident_update"
    incident_key: str
    seq: int = Field(ge=1)  # per incident, counts its updates: consumers keep the highest
    place: IncidentPlace
    severity: Severity
    state: IncidentState
    title: str
    opened_at: AwareDatetime  # dispatch's clock
    raised_at: AwareDatetime  # the first evidence's time (device clock)
    dispatch: DispatchNote | None = None
    confirmations: tuple[str, ...] = ()  # independent alarm sources (GB 50116 §4.1.6)
    conditions: tuple[ConditionRef, ...] = ()
    tasks: tuple[LinkageTask, ...] = ()
    # The change
    action: IncidentAction
    from_state: IncidentState
    actor: str
    at: AwareDatetime
    source: str
    detail: str = ""

    @property
    def event_id(self) -> str:
        return f"{self.incident_key}:{self.seq}"

    @property
    def station_id(self) -> str | None:
        return self.dispatch.station_id if self.dispatch else None

    @property
    def lead_kind(self) -> AlertKind | None:
        """The kind that names the incident: its most severe duty condition, first raised
        (read-backs of linkage tasks never name one), as dispatch's console shows it."""
        duty = [c for c in self.conditions if family_of(c.kind) is not ConditionFamily.LINKAGE]
        pool = duty or list(self.conditions)
        lead = min(pool, key=lambda c: (c.severity.rank, c.raised_at), default=None)
        return lead.kind if lead else None

    @property
    def is_resolution(self) -> bool:
        """A person resolved the incident (not a note recorded on one already resolved)."""
        return self.state is IncidentState.RESOLVED and self.from_state is not (
            IncidentState.RESOLVED
        )
