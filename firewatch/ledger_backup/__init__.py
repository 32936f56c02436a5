"""Back up and restore the dispatch ledger (台账), SQLite or PostgreSQL, online.

A backup is taken while dispatch runs (one consistent snapshot). A restore refuses to replace
a ledger that holds records unless forced, and leaves the ledger migrated to this version.
After a restore, `firewatch audit verify` proves the audit chain came back intact
(docs/OPERATIONS.md, "Backups and restore drills").
"""

from __future__ import annotations

from pathlib import Path

from firewatch.ledger_backup import postgres, sqlite
from firewatch.ledger_backup.schema import (
    BackupError,
    Summary,
    applied_migrations,
    check_known,
    masked,
)

__all__ = ["BackupError", "Summary", "backup", "restore"]


def _sqlite_path(url: str) -> Path | None:
    """The file of a sqlite:/// URL: the rule of alerts.ledger.db (None for :memory:)."""
    if not url.startswith("sqlite://"):
        return None
    path = url.removeprefix("sqlite://").removeprefix("/")
    return None if path in ("", ":memory:") else Path(path)


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def backup(url: str, dest: Path, *, force: bool = False) -> Summary:
    """Write a backup of the ledger at `url` to `dest` (refuses to replace a file unforced)."""
    if dest.exists() and not force:
        raise BackupError(f"{dest} exists: choose a new name or pass --force to replace it")
    if _is_postgres(url):
        _check_source_version(url)
        return postgres.backup(url, dest)
    path = _sqlite_path(url)
    if path is None:
        raise BackupError(f"cannot back up {masked(url)}: sqlite:///PATH or postgresql:// only")
    if not path.is_file():
        raise BackupError(f"no ledger at {path} ({url})")
    _check_source_version(url)
    return sqlite.backup(path, url, dest)


def _check_source_version(url: str) -> None:
    from alerts.ledger import Database  # noqa: PLC0415 - keeps `--help` fast

    db = Database(url)
    try:
        migrations = applied_migrations(db)
        if not migrations:
            raise BackupError(f"{masked(url)} is not a Firewatch ledger (no migrations applied)")
        check_known(migrations, f"the ledger at {masked(url)}")
    finally:
        db.close()


def restore(src: Path, url: str, *, force: bool = False) -> Summary:
    """Replace the ledger at `url` with the backup `src` (SQLite file or PostgreSQL archive)."""
    if not src.is_file():
        raise BackupError(f"no backup at {src}")
    if sqlite.is_sqlite_file(src):
        path = _sqlite_path(url)
        if path is None:
            raise BackupError(f"{src} is a SQLite backup: restore it into sqlite:///PATH")
        return sqlite.restore(src, path, url, force=force)
    if postgres.is_archive(src):
        if not _is_postgres(url):
            raise BackupError(f"{src} is a PostgreSQL backup: restore it into postgresql://")
        return postgres.restore(src, url, force=force)
    raise BackupError(f"{src} is neither a SQLite ledger backup nor a PostgreSQL ledger archive")
