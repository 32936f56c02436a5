"""A hazard near an active incident shows on it (issue #18 item 3): same compound and building,
open ones only, the way out first; read from the ledger through the store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from alerts.hazards.lifecycle import Command
from alerts.hazards.nearby import hazards_near
from alerts.hazards.store import hazards_near_incident
from events.hazards import HazardAction, HazardOwner, HazardSeverity, HazardState, OwnerKind
from events.incidents import IncidentPlace, PlaceScope
from events.reports import HazardCategory
from runtime.clock import ManualClock

from .rig import START, desk, report

C = HazardCategory
OWNER = HazardOwner(kind=OwnerKind.PROPERTY_COMPANY, name="Example property company")


def _fire(building_id: str | None) -> IncidentPlace:
    if building_id is None:
        return IncidentPlace(compound_id="c001", scope=PlaceScope.DEVICE, place_id="cp-1")
    return IncidentPlace(
        compound_id="c001", scope=PlaceScope.BUILDING, place_id=building_id, building_id=building_id
    )


def test_the_blocked_exit_of_the_burning_building_comes_first(tmp_path: Path) -> None:
    clock = ManualClock(START)
    d = desk(tmp_path, clock)
    (wire,) = d.take(report("r-wire", category=C.FLYING_WIRE, floor=2))
    clock.advance(60)
    (exit_,) = d.take(report("r-exit", category=C.BLOCKED_ROUTE, floor=5))
    (other_building,) = d.take(report("r-b2", category=C.BLOCKED_ROUTE, building_id="b2"))
    (grounds,) = d.take(report("r-yard", category=C.FIRE_EQUIPMENT, building_id=None, floor=None))
    (closed,) = d.take(report("r-bikes", category=C.EBIKE_INDOORS))
    d.act(closed.hazard_id, Command(HazardAction.DISMISS, note="duplicate"), "so-1", "test")
    triage = Command(HazardAction.TRIAGE, severity=HazardSeverity.MAJOR, owner=OWNER)
    d.act(wire.hazard_id, triage, "so-1", "test")
    d.act(wire.hazard_id, Command(HazardAction.ASSIGN, assignee="property duty"), "so-1", "test")
    clock.advance(timedelta(days=2).total_seconds())

    fire = _fire("b1")
    near = hazards_near(
        fire, d.store.open_hazards_at(fire.compound_id, fire.building_id), clock.now()
    )

    assert [v.hazard_id for v in near] == [exit_.hazard_id, wire.hazard_id]
    first = near[0]
    assert (first.is_evacuation, first.category_zh) == (True, "堵塞疏散通道、安全出口")
    assert (first.floor, first.state) == (5, HazardState.FOUND)
    assert near[1].is_overdue  # assigned with a 24 h deadline two days ago
    assert not first.is_overdue  # no deadline yet
    assert hazards_near_incident(d.store.db, fire, clock.now()) == near  # the console's call
    # A fire in the charging shed (no building) sees the compound's grounds, nothing inside.
    shed = _fire(None)
    yard = hazards_near(shed, d.store.open_hazards_at("c001", None), clock.now())
    assert [v.hazard_id for v in yard] == [grounds.hazard_id]
    assert other_building.hazard_id not in {v.hazard_id for v in near}


def test_the_pure_ranking_ignores_other_places_and_closed_hazards(tmp_path: Path) -> None:
    clock = ManualClock(START)
    d = desk(tmp_path, clock)
    (bikes,) = d.take(report("r-bikes", category=C.EBIKE_INDOORS))
    (route,) = d.take(report("r-route", category=C.BLOCKED_ROUTE, floor=1))
    (mixed,) = d.take(report("r-mixed", category=C.MIXED_USE, floor=1))
    d.take(report("r-c2", category=C.BLOCKED_ROUTE, compound_id="c002", building_id="b1"))
    everything = d.store.hazards()  # every hazard of every place: the core filters
    near = hazards_near(_fire("b1"), everything, clock.now())
    assert [v.hazard_id for v in near] == [route.hazard_id, bikes.hazard_id, mixed.hazard_id]
    assert near[2].as_dict()["category_en"] == "Shop or warehouse with people living in"
