"""`firewatch ledger backup|restore`, and opening an existing ledger for the read-only commands
(`report`, `audit verify`).

Backups are online (dispatch keeps running); a restore refuses to replace a ledger that holds
records without --force (firewatch.ledger_backup). The read-only commands never create
one: a mistyped SQLite path used to become an empty ledger that "verified ok" (issue #14).
SQLite must exist as a file; on either engine the migrations must all be applied (a
PostgreSQL database without the ledger tables is an error, not a new ledger).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from firewatch.commands.common import CONTEXT_SETTINGS, cli_of
from firewatch.commands.failures import InputError, Unreachable

if TYPE_CHECKING:
    from alerts.ledger import Database


def sqlite_path(url: str) -> Path | None:
    """The file of a sqlite:/// URL (the same rule as alerts.ledger.db), None for others."""
    if not url.startswith("sqlite://"):
        return None
    path = url.removeprefix("sqlite://").removeprefix("/")
    return None if path in ("", ":memory:") else Path(path)


def open_existing(url: str) -> Database:
    from alerts.errors import LedgerError
    from alerts.ledger import Database
    from alerts.ledger.db import MIGRATIONS_DIR

    path = sqlite_path(url)
    if path is not None and not path.is_file():
        raise InputError(f"no ledger at {path} ({url}): check --database-url")
    try:
        db = Database(url)
    except LedgerError as exc:
        raise Unreachable(str(exc)) from None
    expected = len(list(MIGRATIONS_DIR.glob("*.sql")))
    try:
        applied = len(db.query("SELECT version FROM schema_migrations"))
    except Exception:  # sqlite3/psycopg errors alike: the table is not there
        db.close()
        raise InputError(f"{url} is not a Firewatch ledger (no schema_migrations table)") from None
    if applied < expected:
        db.close()
        raise InputError(
            f"the ledger at {url} has {applied} of {expected} migrations: "
            "start `firewatch dispatch` once to migrate it"
        )
    return db


@click.group(
    "ledger",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch ledger backup /backups/ledger-$(date +%F).db\n"
    "  firewatch ledger restore /backups/ledger-2026-12-01.db --database-url sqlite:///drill.db",
)
def command() -> None:
    """Back up and restore the dispatch ledger (SQLite or PostgreSQL)."""


_URL_HELP = "Default: FIREWATCH_DISPATCH__DATABASE_URL."


def _url(ctx: click.Context, database_url: str | None) -> str:
    return database_url or cli_of(ctx).settings().dispatch.database_url.get_secret_value()


@command.command(
    "backup",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch ledger backup ledger-backup.db\n"
    "  firewatch ledger backup ledger.tar.gz --database-url postgresql://fw@db/firewatch",
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--database-url", help=_URL_HELP)
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@click.pass_context
def backup_command(ctx: click.Context, file: Path, database_url: str | None, force: bool) -> int:
    """Write a consistent copy of the ledger to FILE while dispatch keeps running.

    SQLite: a SQLite file (online backup API). PostgreSQL: a gzip'd archive of every ledger
    table (COPY in one snapshot) with a checksummed manifest.
    """
    from alerts.errors import LedgerError
    from firewatch.ledger_backup import BackupError, backup

    try:
        summary = backup(_url(ctx, database_url), file, force=force)
    except BackupError as exc:
        raise InputError(str(exc)) from None
    except LedgerError as exc:  # the database did not answer
        raise Unreachable(str(exc)) from None
    print(f"backup written to {file}")
    print("\n".join(summary.lines()))
    return 0


@command.command(
    "restore",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch ledger restore ledger-backup.db --database-url"
    " sqlite:///drill.db\n  firewatch ledger restore ledger.tar.gz --force\n"
    "  firewatch audit verify --database-url sqlite:///drill.db",
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--database-url", help=_URL_HELP)
@click.option("--force", is_flag=True, help="Replace a ledger that holds records.")
@click.pass_context
def restore_command(ctx: click.Context, file: Path, database_url: str | None, force: bool) -> int:
    """Replace the ledger with the backup FILE, migrated to this version; then run
    `firewatch audit verify`. Stop dispatch first."""
    from alerts.errors import LedgerError
    from firewatch.ledger_backup import BackupError, restore

    url = _url(ctx, database_url)
    try:
        summary = restore(file, url, force=force)
    except BackupError as exc:
        raise InputError(str(exc)) from None
    except LedgerError as exc:
        raise Unreachable(str(exc)) from None
    print(f"restored {file}")
    print("\n".join(summary.lines()))
    print("next: firewatch audit verify (the audit chain must check out before dispatch starts)")
    return 0
