"""`firewatch audit verify` on the command line: read-only, exit codes 0 / 1 / 3 (README),
and a ledger from before the signed chain (migration 0004) upgraded in place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from alerts.ledger import Database, Ledger, verify
from alerts.ledger.audit_chain import GENESIS, entry_digest
from alerts.ledger.audit_keys import new_keyring_text, parse_keyring
from alerts.ledger.db import MIGRATIONS_DIR
from alerts.lifecycle import Action
from firewatch.cli import main
from runtime.clock import ManualClock

from .rig import DAY, build_rig, make_alert


def test_verify_never_creates_a_ledger(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "typo" / "ledger.db"
    assert main(["audit", "verify", "--database-url", f"sqlite:///{missing}"]) == 3
    assert f"no ledger at {missing}" in capsys.readouterr().err
    assert not missing.parent.exists()


async def test_verify_with_key_and_checkpoints_then_tampering(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/ledger.db"
    key_file, checkpoints = tmp_path / "audit.key", tmp_path / "checkpoints.jsonl"
    key_file.write_text(new_keyring_text())
    clock = ManualClock(DAY)
    ledger = Ledger(Database(url), parse_keyring(key_file.read_text()), checkpoints)
    rig = build_rig(url, clock, ledger=ledger)
    inc = await rig.alert(make_alert())
    assert inc is not None
    await rig.act(inc.incident_key, Action.ACKNOWLEDGE, "ste-m1", "console")
    assert ledger.audit.checkpoint() is not None
    argv = ["audit", "verify", "--database-url", url, "--key-file", str(key_file)]
    argv += ["--checkpoints", str(checkpoints)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith("1 checkpoints checked: ok"), out
    assert "warning" not in out
    with ledger.db.transaction():
        ledger.db.execute("UPDATE incidents SET station_id = 'st-west'")
    assert main(argv) == 1
    assert "edited outside the ledger" in capsys.readouterr().out
    other_key = tmp_path / "other.key"
    other_key.write_text(new_keyring_text())
    assert main([*argv[:5], str(other_key), *argv[6:]]) == 1  # the wrong key fails every MAC
    assert "MAC does not match" in capsys.readouterr().out
    rig.ledger.db.close()


def test_without_key_or_checkpoints_the_verdict_says_what_was_not_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/ledger.db"
    Ledger(Database(url)).db.close()
    assert main(["audit", "verify", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "warning: no --key-file" in out
    assert "warning: no checkpoints given" in out


def _legacy_ledger(tmp_path: Path) -> str:
    """A ledger as dispatch wrote it before 0004: migrations 1-2, unsigned entries, no images."""
    old = tmp_path / "old-migrations"
    old.mkdir()
    for name in ("0001_ledger.sql", "0002_audit.sql"):
        shutil.copy(MIGRATIONS_DIR / name, old / name)
    url = f"sqlite:///{tmp_path}/legacy.db"
    db = Database(url)
    db.migrate(old)
    prev = GENESIS
    with db.transaction():
        db.execute(
            "INSERT INTO commands (command_id, incident_key, action, compound_id, gateway_id,"
            " device_id, issued_at, deadline_at, state) VALUES"
            " ('c1', 'k1', 'cut_power', 'c001', 'gw', 'cp-1', 1.0, 11.0, 'pending')"
        )
        for seq in (1, 2):
            digest = entry_digest(prev, seq, 1.0, "dispatch", "x", "k1", "{}", None)
            db.execute(
                "INSERT INTO audit_log (seq, at, actor, action, subject, payload, prev_hash,"
                " hash) VALUES (?, 1.0, 'dispatch', 'x', 'k1', '{}', ?, ?)",
                (seq, prev, digest),
            )
            prev = digest
        db.execute("INSERT INTO audit_anchor (id, seq, hash) VALUES (1, 2, ?)", (prev,))
    db.close()
    return url


def test_a_legacy_ledger_is_adopted_on_upgrade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _legacy_ledger(tmp_path)
    assert main(["audit", "verify", "--database-url", url]) == 3  # read-only: no upgrade
    assert "start `firewatch dispatch` once to migrate" in capsys.readouterr().err
    keyring = parse_keyring(new_keyring_text())
    ledger = Ledger(Database(url), keyring)  # what dispatch does at start: migrate, adopt
    result = verify(ledger.db, keyring)
    assert result.is_ok, result.problems
    assert (result.entries, result.rows) == (3, 1)
    with ledger.db.transaction():
        ledger.db.execute("UPDATE commands SET state = 'confirmed'")
    assert verify(ledger.db, keyring).problems == [
        'commands ["c1"]: edited outside the ledger (differs from audit entry 3)'
    ]
    ledger.db.close()


async def test_a_rotated_key_signs_new_entries_and_the_old_key_still_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/ledger.db"
    key_file = tmp_path / "audit.key"
    key_file.write_text(new_keyring_text())
    old = parse_keyring(key_file.read_text())
    rig = build_rig(url, ManualClock(DAY), ledger=Ledger(Database(url), old))
    assert await rig.alert(make_alert()) is not None
    rig.ledger.db.close()
    assert main(["audit", "rotate-key", "--key-file", str(key_file)]) == 0
    assert "restart dispatch to use it" in capsys.readouterr().out
    rotated = parse_keyring(key_file.read_text())
    assert rotated.keys[1:] == old.keys  # the old key stays, below the new one
    rig = build_rig(url, ManualClock(DAY), ledger=Ledger(Database(url), rotated))
    assert await rig.alert(make_alert(device="sd-2")) is not None
    kids = {r[0] for r in rig.ledger.db.query("SELECT DISTINCT key_id FROM audit_log")}
    assert kids == {old.current_id, rotated.current_id}
    assert verify(rig.ledger.db, rotated).is_ok
    only_new = parse_keyring(key_file.read_text().splitlines()[0])
    assert any("MAC does not match" in p for p in verify(rig.ledger.db, only_new).problems)
    rig.ledger.db.close()


def test_rotate_key_creates_a_private_keyring_when_there_is_none(tmp_path: Path) -> None:
    key_file = tmp_path / "audit.key"
    assert main(["audit", "rotate-key", "--key-file", str(key_file)]) == 0
    assert len(parse_keyring(key_file.read_text()).keys) == 1
    assert key_file.stat().st_mode & 0o777 == 0o600
    key_file.write_text("k1:tooshort\n")
    assert main(["audit", "rotate-key", "--key-file", str(key_file)]) == 3  # never overwritten
    assert key_file.read_text() == "k1:tooshort\n"
