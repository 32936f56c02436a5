"""Open an existing ledger for the read-only commands (`report`, `audit verify`).

They never create one: a mistyped SQLite path used to become an empty ledger that "verified
ok" (issue #14). SQLite must exist as a file; on either engine the migrations must all be
applied (a PostgreSQL database without the ledger tables is an error, not a new ledger).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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
