"""The rectification policy (pure, configurable): deadlines and the escalation ladder.

DOMAIN.md §2: small cases close in the community ("小事不出村社"); what is not done in time
climbs compound -> street -> district. Here that is "街乡吹哨、部门报到": when a hazard is
overdue the street office blows the whistle and the responsible department must report in;
still overdue later, the district supervises (督办). Every number below is a design inference
(U in DOMAIN.md's terms): a street office sets its own, so all of them are settings.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from events.hazards import EscalationLevel, HazardSeverity, HazardState
from events.reports import HazardCategory

# The responsible department per category when triage names none (U: local practice varies).
DEFAULT_DEPARTMENTS: dict[HazardCategory, str] = {
    HazardCategory.BLOCKED_ROUTE: "fire-rescue",  # 消防救援机构 (消防法 §28)
    HazardCategory.EBIKE_INDOORS: "fire-rescue",  # 应急管理部令第5号 Art. 37 ...
    HazardCategory.FLYING_WIRE: "urban-management",  # 城管 / 供电 (私拉电线)
    HazardCategory.FIRE_EQUIPMENT: "housing-bureau",  # 住建: property companies' upkeep
    HazardCategory.MIXED_USE: "market-regulation",  # 市场监管 (三合一场所)
    HazardCategory.OTHER: "street-office",
}

_LADDER = (EscalationLevel.STREET, EscalationLevel.DISTRICT)


class HazardPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    # Nobody triaged a new report within this: the street office is whistled (U).
    triage_within_h: float = Field(default=24.0, gt=0.0)
    # Default rectification deadline per severity when the assigner gives none (U; a blocked
    # exit is usually "立即改正" on the spot, which an assigner sets by hand).
    rectify_within_h: dict[HazardSeverity, float] = {
        HazardSeverity.MAJOR: 24.0,
        HazardSeverity.GENERAL: 72.0,
    }
    # Hours past the due time at which each level is whistled (U).
    street_after_h: float = Field(default=0.0, ge=0.0)
    district_after_h: float = Field(default=48.0, ge=0.0)
    departments: dict[HazardCategory, str] = DEFAULT_DEPARTMENTS

    def default_deadline(self, severity: HazardSeverity, now: datetime) -> datetime:
        return now + timedelta(hours=self.rectify_within_h[severity])

    def department_for(self, category: HazardCategory, named: str | None) -> str:
        return named or self.departments.get(category, "street-office")

    def after_h(self, level: EscalationLevel) -> float:
        return self.street_after_h if level is EscalationLevel.STREET else self.district_after_h


def due_point(
    state: HazardState, found_at: datetime, deadline_at: datetime | None, policy: HazardPolicy
) -> datetime | None:
    """What the ladder counts from: the triage deadline of a new report, the rectification
    deadline of an assigned hazard; nothing in the other states (someone acted in time)."""
    if state is HazardState.FOUND:
        return found_at + timedelta(hours=policy.triage_within_h)
    if state is HazardState.ASSIGNED:
        return deadline_at
    return None


def next_level(current: EscalationLevel) -> EscalationLevel | None:
    if current is EscalationLevel.NONE:
        return _LADDER[0]
    index = _LADDER.index(current)
    return _LADDER[index + 1] if index + 1 < len(_LADDER) else None


def next_escalation(
    state: HazardState,
    found_at: datetime,
    deadline_at: datetime | None,
    current: EscalationLevel,
    policy: HazardPolicy,
) -> tuple[EscalationLevel, datetime] | None:
    """The next level to whistle and when, or None (nothing due, or the top was reached)."""
    due = due_point(state, found_at, deadline_at, policy)
    level = next_level(current)
    if due is None or level is None:
        return None
    return level, due + timedelta(hours=policy.after_h(level))
