"""One ledger, one audit chain, one maintenance queue (issue 18 item 4): a ledger of the
previous release upgrades (migration 0008 moves the people side's maintenance items into
work_orders and the chain adopts the hazard desk's tables); the people's orders stay out of
dispatch's memory but are in `firewatch report`; every write of theirs verifies."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from alerts.hazards.ledger_audit import join_audit
from alerts.hazards.maintenance import ItemKind, MaintenanceItem, MaintenanceItems
from alerts.ledger import Database, Ledger, build_report, verify
from alerts.ledger.audit_keys import parse_keyring
from alerts.ledger.db import MIGRATIONS_DIR

from .rig import START

KEY = parse_keyring("k1:" + "cd" * 32)
H = 3600.0


def _release_0007(tmp_path: Path) -> Database:
    """A ledger as the release before 0008 leaves it, with maintenance items in their table."""
    older = tmp_path / "migrations"
    older.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql"))[:7]:
        shutil.copy(path, older / path.name)
    db = Database(f"sqlite:///{tmp_path}/ledger.db")
    db.migrate(older)
    at = START.timestamp()
    with db.transaction():
        db.execute(
            "INSERT INTO maintenance_items (item_id, kind, subject, compound_id, opened_at,"
            " due_at, closed_at, detail) VALUES ('missed:c001-exits:1', 'missed_round',"
            " 'c001-exits', 'c001', ?, ?, NULL, 'not checked: b1 exit')",
            (at, at + 24 * H),
        )
        db.execute(
            "INSERT INTO maintenance_items (item_id, kind, subject, compound_id, opened_at,"
            " due_at, closed_at, detail) VALUES ('feed_failing:police', 'feed_failing',"
            " 'police', NULL, ?, ?, ?, '3 failed')",
            (at, at + 24 * H, at + H),
        )
    return db


def test_the_previous_release_moves_its_items_into_the_one_queue(tmp_path: Path) -> None:
    _release_0007(tmp_path).close()
    ledger = Ledger(Database(f"sqlite:///{tmp_path}/ledger.db"), KEY)  # dispatch's start
    db = ledger.db
    tables = {r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "maintenance_items" not in tables
    items = MaintenanceItems(db, join_audit(db, KEY))
    (missed,) = items.open_items()
    assert (missed.item_id, missed.kind, missed.subject) == (
        "missed:c001-exits:1",
        ItemKind.MISSED_ROUND,
        "c001-exits",
    )
    assert missed.compound_id == "c001"
    assert ledger.work_orders() == []  # dispatch restores device orders only
    report = build_report(db, START - timedelta(days=1), START + timedelta(days=2))
    orders = report["work_orders"]
    assert [o["order_id"] for o in orders["open"]] == ["missed:c001-exits:1"]
    assert orders["opened_by_kind"] == {"feed_failing": 1, "missed_round": 1}
    assert orders["overdue"] == 1
    result = verify(db, KEY)
    assert result.is_ok, result.problems
    db.close()


def test_an_item_that_comes_back_reopens_its_order_audited(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/ledger.db")
    items = MaintenanceItems(db, join_audit(db, KEY), actor="feeds")
    due = START + timedelta(hours=24)
    item = MaintenanceItem(
        "feed_failing:police", ItemKind.FEED_FAILING, "police", None, START, due, "3 failed"
    )
    assert items.open(item)
    assert not items.open(item)  # open already: the timer looked again
    assert items.close(item.item_id, START + timedelta(hours=1))
    assert not items.close(item.item_id, START + timedelta(hours=2))
    assert items.open(item)
    state, occurrences, revision, compound = db.query(
        "SELECT state, occurrences, revision, compound_id FROM work_orders"
    )[0]
    assert (state, occurrences, revision, compound) == ("open", 2, 3, "*")
    (back,) = items.open_items(ItemKind.FEED_FAILING)
    assert back.compound_id is None
    assert items.open_items(ItemKind.MISSED_ROUND) == []
    actions = [r[0] for r in db.query("SELECT action FROM audit_log WHERE actor = 'feeds'")]
    assert actions == ["work_order_open", "work_order_done", "work_order_open"]
    result = verify(db, KEY)
    assert result.is_ok, result.problems
    db.close()
