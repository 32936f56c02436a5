"""`firewatch report` with the people side: hazards found, triaged, closed, overdue and patrol
coverage in the period report; `--monthly YYYY-MM` per compound and street, as a table and
as JSON, read from a ledger the desk and dispatch wrote."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.hazards.desk import HazardDesk
from alerts.hazards.lifecycle import Command
from alerts.hazards.report import people_report
from alerts.ledger import Ledger
from alerts.ledger.batch import LedgerBatch
from alerts.lifecycle import Condition, Incident, Outcome, State
from events.alerts import AlertKind, AlertStatus, Severity
from events.hazards import HazardAction, HazardOwner, HazardSeverity, OwnerKind
from events.incidents import IncidentPlace, PlaceScope
from firewatch.cli import main
from runtime.clock import ManualClock

from .rig import START, checkin, desk, photo_id, report

A = HazardAction
OWNER = HazardOwner(kind=OwnerKind.PROPERTY_COMPANY, name="property")


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _month_of_work(tmp_path: Path) -> tuple[HazardDesk, ManualClock]:
    """January 2026 in c001: three hazards (one closed through the whole loop, one assigned
    and left to go overdue, one never triaged), two exits checked, one false alarm."""
    clock = ManualClock(START)
    d = desk(tmp_path, clock)
    closed = d.take(report("r1"))[0].hazard_id
    overdue = d.take(report("r2", floor=7))[0].hazard_id
    d.take(report("r3", floor=9))
    for hid in (closed, overdue):
        d.act(hid, Command(A.TRIAGE, severity=HazardSeverity.MAJOR, owner=OWNER), "so-1", "api")
        d.act(hid, Command(A.ASSIGN, assignee="property"), "so-1", "api")  # due in 24 h
    clock.advance(3600)
    d.act(closed, Command(A.RECTIFY, photo_ids=(photo_id("fixed"),)), "gw-1", "api")
    d.act(closed, Command(A.REINSPECT), "ste-m1", "api")
    d.act(closed, Command(A.CLOSE), "so-1", "api")
    for cp in ("c001-exits-b1-exit", "c001-exits-b2-exit"):
        d.take(checkin(cp, START))
    condition = Condition(
        "c001/b1/fire/x", AlertKind.FIRE, Severity.P1, AlertStatus.RAISED, 1, START
    )
    fire = Incident(
        incident_key="i1",
        place=IncidentPlace(
            compound_id="c001", scope=PlaceScope.BUILDING, place_id="b1", building_id="b1"
        ),
        severity=Severity.P1,
        opened_at=START,
        raised_at=START,
        state=State.RESOLVED,
        acknowledged_at=START + timedelta(seconds=45),
        on_scene_at=START + timedelta(seconds=150),
        resolved_at=START + timedelta(hours=1),
        outcome=Outcome.FALSE_ALARM,
        conditions={condition.condition_key: condition},
    )
    Ledger(d.store.db).write(LedgerBatch.of(incidents=[fire]))
    return d, clock


def test_the_period_report_counts_hazards_and_patrol_coverage(tmp_path: Path) -> None:
    d, _clock = _month_of_work(tmp_path)
    now = START + timedelta(days=2)
    people = people_report(d.store.db, d.rounds, START - timedelta(hours=1), now)
    h = people["hazards"]
    assert (h["found"], h["triaged"], h["closed"]) == (3, 2, 1)
    assert (h["open"], h["overdue"]) == (2, 1)  # r2 past its deadline; r3 has none
    assert h["found_by_category"] == {"blocked_route": 3}
    p = people["patrols"]
    c001 = p["by_compound"]["c001"]
    # c001's daily exits round, slots ended by now: Jan 5 (checked in full) and Jan 6, two
    # exits each; its weekly equipment round ended no slot in the period.
    assert (c001["expected"], c001["checked"], c001["missed_slots"]) == (4, 2, 1)
    assert c001["coverage"] == 0.5
    assert p["checked"] == 2


def test_report_monthly_as_json_and_as_a_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d, _clock = _month_of_work(tmp_path)
    d.store.db.close()
    url = f"sqlite:///{tmp_path}/ledger.db"
    assert main(["report", "--monthly", "2026-01", "--database-url", url, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["month"] == "2026-01"
    rows = {(r["scope"], r["scope_id"]): r for r in data["rows"]}
    c001 = rows[("compound", "c001")]
    assert (c001["hazards_found"], c001["rectified_on_time"], c001["overdue"]) == (3, 1, 1)
    assert (c001["incidents"], c001["false_alarms"], c001["ack_median_s"]) == (1, 1, 45)
    assert rows[("street", "s-example")]["hazards_found"] == 3
    assert main(["report", "--monthly", "2026-01", "--database-url", url]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[1].split()[:3] == ["scope", "id", "found"]
    c001_line = next(line for line in table if line.split()[:2] == ["compound", "c001"])
    assert c001_line.split()[2] == "3"
    assert main(["report", "--monthly", "2026-13", "--database-url", url]) == 2
    assert "YYYY-MM" in capsys.readouterr().err


def test_the_period_report_command_shows_the_people_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d, _clock = _month_of_work(tmp_path)
    d.store.db.close()
    url = f"sqlite:///{tmp_path}/ledger.db"
    days = str((datetime.now(UTC) - START).days + 2)  # a period that holds January 2026
    assert main(["report", "--database-url", url, "--days", days, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["hazards"]["found"] == 3
    assert data["patrols"]["checked"] == 2
    assert data["incidents"] == 1
    assert main(["report", "--database-url", url, "--days", days]) == 0
    out = capsys.readouterr().out
    assert "Hazards: found 3, triaged 2, closed 1" in out
    assert "Patrol coverage:" in out


def test_a_broken_registry_is_named_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d, _clock = _month_of_work(tmp_path)
    d.store.db.close()
    broken = tmp_path / "registry"
    broken.mkdir()
    (broken / "patrols.yaml").write_text("patrols:\n  - round_id: x\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path}/ledger.db"
    assert main(["report", "--database-url", url, "--registry", str(broken)]) == 2
    assert "registry invalid" in capsys.readouterr().err
