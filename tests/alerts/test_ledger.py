"""Ledger: migrations, audit chain tamper detection, report statistics, retention."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from alerts.errors import LedgerError
from alerts.ledger import Database, build_report, verify
from alerts.ledger.db import MIGRATIONS_DIR
from alerts.lifecycle import Action, Outcome
from runtime.clock import ManualClock

from .rig import DAY, Rig, build_rig, make_alert


def test_migrations_are_numbered_and_applied_once(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/m.db")
    shipped = list(range(1, len(list(MIGRATIONS_DIR.glob("*.sql"))) + 1))
    assert db.migrate() == shipped
    assert db.migrate() == []
    assert [r[0] for r in db.query("SELECT version FROM schema_migrations")] == shipped
    bad = tmp_path / "mig"
    bad.mkdir()
    (bad / "0001_a.sql").write_text((MIGRATIONS_DIR / "0001_ledger.sql").read_text())
    (bad / "0003_c.sql").write_text("SELECT 1")
    with pytest.raises(LedgerError, match="without gaps"):
        Database(f"sqlite:///{tmp_path}/n.db").migrate(bad)


async def _some_history(rig: Rig) -> str:
    inc = await rig.alert(make_alert())
    assert inc is not None
    rig.clock.advance(20)
    await rig.act(inc.incident_key, Action.ACKNOWLEDGE)
    rig.clock.advance(100)
    await rig.act(inc.incident_key, Action.ON_SCENE, source="terminal")
    return inc.incident_key


async def test_audit_chain_verifies_and_detects_edit(rig: Rig) -> None:
    await _some_history(rig)
    result = verify(rig.ledger.db)
    assert result.is_ok
    assert result.entries > 10
    with rig.ledger.db.transaction():
        rig.ledger.db.execute("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3")
    result = verify(rig.ledger.db)
    assert not result.is_ok
    assert "entry 3: content does not match its hash (edited)" in result.problems


async def test_audit_chain_detects_deleted_middle_first_and_last(rig: Rig) -> None:
    await _some_history(rig)
    db = rig.ledger.db
    last = db.query("SELECT MAX(seq) FROM audit_log")[0][0]
    for seq, expected in (
        (5, "entries 5..5 are missing"),
        (1, "entries 1..1 are missing"),
        (last, f"head anchor says {last}"),
    ):
        with db.transaction():
            db.execute("DELETE FROM audit_log WHERE seq = ?", (seq,))
        problems = verify(db).problems
        assert any(expected in p for p in problems), problems


async def test_report_times_and_false_alarm_flag(rig: Rig) -> None:
    key = await _some_history(rig)
    for n in range(6):  # six false alarms from one detector in one day: GB 50440 "> 5 a day"
        inc = await rig.alert(
            make_alert(device="sd-noisy", building="b3", revision=n + 1, at=rig.clock.now())
        )
        assert inc is not None
        await rig.act(inc.incident_key, Action.ACKNOWLEDGE, "ste-m2")
        await rig.act(
            inc.incident_key, Action.RESOLVE, "ste-m2", "console", Outcome.FALSE_ALARM, "dust"
        )
        rig.clock.advance(1000)  # past the hold-off: each is an incident of its own
    report = build_report(rig.ledger.db, DAY - timedelta(days=1), rig.clock.now())
    assert report["time_to_acknowledge"]["count"] == 7
    assert report["time_to_scene"] == {"count": 1, "median_s": 120.0, "p90_s": 120.0}
    assert [o["incident_key"] for o in report["open_incidents"]] == [key]
    noisy = [d for d in report["false_alarms_by_device"] if d["device_id"] == "sd-noisy"]
    assert noisy[0]["worst_day_count"] == 6
    assert noisy[0]["needs_handling_plan"] is True
    assert report["by_station"]["st-east"] + report["by_station"].get("st-west", 0) == 7


async def test_retention_purges_old_resolved_cases_and_keeps_the_chain(rig: Rig) -> None:
    inc = await rig.alert(make_alert())
    assert inc is not None
    await rig.act(inc.incident_key, Action.ACKNOWLEDGE)
    await rig.act(inc.incident_key, Action.RESOLVE, outcome=Outcome.TEST)
    rig.clock.advance(400 * 86_400)
    fresh = await rig.alert(make_alert(device="sd-2"))
    assert fresh is not None
    counts = rig.ledger.purge_before(rig.clock.now() - timedelta(days=365))
    assert counts["incidents"] == 1
    assert counts["incident_conditions"] == 1
    assert counts["audit_log"] > 0
    assert rig.ledger.incident(inc.incident_key) is None
    assert rig.ledger.incident(fresh.incident_key) is not None
    assert verify(rig.ledger.db).is_ok


async def test_incidents_with_conditions_and_tasks_round_trip_through_the_ledger(
    rig: Rig,
) -> None:
    inc = await rig.alert(make_alert())
    await rig.alert(make_alert(device="sd-2", evidence=("sd-2",)))
    assert inc is not None
    stored = rig.ledger.incident(inc.incident_key)
    assert stored is not None
    assert stored.place == inc.place
    assert stored.dispatch == inc.dispatch
    assert stored.conditions == inc.conditions
    assert stored.tasks == inc.tasks
    assert stored.seq == inc.seq
    assert (stored.fired_steps, stored.next_due_at) == (inc.fired_steps, inc.next_due_at)


def test_v1_incidents_are_kept_and_copied_into_the_v2_table(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/v1.db")
    db.migrate(_only(tmp_path, 2))
    with db.transaction():
        db.execute(
            "INSERT INTO incidents (incident_key, alert_key, kind, severity, state, compound_id,"
            " building_id, device_id, station_id, summary, dispatch_reason, revision, opened_at,"
            " is_muted, confirmations, fired_steps, delivery_failures) VALUES"
            " ('c1/b1/fire/sd-1~2', 'c1/b1/fire/sd-1', 'fire', 'P1', 'dispatched', 'c1', 'b1',"
            " 'sd-1', 'st-east', 'smoke', 'nearest by distance', 3, 1000.0, 0, '[\"sd-1\"]',"
            " '[\"p1-page\"]', 0)"
        )
    db.close()
    rig = build_rig(f"sqlite:///{tmp_path}/v1.db", ManualClock(DAY))
    (inc,) = rig.core.open_incidents()
    assert (inc.incident_key, inc.place.key, inc.station_id) == (
        "c1/b1/fire/sd-1~2",
        "c1/building:b1",
        "st-east",
    )
    assert inc.dispatch_reason == "nearest by distance"
    assert list(inc.conditions) == ["c1/b1/fire/sd-1"]  # its reset still reaches the worker
    assert rig.ledger.db.query("SELECT COUNT(*) FROM incidents_v1") == [(1,)]
    rig.ledger.db.close()


def _only(tmp_path: Path, up_to: int) -> Path:
    directory = tmp_path / f"migrations-{up_to}"
    directory.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql"))[:up_to]:
        (directory / path.name).write_text(path.read_text())
    return directory
