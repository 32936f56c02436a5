"""An insider with database access tries to rewrite the ledger; `audit verify` catches each try,
on SQLite and on a real PostgreSQL (issue 12.5), in dispatch's tables and in the people side's
(hazards, their changes and reports, patrol check-ins, feed deliveries, their work orders:
issue 18 item 4), written from their own connection as the hazard desk and feeds do.

The insider has the database, not the HMAC key (kept on the dispatch host) and not the
checkpoint file or topic. Every test builds a real history through the dispatcher, checks it
verifies clean, tampers once, and asserts the finding that names the tampering.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from alerts.feeds.store import DeliveryLedger, Pending
from alerts.hazards.desk import HazardDesk
from alerts.hazards.ledger_audit import FEEDS, join_audit
from alerts.hazards.lifecycle import Command
from alerts.hazards.maintenance import ItemKind, MaintenanceItem, MaintenanceItems
from alerts.hazards.patrols import load_patrols
from alerts.hazards.policy import HazardPolicy
from alerts.hazards.store import HazardStore
from alerts.ledger import Database, Ledger, verify
from alerts.ledger.audit_chain import Entry, entry_digest
from alerts.ledger.audit_checkpoints import Checkpoint, read_checkpoint_file
from alerts.ledger.audit_keys import Keyring, parse_keyring
from alerts.ledger.audit_verify import VerifyResult
from alerts.lifecycle import Action, Outcome
from alerts.registry import EXAMPLE_DIR, load_registry
from events.alerts import AlertKind, LinkageAction, LinkageRequest
from events.hazards import HazardAction, HazardOwner, HazardSeverity, OwnerKind
from runtime.clock import ManualClock
from tests.alerts.rig import DAY, Rig, build_rig, make_alert
from tests.people.rig import FakeShelf, checkin, report

pytestmark = pytest.mark.integration

KEY = parse_keyring("k1:" + "ab" * 32)
CUT = LinkageRequest(
    action=LinkageAction.CUT_POWER, device_id="cp-1", gateway_id="gw-1", reason="runaway"
)


@dataclass
class Signed:
    rig: Rig
    checkpoints: Path

    @property
    def db(self) -> Database:
        return self.rig.ledger.db

    def verify(self, keyring: Keyring | None = KEY) -> VerifyResult:
        return verify(self.db, keyring, read_checkpoint_file(self.checkpoints))

    def problems(self) -> list[str]:
        return self.verify().problems

    def sql(self, statement: str, params: tuple[object, ...] = ()) -> None:
        with self.db.transaction():
            self.db.execute(statement, params)

    def entries(self) -> list[Entry]:
        rows = self.db.query(
            "SELECT seq, at, actor, action, subject, payload, prev_hash, hash, row_images,"
            " key_id, mac FROM audit_log ORDER BY seq"
        )
        return [Entry.from_row(r) for r in rows]


@pytest.fixture
async def signed(db_url: str, tmp_path: Path) -> AsyncIterator[Signed]:
    clock = ManualClock(DAY)
    checkpoints = tmp_path / "audit-checkpoints.jsonl"
    ledger = Ledger(Database(db_url), KEY, checkpoints, now=lambda: clock.now().timestamp())
    rig = build_rig(db_url, clock, ledger=ledger)
    s = Signed(rig, checkpoints)
    await _history(s, db_url)
    yield s
    rig.ledger.db.close()


async def _history(s: Signed, db_url: str) -> None:
    """Pages, a linkage command and its task, a work order, transitions, the people side's
    records; checkpoints half way and at the end."""
    rig = s.rig
    fire = await rig.alert(make_alert())
    assert fire is not None
    rig.clock.advance(20)
    await rig.act(fire.incident_key, Action.ACKNOWLEDGE, "ste-m1", "console")
    assert rig.ledger.audit.checkpoint() is not None
    # A charging port outside any building: an incident of its own, with a power-cut task.
    runaway = await rig.alert(
        make_alert(AlertKind.THERMAL_RUNAWAY, device="cp-1", building=None, linkage=(CUT,))
    )
    assert runaway is not None
    assert await rig.alert(make_alert(AlertKind.LOW_BATTERY, device="sd-3")) is None  # 维保
    rig.clock.advance(100)
    await rig.act(fire.incident_key, Action.ON_SCENE, "ste-m1", "terminal")
    _people(rig, db_url)
    assert rig.ledger.audit.checkpoint() is not None


def _people(rig: Rig, db_url: str) -> None:
    """The hazard desk and the feeds on their own connection, signed with the same key: a
    hazard triaged and assigned, a patrol check-in, a feed delivery waiting and its failing
    feed's work order."""
    db = Database(db_url)
    audit = join_audit(db, KEY)
    registry = load_registry(EXAMPLE_DIR)
    desk = HazardDesk(
        registry,
        load_patrols(EXAMPLE_DIR, registry),
        HazardStore(db, audit),
        MaintenanceItems(db, audit),
        HazardPolicy(),
        rig.clock,
        FakeShelf(),
    )
    (found,) = desk.take(report("r1", at=rig.clock.now()))
    desk.published(found)
    owner = HazardOwner(kind=OwnerKind.PROPERTY_COMPANY, name="property")
    triage = Command(HazardAction.TRIAGE, severity=HazardSeverity.MAJOR, owner=owner)
    desk.act(found.hazard_id, triage, "so-1", "hazard-api")
    desk.act(found.hazard_id, Command(HazardAction.ASSIGN, assignee="property"), "so-1", "api")
    desk.take(checkin("c001-exits-b1-exit", rig.clock.now()))
    now = rig.clock.now()
    pending = Pending("police", found.event_id, "hazard", "c001", 0, b"{}")
    DeliveryLedger(db, audit).record(
        pending, is_ok=False, attempts=4, at=now, next_at=now, detail="HTTP 503"
    )
    failing = MaintenanceItem(
        "feed_failing:police", ItemKind.FEED_FAILING, "police", None, now, now, "3 failed"
    )
    assert MaintenanceItems(db, audit, actor=FEEDS).open(failing)
    db.close()


