"""Migration 0007 (incidents v2) on a fresh ledger and on one upgraded from the previous
release, which recorded 0001-0006 with 0003 as the placeholder `reserved_incidents`: both end
with the v2 tables, the v1 incidents kept and copied, and an audit chain that verifies and
still catches an edit, of the kept v1 rows too."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from alerts.errors import LedgerError
from alerts.ledger import Database, Ledger, verify
from alerts.ledger.audit import AuditLog
from alerts.ledger.audit_keys import parse_keyring
from alerts.ledger.db import MIGRATIONS_DIR
from alerts.lifecycle import Action
from runtime.clock import ManualClock

from .rig import DAY, build_rig

KEY = parse_keyring("k1:" + "cd" * 32)
V1_KEY = "c001/b1/fire/sd-1"
V2_TABLES = {"incidents", "incident_conditions", "incident_tasks", "work_orders", "incidents_v1"}


def _migrations_up_to(tmp_path: Path, last: int) -> Path:
    directory = tmp_path / f"migrations-{last}"
    directory.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql"))[:last]:
        (directory / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return directory


def _previous_release(tmp_path: Path) -> str:
    """A ledger as the previous release's dispatch left it: migrations 1-6 (3 the placeholder),
    a signed chain, one v1 incident with a transition, a console session."""
    url = f"sqlite:///{tmp_path}/previous.db"
    db = Database(url)
    applied = db.migrate(_migrations_up_to(tmp_path, 6))
    audit = AuditLog(db, KEY, adopt_migrations=applied, now=DAY.timestamp)
    at = DAY.timestamp()
    with db.transaction():
        db.execute(
            "INSERT INTO incidents (incident_key, alert_key, kind, severity, state, compound_id,"
            " building_id, device_id, station_id, summary, dispatch_reason, revision, opened_at,"
            " is_muted, confirmations, fired_steps, delivery_failures) VALUES (?, ?, 'fire',"
            " 'P1', 'dispatched', 'c001', 'b1', 'sd-1', 'st-east', 'smoke in 101',"
            " 'nearest by distance', 1, ?, 0, '[\"sd-1\"]', '[\"p1-page\"]', 0)",
            (V1_KEY, V1_KEY, at),
        )
        db.execute(
            "INSERT INTO transitions (id, incident_key, action, from_state, to_state, actor, at,"
            " source, detail) VALUES (1, ?, 'dispatch', 'raised', 'dispatched', 'dispatch', ?,"
            " 'dispatch', 'st-east')",
            (V1_KEY, at),
        )
        rows = [("incidents", (V1_KEY,)), ("transitions", (1,))]
        audit.append(at, "dispatch", "dispatch", V1_KEY, {"to": "dispatched"}, rows)
        db.execute(
            "INSERT INTO console_sessions (token_sha256, member_id, created_at, expires_at)"
            " VALUES ('t', 'ste-m1', ?, ?)",
            (at, at + 3600),
        )
    assert verify(db, KEY).is_ok
    db.close()
    return url


def _tables(db: Database) -> set[str]:
    return {r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _versions(db: Database) -> list[tuple[int, str]]:
    return [(int(v), str(n)) for v, n in db.query("SELECT version, name FROM schema_migrations")]


def test_a_fresh_ledger_gets_the_v2_schema_after_the_placeholder(tmp_path: Path) -> None:
    ledger = Ledger(Database(f"sqlite:///{tmp_path}/fresh.db"), KEY)
    versions = _versions(ledger.db)
    assert versions[2] == (3, "reserved_incidents")
    assert versions[6] == (7, "incidents_v2")  # later migrations follow it
    assert _tables(ledger.db) >= V2_TABLES
    assert verify(ledger.db, KEY).is_ok
    ledger.db.close()


async def test_the_previous_release_upgrades_to_v2_and_keeps_its_records(tmp_path: Path) -> None:
    url = _previous_release(tmp_path)
    ledger = Ledger(Database(url), KEY)  # what dispatch does at start: migrate, adopt
    assert _versions(ledger.db)[6] == (7, "incidents_v2")
    assert _tables(ledger.db) >= V2_TABLES
    result = verify(ledger.db, KEY)
    assert result.is_ok, result.problems
    (inc,) = ledger.open_incidents()
    assert (inc.incident_key, inc.place.key, inc.station_id) == (
        V1_KEY,
        "c001/building:b1",
        "st-east",
    )
    assert list(inc.conditions) == [V1_KEY]  # its resolution still unlatches it in the worker
    rig = build_rig(url, ManualClock(DAY), ledger=ledger)
    await rig.act(V1_KEY, Action.ACKNOWLEDGE)  # dispatch carries on with it
    assert verify(ledger.db, KEY).is_ok
    with ledger.db.transaction():  # the kept v1 record is protected like every other row
        ledger.db.execute("UPDATE incidents_v1 SET station_id = 'st-west'")
    assert verify(ledger.db, KEY).problems == [
        f'incidents_v1 ["{V1_KEY}"]: edited outside the ledger (differs from audit entry 3)'
    ]
    ledger.db.close()


def test_a_ledger_that_recorded_another_migration_under_a_number_is_refused(
    tmp_path: Path,
) -> None:
    """A build of the unmerged incidents branch recorded 3 as incidents_v2: this release would
    run 0007 over it. Refused by name, never half-migrated."""
    path = tmp_path / "branch.db"
    db = Database(f"sqlite:///{path}")
    db.migrate(_migrations_up_to(tmp_path, 3))
    db.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_migrations SET name = 'incidents_v2' WHERE version = 3")
    with pytest.raises(LedgerError, match=r"recorded as 'incidents_v2'.*0003 is 'reserved_"):
        Database(f"sqlite:///{path}").migrate()
