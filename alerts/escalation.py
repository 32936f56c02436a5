"""Escalation ladder per severity (pure): which steps are due given the incident's progress.

Defaults (DOMAIN.md §2, design inference, every number configurable):
P1 at once: on-duty members, compound control room, grid worker; no acknowledgement in 60 s
("1分钟响应", 301号), a failed page or a failed linkage task -> backup members and station
chief; not on scene in 180 s ("3分钟到场") or a second independent confirmation -> street level
and forward to 119 (GB 50440: the forward within 3 s of confirmation); not on scene in 180 s
("1-3-5": neighbouring forces at 3 min), or no covering station on duty at all -> mutual aid
from the nearest other station. P2: acknowledge within 5 min. P3 is not duty: device faults
are maintenance work orders (alerts.maintenance), never paged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from events.alerts import Severity


class Tier(StrEnum):
    ON_DUTY = "on_duty"
    CONTROL_ROOM = "control_room"
    GRID_WORKER = "grid_worker"
    BACKUP = "backup"
    CHIEF = "chief"
    STREET = "street"
    FORWARD_119 = "forward_119"
    # The on-duty members of the nearest other station (alerts.routing.mutual_aid).
    MUTUAL_AID = "mutual_aid"


class Until(StrEnum):
    """The step fires unless the incident reached this milestone first."""

    ALWAYS = "always"
    ACKNOWLEDGED = "acknowledged"
    ON_SCENE = "on_scene"


class Step(BaseModel):
    model_config = ConfigDict(frozen=True)

    step_id: str
    after_s: float = Field(ge=0.0)
    unless: Until = Until.ALWAYS
    tiers: tuple[Tier, ...]
    on_confirmation: bool = False  # fires at once on a second independent confirmation
    on_delivery_failure: bool = False  # fires at once when a page of an earlier step failed
    on_task_failure: bool = False  # fires at once when a linkage task failed
    on_unstaffed: bool = False  # fires at once when no covering station is on duty


class EscalationPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    p1: tuple[Step, ...] = (
        Step(
            step_id="p1-page", after_s=0, tiers=(Tier.ON_DUTY, Tier.CONTROL_ROOM, Tier.GRID_WORKER)
        ),
        Step(
            step_id="p1-no-ack",
            after_s=60,
            unless=Until.ACKNOWLEDGED,
            tiers=(Tier.BACKUP, Tier.CHIEF),
            on_delivery_failure=True,
            on_task_failure=True,
        ),
        Step(
            step_id="p1-street-119",
            after_s=180,
            unless=Until.ON_SCENE,
            tiers=(Tier.STREET, Tier.FORWARD_119),
            on_confirmation=True,
        ),
        Step(
            step_id="p1-mutual-aid",
            after_s=180,
            unless=Until.ON_SCENE,
            tiers=(Tier.MUTUAL_AID,),
            on_unstaffed=True,
        ),
    )
    p2: tuple[Step, ...] = (
        Step(step_id="p2-page", after_s=0, tiers=(Tier.ON_DUTY, Tier.CONTROL_ROOM)),
        Step(
            step_id="p2-no-ack",
            after_s=300,
            unless=Until.ACKNOWLEDGED,
            tiers=(Tier.CHIEF,),
            on_delivery_failure=True,
            on_task_failure=True,
        ),
    )

    def steps(self, severity: Severity) -> tuple[Step, ...]:
        """P3 has no ladder: faults are work orders (alerts.maintenance)."""
        return {Severity.P1: self.p1, Severity.P2: self.p2}.get(severity, ())

    def deadline_s(self, severity: Severity, until: Until) -> float | None:
        """The SLA the console counts down: first step that waits for this milestone."""
        return next((s.after_s for s in self.steps(severity) if s.unless is until), None)


@dataclass(frozen=True, slots=True)
class Progress:
    """What escalation needs to know about an incident."""

    severity: Severity
    opened_at: datetime
    acknowledged_at: datetime | None
    on_scene_at: datetime | None
    is_confirmed: bool
    has_delivery_failure: bool
    fired: frozenset[str]
    is_open: bool = True
    has_task_failure: bool = False
    is_unstaffed: bool = False


def _is_satisfied(step: Step, p: Progress) -> bool:
    if step.unless is Until.ACKNOWLEDGED:
        return p.acknowledged_at is not None
    if step.unless is Until.ON_SCENE:
        return p.on_scene_at is not None
    return False


def due_steps(policy: EscalationPolicy, p: Progress, now: datetime) -> list[Step]:
    """Steps to fire now, in ladder order. A step fires at most once."""
    if not p.is_open:
        return []
    due = []
    for step in policy.steps(p.severity):
        if step.step_id in p.fired or _is_satisfied(step, p):
            continue
        is_early = (
            (step.on_confirmation and p.is_confirmed)
            or (step.on_delivery_failure and p.has_delivery_failure)
            or (step.on_task_failure and p.has_task_failure)
            or (step.on_unstaffed and p.is_unstaffed)
        )
        if is_early or now >= p.opened_at + timedelta(seconds=step.after_s):
            due.append(step)
    return due


def next_deadline(policy: EscalationPolicy, p: Progress) -> datetime | None:
    """When the next step becomes due by time alone (persisted so timers survive a restart)."""
    if not p.is_open:
        return None
    times = [
        p.opened_at + timedelta(seconds=s.after_s)
        for s in policy.steps(p.severity)
        if s.step_id not in p.fired and not _is_satisfied(s, p)
    ]
    return min(times, default=None)
