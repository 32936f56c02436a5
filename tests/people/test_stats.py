"""Monthly statistics per compound and street: hazards found, rectified on time, overdue,
whistles, patrol coverage (pure core), and incidents with response times and false alarms
read from the ledger's incidents table (incidents v2, written as dispatch writes them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from alerts.hazards.lifecycle import Command
from alerts.hazards.stats_queries import month_of, monthly_report
from alerts.ledger import Ledger
from alerts.ledger.batch import LedgerBatch
from alerts.lifecycle import Condition, Incident, Outcome, State
from events.alerts import AlertKind, AlertStatus, Severity
from events.hazards import HazardAction, HazardOwner, HazardSeverity, OwnerKind
from events.incidents import IncidentPlace, PlaceScope
from runtime.clock import ManualClock

from .rig import checkin, desk, photo_id, report

A = HazardAction
SHANGHAI = ZoneInfo("Asia/Shanghai")
OWNER = HazardOwner(kind=OwnerKind.PROPERTY_COMPANY, name="property")
DAY1 = datetime(2026, 1, 5, 9, tzinfo=SHANGHAI)


def _incident(
    key: str, opened: datetime, ack_s: float, scene_s: float | None, outcome: Outcome | None
) -> Incident:
    fire = AlertKind.FIRE
    condition = Condition(f"c001/b1/fire/{key}", fire, Severity.P1, AlertStatus.RAISED, 1, opened)
    return Incident(
        incident_key=key,
        place=IncidentPlace(
            compound_id="c001", scope=PlaceScope.BUILDING, place_id="b1", building_id="b1"
        ),
        severity=Severity.P1,
        opened_at=opened,
        raised_at=opened,
        state=State.RESOLVED,
        acknowledged_at=opened + timedelta(seconds=ack_s),
        on_scene_at=opened + timedelta(seconds=scene_s) if scene_s is not None else None,
        resolved_at=opened + timedelta(hours=1),
        outcome=outcome,
        conditions={condition.condition_key: condition},
    )


def test_a_month_of_hazards_patrols_and_incidents(tmp_path: Path) -> None:
    clock = ManualClock(DAY1)
    d = desk(tmp_path, clock)
    on_time = d.take(report("r1"))[0].hazard_id
    late = d.take(report("r2", floor=7))[0].hazard_id
    d.take(report("r3", building_id="n1", compound_id="c-north", floor=2))  # never triaged
    for hid in (on_time, late):
        d.act(hid, Command(A.TRIAGE, severity=HazardSeverity.MAJOR, owner=OWNER), "so-1", "api")
        d.act(hid, Command(A.ASSIGN, assignee="property"), "so-1", "api")  # due in 24 h
    clock.advance(3600)
    d.act(on_time, Command(A.RECTIFY, photo_ids=(photo_id("fixed"),)), "gw-1", "api")
    clock.advance(30 * 3600)
    d.tick()  # the late one is whistled; c-north's untriaged report too
    d.act(late, Command(A.RECTIFY, photo_ids=(photo_id("fixed"),)), "gw-1", "api")
    for cp in ("c001-exits-b1-exit", "c001-exits-b2-exit"):
        d.take(checkin(cp, DAY1))
    ledger = Ledger(d.store.db)
    incidents = [
        _incident("i1", DAY1, 40, 170, Outcome.REAL_FIRE),
        _incident("i2", DAY1 + timedelta(days=2), 80, None, Outcome.FALSE_ALARM),
        _incident("i3", datetime(2026, 2, 1, 1, tzinfo=SHANGHAI), 1, 1, None),
    ]
    ledger.write(LedgerBatch.of(incidents=incidents))
    now = datetime(2026, 1, 8, tzinfo=SHANGHAI)
    street_of = {c.compound_id: c.street_id for c in d.registry.compounds}
    rows = {
        (r.scope, r.scope_id): r.as_dict()
        for r in monthly_report(d.store.db, d.rounds, street_of, "2026-01", "Asia/Shanghai", now)
    }
    c001 = rows[("compound", "c001")]
    assert (c001["hazards_found"], c001["rectified_on_time"], c001["rectified_late"]) == (2, 1, 1)
    assert (c001["overdue"], c001["whistles"]) == (1, 1)
    # Slots that ended in January by the 8th: the daily exits round's 7 (Jan 2..8) x 2
    # checkpoints (c001's two buildings), the weekly equipment round's week ending Monday Jan 5
    # x 2 checkpoints. Missed: 6 daily slots (Jan 5 was checked in full) and the weekly one.
    assert (c001["patrol_expected"], c001["patrol_checked"], c001["missed_rounds"]) == (16, 2, 7)
    assert c001["patrol_coverage"] == pytest.approx(2 / 16, abs=1e-4)
    assert (c001["incidents"], c001["false_alarms"]) == (2, 1)
    assert (c001["ack_median_s"], c001["ack_p90_s"], c001["scene_median_s"]) == (60, 80, 170)
    north = rows[("compound", "c-north")]
    assert (north["hazards_found"], north["whistles"], north["incidents"]) == (1, 1, 0)
    street = rows[("street", "s-example")]
    assert (street["hazards_found"], street["whistles"], street["incidents"]) == (3, 2, 2)
    assert street["patrol_expected"] == 16 + 7  # c001 and c-north (one building, daily)


def test_a_month_is_the_local_calendar_month() -> None:
    month = month_of("2026-02", "Asia/Shanghai")
    assert month.start == datetime(2026, 1, 31, 16, tzinfo=UTC)
    assert month.end == datetime(2026, 2, 28, 16, tzinfo=UTC)
    with pytest.raises(ValueError, match="YYYY-MM"):
        month_of("2026-13", "Asia/Shanghai")
