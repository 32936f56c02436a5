"""What a backup holds and how a restore rebuilds it: the ledger's tables and migrations.

The ledger tables are those the numbered migrations create (alerts/ledger/migrations), plus
`schema_migrations`. A restore first migrates an empty database to the backup's migrations,
loads the rows, then applies this version's newer migrations, exactly as an upgrade would.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from alerts.ledger import Database
from alerts.ledger.db import MIGRATIONS_DIR

MIGRATIONS_TABLE = "schema_migrations"
_CREATE_TABLE = re.compile(r"\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.IGNORECASE)
# A table a migration renamed keeps its rows (0007 keeps the v1 incidents as incidents_v1).
_RENAME_TABLE = re.compile(r"\bRENAME\s+TO\s+(\w+)", re.IGNORECASE)
_MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class Queryable(Protocol):
    """What reading a ledger needs: alerts' Database, or a read-only SQLite backup file."""

    @property
    def is_postgres(self) -> bool: ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...


class BackupError(ValueError):
    """The backup or the target cannot be used as asked; the message says why and what to do."""


@dataclass
class Summary:
    """What a backup or a restore moved: rows per table and the audit chain's head."""

    url: str
    migrations: list[int]
    rows: dict[str, int] = field(default_factory=dict)
    audit_head: tuple[int, str] | None = None

    def lines(self) -> list[str]:
        versions = f"{self.migrations[0]}-{self.migrations[-1]}" if self.migrations else "none"
        out = [f"ledger {masked(self.url)}, migrations {versions}"]
        out += [f"  {table:<22} {count:>9} rows" for table, count in sorted(self.rows.items())]
        if self.audit_head is not None:
            seq, digest = self.audit_head
            out.append(f"  audit chain head: entry {seq}, hash {digest[:16]}...")
        return out


def masked(url: str) -> str:
    """The URL without its password: summaries are printed and logged."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def code_migrations() -> dict[int, str]:
    """version -> name of the migrations this version of Firewatch ships."""
    found = {}
    for path in MIGRATIONS_DIR.glob("*.sql"):
        match = _MIGRATION_FILE.match(path.name)
        if match:
            found[int(match.group(1))] = match.group(2)
    return found


def ledger_table_names() -> set[str]:
    names = {MIGRATIONS_TABLE}
    for path in MIGRATIONS_DIR.glob("*.sql"):
        text = path.read_text(encoding="utf-8")
        names |= {m.lower() for m in _CREATE_TABLE.findall(text) + _RENAME_TABLE.findall(text)}
    return names


def present_tables(db: Queryable) -> list[str]:
    """The ledger tables that exist in `db` (other tables of a shared database are not ours)."""
    if db.is_postgres:
        sql = (
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    names = {str(r[0]).lower() for r in db.query(sql)}
    return sorted(names & ledger_table_names())


def applied_migrations(db: Queryable) -> dict[int, str]:
    if MIGRATIONS_TABLE not in present_tables(db):
        return {}
    rows = db.query(f"SELECT version, name FROM {MIGRATIONS_TABLE} ORDER BY version")  # noqa: S608 - table names from our own list - constant
    return {int(v): str(n) for v, n in rows}


def check_known(migrations: dict[int, str], what: str) -> None:
    """Refuse a ledger (or backup) migrated by a newer Firewatch: this one cannot rebuild it."""
    known = code_migrations()
    unknown = {v: n for v, n in migrations.items() if known.get(v) != n}
    if unknown:
        raise BackupError(
            f"{what} has migrations this firewatch does not know ({unknown}): "
            "use the firewatch version that wrote it"
        )


def row_counts(db: Queryable, tables: list[str]) -> dict[str, int]:
    # Table names come from present_tables (the migrations' own names), never from input.
    return {t: int(db.query(f"SELECT COUNT(*) FROM {t}")[0][0]) for t in tables}  # noqa: S608 - table names from our own list


def is_empty(db: Queryable) -> bool:
    """No ledger table holds a row (the migrations table aside): safe to restore over."""
    tables = [t for t in present_tables(db) if t != MIGRATIONS_TABLE]
    return not any(row_counts(db, tables).values())


def audit_head(db: Queryable) -> tuple[int, str] | None:
    if "audit_log" not in present_tables(db):
        return None
    rows = db.query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    return (int(rows[0][0]), str(rows[0][1])) if rows else None


def summarize(db: Queryable, url: str) -> Summary:
    tables = present_tables(db)
    return Summary(url, sorted(applied_migrations(db)), row_counts(db, tables), audit_head(db))


def migrate_to(db: Database, versions: list[int]) -> None:
    """Apply exactly the migrations `versions` (1..n, as a backup recorded them)."""
    with tempfile.TemporaryDirectory(prefix="fw-migrations-") as tmp:
        for path in MIGRATIONS_DIR.glob("*.sql"):
            match = _MIGRATION_FILE.match(path.name)
            if match and int(match.group(1)) in versions:
                shutil.copy(path, Path(tmp) / path.name)
        db.migrate(Path(tmp))
