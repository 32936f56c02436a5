"""One ledger, one audit chain, one maintenance queue (issue 18 item 4): a ledger of the
previous release upgrades (migration 0008 moves the people side's maintenance items into
work_orders and the chain adopts the hazard desk's tables); the people's orders stay out of
dispatch's memory but are in `firewatch report`; every write of theirs verifies."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from alerts.hazards.ledger_audit import join_audit
from alerts.hazards.maintenance import ItemKind, MaintenanceItem, MaintenanceItems
from alerts.ledger import Database, Ledger, build_report, verify
from alerts.ledger.audit_keys import parse_keyring
from alerts.ledger.batch import LedgerBatch
from alerts.ledger.db import MIGRATIONS_DIR
from alerts.lifecycle import Condition, Incident
from events.alerts import AlertKind, AlertStatus, Severity
from events.incidents import IncidentPlace, PlaceScope
from runtime.clock import ManualClock

from .rig import START, desk, report

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


def _fire(n: int) -> Incident:
    at = START + timedelta(minutes=n)
    condition = Condition(
        f"c001/b1/fire/{n}", AlertKind.FIRE, Severity.P1, AlertStatus.RAISED, 1, at
    )
    return Incident(
        incident_key=f"i{n}",
        place=IncidentPlace(
            compound_id="c001", scope=PlaceScope.BUILDING, place_id="b1", building_id="b1"
        ),
        severity=Severity.P1,
        opened_at=at,
        raised_at=at,
        conditions={condition.condition_key: condition},
    )


def test_dispatch_and_the_desk_append_to_one_chain_at_once(db_url: str, tmp_path: Path) -> None:
    """Two processes' connections write at the same time: every entry lands in one unbroken
    chain (the head is locked while a writer appends), and every row verifies. Without the
    head lock, PostgreSQL refused a duplicate audit_log seq within these 60 + 60 writes."""
    ledger = Ledger(Database(db_url), KEY)
    d = desk(tmp_path, ManualClock(START), db_url=db_url)
    d.store.audit = d.items.audit = join_audit(d.store.db, KEY)  # signed, like the service
    writes = 60
    failures: list[BaseException] = []

    def run(work: Callable[[int], object]) -> None:
        try:
            for n in range(writes):
                work(n)
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    def dispatch_writes(n: int) -> None:
        ledger.write(LedgerBatch.of(incidents=[_fire(n)]))

    def desk_writes(n: int) -> None:
        d.take(report(f"r{n}", floor=n + 1))

    threads = [
        threading.Thread(target=run, args=(dispatch_writes,)),
        threading.Thread(target=run, args=(desk_writes,)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures
    assert not any(t.is_alive() for t in threads)
    result = verify(ledger.db, KEY)
    assert result.is_ok, result.problems
    actors = [r[0] for r in ledger.db.query("SELECT actor FROM audit_log ORDER BY seq")]
    assert actors.count("dispatch") == writes
    assert actors.count("resident") == writes  # each report opened its own hazard
    d.store.db.close()
    ledger.db.close()
