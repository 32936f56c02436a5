"""`firewatch ledger backup|restore` on SQLite and on a real PostgreSQL, as an operator runs a
restore drill: back up a ledger with cases in it, restore it elsewhere, `firewatch audit verify`
passes and every row is back; a ledger with records is never replaced without --force; a
damaged archive is refused; a backup someone edited restores, and the audit check catches it."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import sqlite3
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts.ledger import Database
from alerts.lifecycle import Action
from firewatch.cli import main
from firewatch.embedded.process import free_port
from firewatch.ledger_backup.schema import present_tables
from runtime.clock import ManualClock
from tests import postgres
from tests.alerts.rig import DAY, build_rig, make_alert


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    # main() configures the root logger (handlers to stderr): put the test's back afterwards.
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _fill(url: str, cases: int = 3, device: str = "sd") -> None:
    """A ledger as dispatch leaves it: fires raised, paged, acknowledged; all audited."""

    async def run() -> None:
        rig = build_rig(url, ManualClock(DAY))
        for i in range(cases):
            # A building each: fires in one building would join one incident.
            inc = await rig.alert(make_alert(device=f"{device}-{i}", building=f"b-{device}-{i}"))
            assert inc is not None
            rig.clock.advance(20)
            await rig.act(inc.incident_key, Action.ACKNOWLEDGE, "ste-m1", "console")
        rig.ledger.db.close()

    asyncio.run(run())


def _dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every ledger table, ordered, the migrations' timestamps included."""
    db = Database(url)
    try:
        return {t: sorted(db.query(f"SELECT * FROM {t}"), key=repr) for t in present_tables(db)}
    finally:
        db.close()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _verify(capsys: pytest.CaptureFixture[str], url: str) -> tuple[int, str]:
    return _run(capsys, "audit", "verify", "--database-url", url)


# --- SQLite -------------------------------------------------------------------------------


def test_sqlite_backup_restores_every_row_and_the_audit_chain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = f"sqlite:///{tmp_path}/ledger.db"
    _fill(source)
    backup, drill = tmp_path / "ledger-backup.db", f"sqlite:///{tmp_path}/drill/ledger.db"
    code, out = _run(capsys, "ledger", "backup", str(backup), "--database-url", source)
    assert code == 0, out
    assert "incidents" in out
    assert not backup.with_name(backup.name + "-wal").exists()  # one self-contained file
    code, out = _run(capsys, "ledger", "restore", str(backup), "--database-url", drill)
    assert code == 0, out
    assert _dump(drill) == _dump(source)
    assert _dump(drill)["audit_log"], "the drill restored an empty audit log"
    code, out = _verify(capsys, drill)
    assert code == 0, out
    assert "checkpoints checked: ok" in out


def test_sqlite_backup_is_consistent_while_dispatch_holds_a_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = f"sqlite:///{tmp_path}/ledger.db"
    _fill(source, cases=1)
    before = _dump(source)
    writer = sqlite3.connect(tmp_path / "ledger.db")
    writer.execute("BEGIN IMMEDIATE")  # an uncommitted write, as dispatch mid-transaction
    writer.execute("DELETE FROM audit_log")
    try:
        code, out = _run(
            capsys, "ledger", "backup", str(tmp_path / "b.db"), "--database-url", source
        )
    finally:
        writer.rollback()
        writer.close()
    assert code == 0, out
    restored = f"sqlite:///{tmp_path}/r.db"
    assert (
        _run(capsys, "ledger", "restore", str(tmp_path / "b.db"), "--database-url", restored)[0]
        == 0
    )
    assert _dump(restored) == before  # the committed state, not the half-done write


def test_a_ledger_with_records_is_replaced_only_with_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, live = f"sqlite:///{tmp_path}/old.db", f"sqlite:///{tmp_path}/live.db"
    _fill(old, cases=1)
    _fill(live, cases=3)
    backup = tmp_path / "old-backup.db"
    assert _run(capsys, "ledger", "backup", str(backup), "--database-url", old)[0] == 0
    live_rows = _dump(live)
    code, out = _run(capsys, "ledger", "restore", str(backup), "--database-url", live)
    assert code == 3
    assert "holds records" in out
    assert "--force" in out
    assert _dump(live) == live_rows  # untouched
    code, out = _run(capsys, "ledger", "restore", str(backup), "--database-url", live, "--force")
    assert code == 0, out
    assert _dump(live) == _dump(old)


def test_backup_never_replaces_an_existing_file_unforced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = f"sqlite:///{tmp_path}/ledger.db"
    _fill(source, cases=1)
    target = tmp_path / "backup.db"
    target.write_bytes(b"last week's backup")
    code, out = _run(capsys, "ledger", "backup", str(target), "--database-url", source)
    assert code == 3
    assert "exists" in out
    assert target.read_bytes() == b"last week's backup"
    assert (
        _run(capsys, "ledger", "backup", str(target), "--database-url", source, "--force")[0] == 0
    )
    assert target.read_bytes().startswith(b"SQLite format 3")


def test_an_edited_sqlite_backup_restores_and_the_audit_check_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = f"sqlite:///{tmp_path}/ledger.db"
    _fill(source)
    backup = tmp_path / "backup.db"
    assert _run(capsys, "ledger", "backup", str(backup), "--database-url", source)[0] == 0
    with sqlite3.connect(backup) as conn:  # someone rewrites history in the backup
        conn.execute("UPDATE audit_log SET actor = 'nobody' WHERE seq = 3")
    drill = f"sqlite:///{tmp_path}/drill.db"
    assert _run(capsys, "ledger", "restore", str(backup), "--database-url", drill)[0] == 0
    code, out = _verify(capsys, drill)
    assert code == 1
    assert "entry 3" in out


