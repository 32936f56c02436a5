"""Ledger: migrations, audit chain tamper detection, report statistics, retention."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from alerts.errors import LedgerError
from alerts.ledger import Database, build_report, verify
from alerts.ledger.db import MIGRATIONS_DIR
from alerts.lifecycle import Action, Outcome

from .rig import DAY, Rig, make_alert


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
    inc = await rig.dispatcher.handle_alert(make_alert())
    assert inc is not None
    rig.clock.advance(20)
    await rig.dispatcher.act(inc.incident_key, Action.ACKNOWLEDGE, "ste-m1", "console")
    rig.clock.advance(100)
    await rig.dispatcher.act(inc.incident_key, Action.ON_SCENE, "ste-m1", "terminal")
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
    for seq, expected in ((5, "entries 5..5 are missing"), (1, "entries 1..1 are missing"),
                          (last, f"head anchor says {last}")):  # fmt: skip
        with db.transaction():
            db.execute("DELETE FROM audit_log WHERE seq = ?", (seq,))
        problems = verify(db).problems
        assert any(expected in p for p in problems), problems


async def test_report_times_and_false_alarm_flag(rig: Rig) -> None:
    key = await _some_history(rig)
    for n in range(6):  # six false alarms from one detector in one day: GB 50440 "> 5 a day"
        inc = await rig.dispatcher.handle_alert(make_alert(device="sd-noisy", revision=n + 1,
                                                           at=rig.clock.now()))  # fmt: skip
        assert inc is not None
        await rig.dispatcher.act(inc.incident_key, Action.ACKNOWLEDGE, "ste-m2", "console")
        await rig.dispatcher.act(
            inc.incident_key, Action.RESOLVE, "ste-m2", "console", Outcome.FALSE_ALARM, "dust"
        )
        rig.clock.advance(600)
    report = build_report(rig.ledger.db, DAY - timedelta(days=1), rig.clock.now())
    assert report["time_to_acknowledge"]["count"] == 7
    assert report["time_to_scene"] == {"count": 1, "median_s": 120.0, "p90_s": 120.0}
    assert [o["incident_key"] for o in report["open_incidents"]] == [key]
    noisy = [d for d in report["false_alarms_by_device"] if d["device_id"] == "sd-noisy"]
    assert noisy[0]["worst_day_count"] == 6
    assert noisy[0]["needs_handling_plan"] is True
    assert report["by_station"]["st-east"] + report["by_station"].get("st-west", 0) == 7


async def test_retention_purges_old_resolved_cases_and_keeps_the_chain(rig: Rig) -> None:
    inc = await rig.dispatcher.handle_alert(make_alert())
    assert inc is not None
    await rig.dispatcher.act(inc.incident_key, Action.ACKNOWLEDGE, "ste-m1", "console")
    await rig.dispatcher.act(inc.incident_key, Action.RESOLVE, "ste-m1", "c", Outcome.TEST)
    rig.clock.advance(400 * 86_400)
    fresh = await rig.dispatcher.handle_alert(make_alert(device="sd-2"))
    assert fresh is not None
    counts = rig.ledger.purge_before(rig.clock.now() - timedelta(days=365))
    assert counts["incidents"] == 1
    assert counts["audit_log"] > 0
    assert rig.ledger.incident(inc.incident_key) is None
    assert rig.ledger.incident(fresh.incident_key) is not None
    assert verify(rig.ledger.db).is_ok
