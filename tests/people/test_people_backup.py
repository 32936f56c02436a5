"""`firewatch ledger backup|restore` carries the people side's records (issue 18 item 4): a
ledger with hazards, their changes and reports, patrol check-ins, feed deliveries and the
people's work orders restores whole elsewhere, and `firewatch audit verify` passes on it; on
SQLite and on a real PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts.feeds.store import DeliveryLedger, Pending
from alerts.hazards.lifecycle import Command
from alerts.hazards.maintenance import ItemKind, MaintenanceItem
from alerts.ledger import Database
from events.hazards import HazardAction, HazardOwner, HazardSeverity, OwnerKind
from firewatch.cli import main
from runtime.clock import ManualClock
from tests import postgres

from .rig import START, checkin, desk, report

PEOPLE_TABLES = (
    "hazards",
    "hazard_transitions",
    "hazard_reports",
    "patrol_checkins",
    "feed_deliveries",
    "work_orders",
)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    # main() configures the root logger (handlers to stderr): put the test's back afterwards.
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _fill(url: str, tmp_path: Path) -> None:
    clock = ManualClock(START)
    d = desk(tmp_path, clock, db_url=url)
    (found,) = d.take(report("r1"))
    owner = HazardOwner(kind=OwnerKind.PROPERTY_COMPANY, name="物业公司")
    triage = Command(HazardAction.TRIAGE, severity=HazardSeverity.MAJOR, owner=owner)
    d.act(found.hazard_id, triage, "so-1", "api")
    d.take(checkin("c001-exits-b1-exit", START))
    now = clock.now()
    deliveries = DeliveryLedger(d.store.db, d.store.audit)
    deliveries.record(
        Pending("police", found.event_id, "hazard", "c001", 0, b'{"a": 1}'),
        is_ok=False,
        attempts=4,
        at=now,
        next_at=now,
        detail="HTTP 503",
    )
    d.items.open(
        MaintenanceItem("feed_failing:police", ItemKind.FEED_FAILING, "police", None, now, now, "x")
    )
    d.store.db.close()


def _dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    db = Database(url)
    try:
        return {t: sorted(db.query(f"SELECT * FROM {t}"), key=repr) for t in PEOPLE_TABLES}
    finally:
        db.close()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _drill(capsys: pytest.CaptureFixture[str], source: str, backup: Path, drill: str) -> None:
    code, out = _run(capsys, "ledger", "backup", str(backup), "--database-url", source)
    assert code == 0, out
    assert "hazard_transitions" in out
    code, out = _run(capsys, "ledger", "restore", str(backup), "--database-url", drill)
    assert code == 0, out
    restored = _dump(drill)
    assert restored == _dump(source)
    assert all(restored[t] for t in PEOPLE_TABLES), restored  # every table had rows to carry
    code, out = _run(capsys, "audit", "verify", "--database-url", drill)
    assert code == 0, out


def test_sqlite_backup_carries_hazards_patrols_and_feeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = f"sqlite:///{tmp_path}/ledger.db"
    _fill(source, tmp_path)
    _drill(capsys, source, tmp_path / "backup.db", f"sqlite:///{tmp_path}/drill/ledger.db")


@pytest.mark.integration
def test_postgres_backup_carries_hazards_patrols_and_feeds(
    pg_admin: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = postgres.fresh_database(pg_admin)
    _fill(source, tmp_path)
    _drill(capsys, source, tmp_path / "ledger.tar.gz", postgres.fresh_database(pg_admin))
