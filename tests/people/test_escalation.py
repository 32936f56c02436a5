"""Overdue hazards climb the ladder on time, with a fake clock: the street whistles the
responsible department at the deadline, the district supervises 48 h later (policy.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from alerts.hazards.lifecycle import Command
from alerts.hazards.policy import HazardPolicy
from events.hazards import (
    EscalationLevel,
    HazardAction,
    HazardOwner,
    HazardSeverity,
    OwnerKind,
)
from events.reports import HazardCategory
from runtime.clock import ManualClock

from .rig import START, desk, photo_id, report

A = HazardAction


def test_an_overdue_hazard_escalates_on_time(tmp_path: Path) -> None:
    clock = ManualClock(START)
    d = desk(tmp_path, clock)
    hid = d.take(report(category=HazardCategory.MIXED_USE))[0].hazard_id
    owner = HazardOwner(kind=OwnerKind.BUSINESS, name="ground-floor shop")
    d.act(hid, Command(A.TRIAGE, severity=HazardSeverity.MAJOR, owner=owner), "so-1", "api")
    deadline = START + timedelta(hours=2)
    d.act(hid, Command(A.ASSIGN, assignee="shop owner", deadline_at=deadline), "so-1", "api")
    assert d.next_due_at() is not None
    assert d.open[hid].next_due_at == deadline
    clock.set(deadline - timedelta(seconds=1))
    assert d.tick() == []
    clock.set(deadline)
    (street,) = d.tick()
    assert street.action is A.ESCALATE
    assert street.escalation is EscalationLevel.STREET
    assert street.whistled_department == "market-regulation"
    assert street.at == deadline
    assert d.tick() == []  # once per level
    district_at = deadline + timedelta(hours=48)
    clock.set(district_at - timedelta(seconds=1))
    assert d.tick() == []
    clock.set(district_at)
    (district,) = d.tick()
    assert district.escalation is EscalationLevel.DISTRICT
    clock.advance(30 * 24 * 3600)
    assert d.tick() == []  # the top of the ladder
    assert [c.action for c in d.store.changes(hid)].count(A.ESCALATE) == 2


def test_rectified_in_time_never_escalates(tmp_path: Path) -> None:
    clock = ManualClock(START)
    d = desk(tmp_path, clock)
    hid = d.take(report())[0].hazard_id
    owner = HazardOwner(kind=OwnerKind.PROPERTY_COMPANY, name="property", department_id="housing")
    d.act(hid, Command(A.TRIAGE, severity=HazardSeverity.GENERAL, owner=owner), "so-1", "api")
    d.act(hid, Command(A.ASSIGN, assignee="property"), "so-1", "api")
    clock.advance(71 * 3600)
    d.act(hid, Command(A.RECTIFY, photo_ids=(photo_id("fixed"),)), "gw-1", "api")
    clock.advance(30 * 24 * 3600)
    assert d.tick() == []
    assert d.open[hid].next_due_at is None


def test_an_untriaged_report_whistles_the_street_and_the_owner_department_wins(
    tmp_path: Path,
) -> None:
    clock = ManualClock(START)
    d = desk(tmp_path, clock, HazardPolicy(triage_within_h=4))
    hid = d.take(report(category=HazardCategory.FLYING_WIRE))[0].hazard_id
    clock.advance(4 * 3600)
    (update,) = d.tick()
    assert update.escalation is EscalationLevel.STREET
    assert update.whistled_department == "urban-management"
    assert "triage overdue" in update.detail
    owner = HazardOwner(kind=OwnerKind.DEPARTMENT, name="供电所", department_id="power-supply")
    d.act(hid, Command(A.TRIAGE, severity=HazardSeverity.MAJOR, owner=owner), "so-1", "api")
    d.act(hid, Command(A.ASSIGN, assignee="供电所"), "so-1", "api")
    clock.advance(24 * 3600 + 48 * 3600)
    (district,) = d.tick()
    assert district.escalation is EscalationLevel.DISTRICT
    assert district.whistled_department == "power-supply"
