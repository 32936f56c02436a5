"""Patrol rounds from patrols.yaml: expansion and checks on load, slots in local time,
coverage per compound (pure) and missed rounds as maintenance items on the desk."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from alerts.errors import RegistryError
from alerts.hazards.coverage import CheckIn, coverage
from alerts.hazards.maintenance import ItemKind
from alerts.hazards.patrols import load_patrols
from alerts.registry import EXAMPLE_DIR, load_registry
from events.reports import PatrolCheckIn
from runtime.clock import ManualClock

from .rig import START, checkin, desk

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXITS = ["c001-exits-b1-exit", "c001-exits-b2-exit"]  # c001's two buildings


def test_fire_exits_of_every_building_expand_from_the_template() -> None:
    registry = load_registry(EXAMPLE_DIR)
    rounds = {r.round_id: r for r in load_patrols(EXAMPLE_DIR, registry)}
    exits = rounds["c001-exits"]
    assert [c.checkpoint_id for c in exits.checkpoints] == EXITS
    assert exits.checkpoints[0].building_id == "b1"
    assert exits.every_h == 24


def test_a_daily_slot_is_the_local_calendar_day() -> None:
    registry = load_registry(EXAMPLE_DIR)
    exits = load_patrols(EXAMPLE_DIR, registry)[0]
    start, end = exits.slot_of(datetime(2026, 1, 5, 16, 30, tzinfo=SHANGHAI))
    assert start == datetime(2026, 1, 5, tzinfo=SHANGHAI)
    assert end == datetime(2026, 1, 6, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"compound_id": "nowhere"}, "unknown compound"),
        ({"patrollers": ["cr-nobody"]}, "not a grid worker or station member"),
        ({"patrollers": ["so-1"]}, "not a grid worker or station member"),
        (
            {"checkpoints": [{"checkpoint_id": "x", "name": "x", "building_id": "b99"}]},
            "unknown building",
        ),
        ({"every_h": 0}, "every_h"),
    ],
)
def test_a_bad_round_is_refused_naming_the_round(
    tmp_path: Path, patch: dict[str, object], message: str
) -> None:
    good = {
        "round_id": "r",
        "name": "r",
        "compound_id": "c001",
        "every_h": 24,
        "patrollers": ["gw-1"],
        "checkpoints": [{"checkpoint_id": "cp", "name": "cp"}],
    }
    (tmp_path / "patrols.yaml").write_text(yaml.safe_dump({"patrols": [{**good, **patch}]}))
    with pytest.raises(RegistryError, match=message):
        load_patrols(tmp_path, load_registry(EXAMPLE_DIR))


def test_coverage_counts_checked_checkpoints_of_ended_slots() -> None:
    registry = load_registry(EXAMPLE_DIR)
    rounds = load_patrols(EXAMPLE_DIR, registry)
    day1 = datetime(2026, 1, 5, 9, tzinfo=SHANGHAI)
    checks = [checkin(cp, day1) for cp in EXITS]  # a full day 1
    checks += [checkin(cp, day1 + timedelta(days=1)) for cp in EXITS[:1]]  # 1 of 2 on day 2
    checks.append(checkin(EXITS[1], day1 + timedelta(days=1), member="stw-m1"))  # not a patroller
    start = datetime(2026, 1, 5, tzinfo=SHANGHAI)
    result = coverage(rounds, [_core(c) for c in checks], start, start + timedelta(days=2))
    c001 = result["c001"]
    # Exits: 2 daily slots x 2; the weekly equipment round has no slot ended yet.
    assert (c001.expected, c001.checked, c001.missed_slots) == (4, 3, 1)
    assert c001.ratio == pytest.approx(0.75)
    assert result["c-north"].checked == 0


def test_a_missed_round_becomes_one_maintenance_item(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 1, 5, 8, tzinfo=SHANGHAI))
    d = desk(tmp_path, clock)
    for cp in EXITS[:1]:  # building 2's exit is never checked on day 1
        d.take(checkin(cp, clock.now()))
    assert d.next_due_at() == datetime(2026, 1, 6, tzinfo=SHANGHAI)
    clock.set(datetime(2026, 1, 5, 23, 59, tzinfo=SHANGHAI))
    d.tick()
    assert d.items.open_items() == []
    clock.set(datetime(2026, 1, 6, tzinfo=SHANGHAI))
    d.tick()
    d.tick()
    items = d.items.open_items(ItemKind.MISSED_ROUND)
    by_round = {i.subject: i for i in items}
    assert set(by_round) == {"c001-exits", "cn-exits"}
    assert "c001-exits-b2-exit" in by_round["c001-exits"].detail
    assert "b1-exit" not in by_round["c001-exits"].detail


def test_a_redelivered_check_in_is_stored_once(tmp_path: Path) -> None:
    d = desk(tmp_path, ManualClock(START))
    record = checkin(EXITS[0], START)
    d.take(record)
    d.take(record)
    assert len(d.store.checkins(START - timedelta(hours=1), START + timedelta(hours=1))) == 1


def _core(record: PatrolCheckIn) -> CheckIn:
    return CheckIn(record.round_id, record.checkpoint_id, record.member_id, record.at)
