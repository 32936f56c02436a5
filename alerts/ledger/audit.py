"""Append-only audit log: every ledger write chained, signed, and checkpointed outside the database.

The ledger calls `append(..., rows=[(table, key), ...])` inside the transaction that wrote
those rows; the log reads each row back and chains its digest (alerts/ledger/audit_chain.py).
With a keyring (alerts/ledger/audit_keys.py) every entry carries an HMAC the database host
cannot compute, and `checkpoint()` signs the committed head into an append-only file (and the
dispatch service sends it to Kafka), so a truncated or recomputed chain is caught by
`firewatch audit verify` (alerts/ledger/audit_verify.py). Retention (`purge_before`) keeps the
chain checkable: the base anchor and the row digests carried past it go into a signed entry.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from alerts.errors import LedgerError
from alerts.ledger.audit_chain import (
    ADOPT,
    AUDITED_TABLES,
    CHECKPOINT_DOMAIN,
    ENTRY_COLUMNS,
    ENTRY_DOMAIN,
    GENESIS,
    PURGE,
    SYSTEM_ACTOR,
    AuditedTable,
    ChainState,
    Entry,
    RowImage,
    checkpoint_message,
    entry_digest,
    images_json,
    key_text,
    row_digest,
)
from alerts.ledger.audit_checkpoints import Checkpoint, append_checkpoint
from alerts.ledger.audit_keys import Keyring
from alerts.ledger.db import Database

BASE_ANCHOR, HEAD_ANCHOR = 0, 1
RowRef = tuple[str, Sequence[Any]]  # (audited table, primary-key values)


class AuditLog:
    def __init__(
        self,
        db: Database,
        keyring: Keyring | None = None,
        checkpoint_file: Path | None = None,
        *,
        adopt_migrations: Sequence[int] = (),
        tables: Sequence[AuditedTable] = AUDITED_TABLES,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._keyring = keyring
        self._checkpoint_file = checkpoint_file
        self._tables = {t.name: t for t in tables}
        self._columns: dict[str, tuple[str, ...]] = {}
        self._now = now
        self._checkpointed = -1
        if adopt_migrations:
            # Migrations may rewrite rows without the ledger code: re-baseline on the new schema.
            with db.transaction():
                self._adopt(adopt_migrations)

    @property
    def is_keyed(self) -> bool:
        return self._keyring is not None

    # -- writing ----------------------------------------------------------------------------
    def append(  # noqa: PLR0917 - the columns of an entry
        self,
        at: float,
        actor: str,
        action: str,
        subject: str,
        payload: Any,
        rows: Iterable[RowRef] = (),
    ) -> str:
        """Append one entry inside the caller's transaction, after it wrote `rows`."""
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        images = [self._image(table, key) for table, key in rows]
        return self._append(at, actor, action, subject, text, images)

    def keys_where(self, table: str, where: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Primary keys of the rows a bulk statement is about to touch (`where` is trusted SQL)."""
        spec = self._table(table)
        sql = f"SELECT {', '.join(spec.key)} FROM {table} WHERE {where}"  # noqa: S608 - names from the registry
        return [tuple(r) for r in self._db.query(sql, params)]

    def purge_before(self, at: float, deleted: Iterable[RowRef], summary: dict[str, Any]) -> int:
        """Retention, inside the caller's transaction: drop entries older than `at`, record the
        new base, the row digests carried past it, and the ledger rows deleted (`deleted`)."""
        rows = self._db.query(
            "SELECT seq, hash FROM audit_log WHERE at < ? ORDER BY seq DESC LIMIT 1", (at,)
        )
        count, carried = 0, []
        if rows:
            last_seq, last_hash = int(rows[0][0]), str(rows[0][1])
            carried = self._carried(last_seq)
            count = self._db.execute("DELETE FROM audit_log WHERE seq <= ?", (last_seq,))
            self._set_anchor(BASE_ANCHOR, last_seq, last_hash)
        base = self._anchor(BASE_ANCHOR) or (0, GENESIS)
        payload = {**summary, "audit_log": count, "base": list(base), "carried": carried}
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        images = [self._image(table, key) for table, key in deleted]
        self._append(at, SYSTEM_ACTOR, PURGE, "ledger", text, images)
        return count

    def checkpoint(self) -> Checkpoint | None:
        """Sign the committed head and append it to the checkpoint file. Call it outside any
        ledger transaction (a rolled-back head would look like a truncated chain). None when
        there is no key or nothing new since the last checkpoint."""
        if self._keyring is None:
            return None
        seq, digest = self._anchor(HEAD_ANCHOR) or (0, GENESIS)
        if seq in (0, self._checkpointed):
            return None
        kid, mac = self._keyring.sign(CHECKPOINT_DOMAIN, checkpoint_message(seq, digest))
        cp = Checkpoint(seq=seq, hash=digest, at=self._now(), key_id=kid, mac=mac)
        if self._checkpoint_file is not None:
            append_checkpoint(self._checkpoint_file, cp)
        self._checkpointed = seq
        return cp

    # -- internals --------------------------------------------------------------------------
    def _append(  # noqa: PLR0917 - the columns of an entry
        self, at: float, actor: str, action: str, subject: str, text: str, images: list[RowImage]
    ) -> str:
        # The head comes from the database, not memory: a rolled-back transaction must not
        # leave a gap in the sequence. Several processes append (dispatch, the hazard desk,
        # the feeds): on PostgreSQL the head row is locked until this transaction ends, so the
        # next writer waits and reads the new head; SQLite's one writer at a time does the same
        # (every caller writes its rows before it appends).
        prev_seq, prev_hash = self._anchor(HEAD_ANCHOR, for_update=True) or (0, GENESIS)
        seq, row_images = prev_seq + 1, images_json(images)
        digest = entry_digest(prev_hash, seq, at, actor, action, subject, text, row_images)
        kid, mac = self._keyring.sign(ENTRY_DOMAIN, digest) if self._keyring else (None, None)
        self._db.execute(
            f"INSERT INTO audit_log ({ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608 - fixed columns
            (seq, at, actor, action, subject, text, prev_hash, digest, row_images, kid, mac),
        )
        self._set_anchor(HEAD_ANCHOR, seq, digest)
        return digest

    def _adopt(self, migrations: Sequence[int]) -> None:
        present = set(ledger_tables(self._db))
        snapshot = [
            image
            for name in sorted(self._tables)
            if name in present
            for image in self._table_images(name)
        ]
        payload = {"migrations": sorted(migrations), "rows": snapshot}
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        self._append(self._now(), SYSTEM_ACTOR, ADOPT, "schema", text, [])

    def _carried(self, last_seq: int) -> list[RowImage]:
        """Digests as of entry `last_seq` of rows no later entry touches: the state that the
        entries about to be purged held, replayed from the chain (never read from the tables,
        which an insider may have edited)."""
        before, after = ChainState(), ChainState()
        for entry in iter_entries(self._db):
            (before if entry.seq <= last_seq else after).apply(entry)
        return [
            (table, json.loads(key), digest)
            for (table, key), (digest, _seq) in before.rows.items()
            if (table, key) not in after.touched
        ]

    def _table(self, name: str) -> AuditedTable:
        spec = self._tables.get(name)
        if spec is None:
            raise LedgerError(f"table {name!r} is not audited: add it to AUDITED_TABLES")
        return spec

    def _image(self, table: str, key: Sequence[Any]) -> RowImage:
        spec, columns = self._table(table), self._cols(table)
        where = " AND ".join(f"{c} = ?" for c in spec.key)
        sql = f"SELECT {', '.join(columns)} FROM {table} WHERE {where}"  # noqa: S608 - registry names
        found = self._db.query(sql, key)
        if not found:
            return (table, list(key), None)
        row = found[0]
        key_values = [row[columns.index(c)] for c in spec.key]
        return (table, key_values, row_digest(table, columns, row))

    def _table_images(self, table: str) -> Iterator[RowImage]:
        spec, columns = self._table(table), self._cols(table)
        for row in self._db.query(f"SELECT {', '.join(columns)} FROM {table}"):  # noqa: S608 - audited tables are ours
            key = [row[columns.index(c)] for c in spec.key]
            yield (table, key, row_digest(table, columns, row))

    def _cols(self, table: str) -> tuple[str, ...]:
        if table not in self._columns:
            self._columns[table] = table_columns(self._db, table)
        return self._columns[table]

    def _anchor(self, anchor_id: int, *, for_update: bool = False) -> tuple[int, str] | None:
        sql = "SELECT seq, hash FROM audit_anchor WHERE id = ?"
        if for_update and self._db.is_postgres:
            sql += " FOR UPDATE"
        rows = self._db.query(sql, (anchor_id,))
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def _set_anchor(self, anchor_id: int, seq: int, digest: str) -> None:
        sql = "UPDATE audit_anchor SET seq = ?, hash = ? WHERE id = ?"
        if self._db.execute(sql, (seq, digest, anchor_id)) == 0:
            self._db.execute(
                "INSERT INTO audit_anchor (id, seq, hash) VALUES (?, ?, ?)",
                (anchor_id, seq, digest),
            )


def iter_entries(db: Database, page: int = 5000) -> Iterator[Entry]:
    """Every entry in sequence order, read a page at a time (a chain holds a year or more)."""
    sql = f"SELECT {ENTRY_COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?"  # noqa: S608 - a constant
    after = -1
    while rows := db.query(sql, (after, page)):
        for row in rows:
            entry = Entry.from_row(row)
            after = entry.seq
            yield entry


def table_columns(db: Database, table: str) -> tuple[str, ...]:
    if db.is_postgres:
        rows = db.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
            " AND table_schema = current_schema() ORDER BY ordinal_position",
            (table,),
        )
        return tuple(str(r[0]) for r in rows)
    return tuple(str(r[1]) for r in db.query(f"PRAGMA table_info({table})"))


def ledger_tables(db: Database) -> list[str]:
    if db.is_postgres:
        sql = (
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    return sorted(str(r[0]) for r in db.query(sql))


__all__ = ["AuditLog", "RowRef", "iter_entries", "key_text", "ledger_tables", "table_columns"]