def _one(problems: list[str], fragment: str) -> None:
    assert any(fragment in p for p in problems), problems


async def test_an_untouched_ledger_verifies_with_every_table_and_checkpoint(
    signed: Signed,
) -> None:
    result = signed.verify()
    assert result.is_ok, result.problems
    assert result.checkpoints == 2
    counts = {
        name: signed.db.query(f"SELECT COUNT(*) FROM {name}")[0][0]
        for name in (
            "incidents",
            "incident_conditions",
            "incident_tasks",
            "transitions",
            "notifications",
            "commands",
            "work_orders",
            "hazards",
            "hazard_transitions",
            "hazard_reports",
            "patrol_checkins",
            "feed_deliveries",
        )
    }
    assert all(n > 0 for n in counts.values()), counts  # every table has rows to protect
    assert result.rows == sum(counts.values())


async def test_an_edited_entry_is_caught(signed: Signed) -> None:
    signed.sql("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3")
    _one(signed.problems(), "entry 3: content does not match its hash (edited)")


@pytest.mark.parametrize(
    ("table", "edit"),
    [
        ("incidents", "UPDATE incidents SET state = 'resolved'"),
        ("transitions", "UPDATE transitions SET actor = 'ste-m9' WHERE id = 1"),
        ("notifications", "UPDATE notifications SET is_ok = 1 - is_ok"),
        ("commands", "UPDATE commands SET state = 'confirmed'"),
        ("incident_conditions", "UPDATE incident_conditions SET severity = 'P3'"),
        ("incident_tasks", "UPDATE incident_tasks SET state = 'confirmed'"),
        ("work_orders", "UPDATE work_orders SET state = 'done'"),
        ("hazards", "UPDATE hazards SET deadline_at = deadline_at + 86400"),  # more time
        ("hazard_transitions", "UPDATE hazard_transitions SET actor = 'so-9'"),
        ("hazard_reports", "UPDATE hazard_reports SET compound_id = 'c-north'"),
        ("patrol_checkins", "UPDATE patrol_checkins SET member_id = 'gw-9'"),
        ("feed_deliveries", "UPDATE feed_deliveries SET state = 'delivered'"),
        ("work_orders", "UPDATE work_orders SET state = 'done' WHERE kind = 'feed_failing'"),
    ],
)
async def test_an_edit_to_any_ledger_table_is_caught(signed: Signed, table: str, edit: str) -> None:
    signed.sql(edit)
    _one(signed.problems(), "edited outside the ledger")
    assert all(p.startswith(table) for p in signed.problems()), signed.problems()


async def test_rows_deleted_or_added_outside_the_ledger_are_caught(signed: Signed) -> None:
    signed.sql("DELETE FROM notifications WHERE channel = 'console'")
    _one(signed.problems(), "deleted outside the ledger")
    signed.sql("DELETE FROM incident_tasks")  # a failed power cut made to vanish
    _one(signed.problems(), 'incident_tasks ["c001/device:cp-1@')
    signed.sql(
        "INSERT INTO transitions (id, incident_key, action, from_state, to_state, actor, at,"
        " source, detail) VALUES (999, 'k', 'resolve', 'open', 'resolved', 'x', 0, 'sql', '')"
    )
    _one(signed.problems(), "transitions [999]: added outside the ledger")
    signed.sql("DELETE FROM hazard_transitions WHERE action = 'assign'")  # never assigned
    _one(signed.problems(), 'hazard_transitions ["')
    signed.sql(
        "INSERT INTO patrol_checkins (checkin_id, round_id, checkpoint_id, compound_id,"
        " member_id, at, is_ok, note, received_via) VALUES ('ck-forged', 'c001-exits',"
        " 'c001-exits-b2-exit', 'c001', 'gw-1', 0, 1, '', 'sql')"
    )
    _one(signed.problems(), 'patrol_checkins ["ck-forged"]: added outside the ledger')