def test_restore_names_what_is_wrong_with_the_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    target = f"sqlite:///{tmp_path}/t.db"
    code, out = _run(capsys, "ledger", "restore", str(junk), "--database-url", target)
    assert code == 3
    assert "neither a SQLite ledger backup nor a PostgreSQL ledger archive" in out
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    code, out = _run(capsys, "ledger", "restore", str(other), "--database-url", target)
    assert code == 3
    assert "not a Firewatch ledger backup" in out
    code, out = _run(
        capsys, "ledger", "restore", str(tmp_path / "missing.db"), "--database-url", target
    )
    assert code == 3
    assert "no backup at" in out


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.fixture
def pg_source(pg_admin: str) -> str:
    url = postgres.fresh_database(pg_admin)
    _fill(url)
    return url


def _archive_members(path: Path) -> dict[str, bytes]:
    members = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar.getmembers():
            data = tar.extractfile(member)
            if data is not None:
                members[member.name] = data.read()
    return members


def _write_archive(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


@pytest.mark.integration
def test_postgres_backup_restores_every_row_and_the_audit_chain(
    pg_admin: str, pg_source: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "ledger.tar.gz"
    code, out = _run(capsys, "ledger", "backup", str(archive), "--database-url", pg_source)
    assert code == 0, out
    assert "postgresql://postgres@" in out  # named, with no password to hide here
    drill = postgres.fresh_database(pg_admin)
    code, out = _run(capsys, "ledger", "restore", str(archive), "--database-url", drill)
    assert code == 0, out
    assert _dump(drill) == _dump(pg_source)
    code, out = _verify(capsys, drill)
    assert code == 0, out
    assert "checkpoints checked: ok" in out


@pytest.mark.integration
def test_postgres_restore_replaces_records_only_with_force(
    pg_admin: str, pg_source: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "ledger.tar.gz"
    assert _run(capsys, "ledger", "backup", str(archive), "--database-url", pg_source)[0] == 0
    live = postgres.fresh_database(pg_admin)
    _fill(live, cases=1)
    live_rows = _dump(live)
    code, out = _run(capsys, "ledger", "restore", str(archive), "--database-url", live)
    assert code == 3
    assert "holds records" in out
    assert _dump(live) == live_rows
    code, out = _run(capsys, "ledger", "restore", str(archive), "--database-url", live, "--force")
    assert code == 0, out
    assert _dump(live) == _dump(pg_source)
    # The restored ledger takes new cases: ids and the audit chain continue after the backup's.
    _fill(live, cases=1, device="after-restore")
    assert _verify(capsys, live)[0] == 0


@pytest.mark.integration
def test_a_damaged_postgres_archive_is_refused_and_an_edited_one_is_caught(
    pg_admin: str, pg_source: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "ledger.tar.gz"
    assert _run(capsys, "ledger", "backup", str(archive), "--database-url", pg_source)[0] == 0
    members = _archive_members(archive)
    csv = members["tables/audit_log.csv"].decode()
    edited = csv.replace("ste-m1", "nobody", 1).encode()
    assert edited != members["tables/audit_log.csv"]
    damaged = tmp_path / "damaged.tar.gz"
    _write_archive(damaged, {**members, "tables/audit_log.csv": edited})
    drill = postgres.fresh_database(pg_admin)
    code, out = _run(capsys, "ledger", "restore", str(damaged), "--database-url", drill)
    assert code == 3
    assert "audit_log.csv does not match its checksum" in out
    # Someone who also rewrites the manifest gets past the checksum, not past the audit chain.
    manifest = json.loads(members["manifest.json"])
    manifest["tables"]["audit_log"]["sha256"] = hashlib.sha256(edited).hexdigest()
    resealed = tmp_path / "resealed.tar.gz"
    _write_archive(
        resealed,
        {
            **members,
            "manifest.json": json.dumps(manifest).encode(),
            "tables/audit_log.csv": edited,
        },
    )
    code, out = _run(capsys, "ledger", "restore", str(resealed), "--database-url", drill)
    assert code == 0, out
    code, out = _verify(capsys, drill)
    assert code == 1
    assert "content does not match its hash" in out


@pytest.mark.integration
def test_backups_restore_only_into_their_own_engine(
    pg_admin: str, pg_source: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "ledger.tar.gz"
    assert _run(capsys, "ledger", "backup", str(archive), "--database-url", pg_source)[0] == 0
    code, out = _run(
        capsys, "ledger", "restore", str(archive), "--database-url", f"sqlite:///{tmp_path}/x.db"
    )
    assert code == 3
    assert "PostgreSQL backup" in out
    sqlite_url = f"sqlite:///{tmp_path}/s.db"
    _fill(sqlite_url, cases=1)
    assert (
        _run(capsys, "ledger", "backup", str(tmp_path / "s.bak"), "--database-url", sqlite_url)[0]
        == 0
    )
    code, out = _run(
        capsys, "ledger", "restore", str(tmp_path / "s.bak"), "--database-url", pg_admin
    )
    assert code == 3
    assert "SQLite backup" in out


def test_an_unreachable_database_is_exit_4_without_its_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql://firewatch:s3cret-pw@127.0.0.1:{free_port()}/firewatch"
    code, out = _run(capsys, "ledger", "backup", str(tmp_path / "b.tar.gz"), "--database-url", url)
    assert code == 4
    assert "cannot connect" in out
    assert "s3cret-pw" not in out
    assert not (tmp_path / "b.tar.gz").exists()
