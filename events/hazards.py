"""Hazard rectification (隐患整改) as dispatch publishes it (topic `fw.hazards.v1`, keyed by
compound): the hazard as it now stands plus the change that made it (who, what, when, from
where). The public side reads it to show a reporter the status behind their follow link; the
outbound feeds read it for the police, the housing bureau and the fire brigade.

The loop: found -> triaged -> assigned (deadline) -> rectified (photo) -> re-inspected ->
closed, or reopened; dismissed when a report is not a hazard. Overdue items climb the ladder
street -> district ("街乡吹哨、部门报到", DOMAIN.md §2). Schema version 1 (docs/PEOPLE.md).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events.reports import HazardCategory, Id, PhotoId, ReporterContact

HAZARD_SCHEMA_VERSION = "1"


class HazardState(StrEnum):
    FOUND = "found"  # 发现: reported, nobody has looked yet
    TRIAGED = "triaged"  # 研判: category, severity and owner decided
    ASSIGNED = "assigned"  # 派单: someone must rectify it by the deadline
    RECTIFIED = "rectified"  # 处置: the owner says it is done, with a photo
    REINSPECTED = "reinspected"  # 反馈: someone else went and saw it done
    CLOSED = "closed"
    DISMISSED = "dismissed"  # not a hazard, or a duplicate of another one


class HazardAction(StrEnum):
    REPORT = "report"  # a report opened the hazard
    TRIAGE = "triage"
    DISMISS = "dismiss"
    ASSIGN = "assign"
    RECTIFY = "rectify"
    REINSPECT = "reinspect"  # passed: the hazard is gone
    REJECT = "reject"  # re-inspection failed: back to the owner with a new deadline
    CLOSE = "close"
    REOPEN = "reopen"  # a closed or re-inspected hazard is back
    ESCALATE = "escalate"  # overdue: the ladder's next level was whistled (no state change)
    JOIN = "join"  # another report of the same hazard joined it (no state change)


class HazardSeverity(StrEnum):
    """重大火灾隐患 vs 一般火灾隐患 (GB 35181-2017 judges the major ones; here the triage
    officer decides and the deadlines follow)."""

    MAJOR = "major"
    GENERAL = "general"


class OwnerKind(StrEnum):
    """Who must rectify it (整改责任主体)."""

    PROPERTY_COMPANY = "property_company"  # 物业服务企业
    HOUSEHOLD = "household"  # 住户
    DEPARTMENT = "department"  # 职能部门: 城管, 市场监管, 供电, 住建 ...
    BUSINESS = "business"  # 经营者 (下店上宅 shop owner)


class EscalationLevel(StrEnum):
    NONE = "none"
    STREET = "street"  # 街道吹哨: the street office calls the responsible department in
    DISTRICT = "district"  # 区级督办


class HazardOwner(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: OwnerKind
    name: str = Field(min_length=1, max_length=100)
    department_id: Id | None = None  # the department whistled when it is overdue


class HazardUpdate(BaseModel):
    """One change of one hazard, with the hazard as it now stands."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["hazard_update"] = "hazard_update"
    hazard_id: Id
    seq: int = Field(ge=1)  # per hazard: consumers keep the highest
    state: HazardState
    category: HazardCategory
    severity: HazardSeverity | None = None  # None until triaged
    compound_id: Id
    street_id: Id | None = None
    building_id: Id | None = None
    floor: int | None = None
    unit: str | None = None
    title: str = Field(max_length=200)
    report_ids: tuple[Id, ...] = ()
    photo_ids: tuple[PhotoId, ...] = ()  # the reports' photos, then rectification photos
    owner: HazardOwner | None = None
    assignee: str | None = None
    deadline_at: AwareDatetime | None = None
    escalation: EscalationLevel = EscalationLevel.NONE
    whistled_department: Id | None = None
    found_at: AwareDatetime
    closed_at: AwareDatetime | None = None
    # Only when the reporter consented; the feeds drop it unless a recipient may have it.
    reporter_contact: ReporterContact | None = None
    # The change
    action: HazardAction
    from_state: HazardState | None = None  # None on the report that opened it
    actor: str = Field(max_length=100)
    at: AwareDatetime
    source: str = Field(max_length=200)
    detail: str = Field(default="", max_length=500)

    @property
    def event_id(self) -> str:
        return f"{self.hazard_id}#{self.seq}"
