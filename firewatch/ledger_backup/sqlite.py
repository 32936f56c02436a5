"""SQLite ledgers: SQLite's online backup API, both ways.

The backup reads one consistent snapshot while dispatch keeps writing (WAL: readers never block
the writer) and is itself a plain SQLite file (journal mode DELETE: one file, nothing beside
it), checked with `PRAGMA integrity_check` before it replaces FILE.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alerts.ledger import Database
from firewatch.ledger_backup.schema import (
    MIGRATIONS_TABLE,
    BackupError,
    Summary,
    applied_migrations,
    check_known,
    is_empty,
    present_tables,
    summarize,
)

MAGIC = b"SQLite format 3\x00"


def is_sqlite_file(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(len(MAGIC)) == MAGIC


def _integrity(conn: sqlite3.Connection, what: Path) -> None:
    result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{what} is damaged (integrity_check: {result})")


def backup(db_path: Path, url: str, dest: Path) -> Summary:
    """Copy the ledger at `db_path` to `dest` (atomically: a temp file, then a rename)."""
    tmp = dest.with_name(f".{dest.name}.partial")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(db_path)
    try:
        out = sqlite3.connect(tmp)
        try:
            src.backup(out)  # all pages in one step: one read snapshot, the writer goes on
            out.execute("PRAGMA journal_mode=DELETE")
            _integrity(out, tmp)
        finally:
            out.close()
    finally:
        src.close()
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    tmp.replace(dest)
    return _summary_of(dest, url)


class ReadOnlyFile:
    """A SQLite file opened read-only (alerts' Database would switch it to WAL mode)."""

    is_postgres = False

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._conn.execute(sql, tuple(params)).fetchall()]

    def close(self) -> None:
        self._conn.close()


def _summary_of(path: Path, url: str) -> Summary:
    db = ReadOnlyFile(path)
    try:
        return summarize(db, url)
    finally:
        db.close()


def _check_backup(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        _integrity(conn, path)
    db = ReadOnlyFile(path)
    try:
        if MIGRATIONS_TABLE not in present_tables(db):
            raise BackupError(f"{path} is a SQLite file but not a Firewatch ledger backup")
        check_known(applied_migrations(db), f"the backup {path}")
    finally:
        db.close()


def restore(src: Path, db_path: Path, url: str, *, force: bool) -> Summary:
    """Replace the ledger at `db_path` with the backup `src`, then migrate it to this version."""
    _check_backup(src)
    if db_path.exists():
        db = Database(url)
        try:
            if not force and not is_empty(db):
                raise BackupError(
                    f"the ledger at {db_path} holds records: stop dispatch, then restore with"
                    " --force to replace them (back it up first)"
                )
        finally:
            db.close()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        contextlib.closing(sqlite3.connect(f"file:{src}?mode=ro", uri=True)) as source,
        contextlib.closing(sqlite3.connect(db_path)) as target,
    ):
        source.backup(target)
    db = Database(url)
    try:
        db.migrate()
        return summarize(db, url)
    finally:
        db.close()