async def test_a_deleted_entry_in_the_middle_is_caught(signed: Signed) -> None:
    signed.sql("DELETE FROM audit_log WHERE seq = 4")
    _one(signed.problems(), "entries 4..4 are missing (deleted)")


async def test_truncation_at_the_newest_end_is_caught_by_the_checkpoint(signed: Signed) -> None:
    entries = signed.entries()
    keep = entries[-4]  # the insider cuts the last three entries and fixes the head anchor
    signed.sql("DELETE FROM audit_log WHERE seq > ?", (keep.seq,))
    signed.sql("UPDATE audit_anchor SET seq = ?, hash = ? WHERE id = 1", (keep.seq, keep.hash))
    _one(signed.problems(), "(truncated at the newest end)")


async def test_truncation_at_the_oldest_end_is_caught(signed: Signed) -> None:
    entries = signed.entries()
    cut = entries[2]  # entries 1..3 go; the base anchor is set to make the chain look whole
    signed.sql("DELETE FROM audit_log WHERE seq <= ?", (cut.seq,))
    signed.sql("INSERT INTO audit_anchor (id, seq, hash) VALUES (0, ?, ?)", (cut.seq, cut.hash))
    problems = signed.problems()
    _one(problems, "removed without a retention record (truncated at the oldest end)")
    assert not any("are missing" in p for p in problems)  # the chain itself looks intact


def _recompute_from(s: Signed, entries: list[Entry], start: int) -> None:
    """What an insider without the key can do: rebuild every hash after an edit."""
    prev = entries[start - 2].hash if start > 1 else "0" * 64
    for e in entries[start - 1 :]:
        digest = entry_digest(
            prev, e.seq, e.at, e.actor, e.action, e.subject, e.payload, e.row_images
        )
        s.sql("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, e.seq))
        prev = digest
    s.sql("UPDATE audit_anchor SET hash = ? WHERE id = 1", (prev,))


async def test_a_recomputed_chain_fails_its_macs(signed: Signed) -> None:
    entries = signed.entries()
    target = next(e for e in entries if e.action == "acknowledge")
    payload = json.loads(target.payload) | {"detail": "acknowledged by the chief"}
    signed.sql("UPDATE audit_log SET payload = ? WHERE seq = ?", (json.dumps(payload), target.seq))
    entries = signed.entries()
    _recompute_from(signed, entries, target.seq)
    # Without the key the rebuilt chain passes: that is what the key is for.
    without_key = signed.verify(keyring=None)
    assert not any("hash" in p or "MAC" in p for p in without_key.problems), without_key.problems
    problems = signed.problems()
    _one(problems, f"entry {target.seq}: MAC does not match")
    _one(problems, "differs from its checkpoint (chain rewritten)")


async def test_stripped_signatures_are_caught(signed: Signed) -> None:
    signed.sql("UPDATE audit_log SET mac = NULL, key_id = NULL WHERE seq > 3")
    problems = signed.problems()
    _one(problems, "entry 4: not signed")
    _one(problems, "is not signed")


async def test_a_forged_checkpoint_is_named(signed: Signed) -> None:
    head = signed.entries()[-1]
    forged = Checkpoint(seq=head.seq + 5, hash="f" * 64, at=0, key_id="k1", mac="0" * 64)
    with signed.checkpoints.open("a") as f:
        f.write(forged.line())
    problems = signed.problems()
    assert problems == [f"checkpoint of entry {head.seq + 5}: MAC does not match (forged)"]


async def test_retention_keeps_the_chain_checkable_and_rows_covered(signed: Signed) -> None:
    rig = signed.rig
    fire = rig.ledger.open_incidents()[0]
    await rig.act(fire.incident_key, Action.RESOLVE, "ste-m1", "c", Outcome.TEST)
    rig.clock.advance(400 * 86_400)
    late = await rig.alert(make_alert(device="sd-9"))
    assert late is not None
    counts = rig.ledger.purge_before(rig.clock.now() - timedelta(days=365))
    assert counts["incidents"] == 1
    assert counts["audit_log"] > 0
    assert rig.ledger.audit.checkpoint() is not None
    assert signed.verify().is_ok, signed.problems()
    # The thermal-runaway incident is still open; its rows were last written in purged
    # entries, so their digests now come from the retention entry: still protected.
    signed.sql("UPDATE commands SET state = 'confirmed'")
    _one(signed.problems(), "commands")
    _one(signed.problems(), "edited outside the ledger")


async def test_a_table_outside_the_audit_is_named(signed: Signed) -> None:
    signed.sql("CREATE TABLE side_notes (id INTEGER PRIMARY KEY, note TEXT)")
    assert signed.problems() == [
        "table side_notes is not covered by the audit (add it to AUDITED_TABLES)"
    ]
