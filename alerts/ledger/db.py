"""A small database port: SQLite (stdlib) by default, PostgreSQL (psycopg) by URL.

SQL in this package is written once with `?` placeholders and portable types; the PostgreSQL
connection rewrites placeholders. Numbered migrations in `migrations/NNNN_name.sql` are
applied in order and recorded in `schema_migrations`.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alerts.errors import LedgerError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_MIGRATION = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

Row = tuple[Any, ...]


class Database:
    def __init__(self, url: str, *, read_only: bool = False) -> None:
        """`read_only`: open an existing ledger for reading only (audit verify, reports): a
        missing database is an error, never created."""
        self.url = url
        self._lock = threading.RLock()
        self._depth = 0  # transaction() blocks open (nested ones commit as before)
        self.is_postgres = url.startswith(("postgresql://", "postgres://"))
        if self.is_postgres:
            self._conn: Any = _connect_pg(url, read_only)
        else:
            self._conn = _connect_sqlite_ro(url) if read_only else _connect_sqlite(url)

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.is_postgres else sql

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._statement() as cur:
            cur.execute(self._sql(sql), tuple(params))
            return [tuple(r) for r in cur.fetchall()]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._statement() as cur:
            cur.execute(self._sql(sql), tuple(params))
            count: int = cur.rowcount
            return count

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        with self._lock:
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._conn.rollback()
                raise
            finally:
                self._depth -= 1
            self._conn.commit()

    @contextmanager
    def _statement(self) -> Iterator[Any]:
        """A cursor; outside `transaction()` the statement is a transaction of its own. psycopg
        (autocommit off) opens a transaction on the first statement and holds it until commit
        or rollback: a read left so sits "idle in transaction" with its table locks, and a
        migration's DDL queues behind it (and every statement after the DDL behind that).
        The lock: the console reads its connection from worker threads while the event loop
        writes sessions on it; a statement never runs inside another thread's transaction."""
        with self._lock:
            cur = self._conn.cursor()
            try:
                yield cur
            except BaseException:
                if not self._depth and not getattr(self._conn, "closed", False):
                    self._conn.rollback()  # not left "idle in transaction (aborted)"
                raise
            finally:
                cur.close()
            if not self._depth:
                self._conn.commit()

    def close(self) -> None:
        self._conn.close()

    def ping(self) -> None:
        """A round trip as a restarted dispatch would make it (readiness); raises when the
        ledger is unreachable. A PostgreSQL connection the server dropped (restart, failover)
        is replaced, so the first probe after the server is back passes and the next write
        goes through. An open SQLite connection answers from its file descriptor even when the
        file was moved, deleted or made unreadable: a fresh read-only connection sees it too."""
        if self.is_postgres:
            if self._conn.closed:  # psycopg: closed, or broken by the server going away
                self._conn = _connect_pg(self.url)
            self.query("SELECT 1")
            return
        self.query("SELECT 1")  # the connection the writes go through
        if self.url.removeprefix("sqlite://").removeprefix("/") in ("", ":memory:"):
            return
        probe = _connect_sqlite_ro(self.url)
        try:
            probe.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()
        finally:
            probe.close()

    def migrate(self, directory: Path = MIGRATIONS_DIR) -> list[int]:
        """Apply the migrations not applied yet; return their versions."""
        with self.transaction():
            self.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                " applied_at DOUBLE PRECISION NOT NULL)"
            )
        done = {
            int(r[0]): str(r[1]) for r in self.query("SELECT version, name FROM schema_migrations")
        }
        applied = []
        for version, name, path in _migrations(directory):
            if version in done:
                _check_same(version, done[version], name)
                continue
            with self.transaction():
                for statement in _statements(path.read_text(encoding="utf-8")):
                    self.execute(statement)
                self.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, time.time()),
                )
            applied.append(version)
        return applied


def _check_same(version: int, recorded: str, name: str) -> None:
    """A number means one migration forever: a ledger that recorded another migration under
    it (a build from an unmerged branch) would silently miss this one's schema."""
    if recorded != name:
        raise LedgerError(
            f"ledger migration {version} is recorded as {recorded!r}, but this release's"
            f" {version:04d} is {name!r}: this ledger comes from another build; restore a"
            " backup made by a release (firewatch ledger restore)"
        )


def _migrations(directory: Path) -> list[tuple[int, str, Path]]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION.match(path.name)
        if match is None:
            raise LedgerError(f"migration {path.name} is not named NNNN_name.sql")
        found.append((int(match.group(1)), match.group(2), path))
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise LedgerError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


def _statements(text: str) -> list[str]:
    lines = [ln for ln in text.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _connect_sqlite(url: str) -> sqlite3.Connection:
    if not url.startswith("sqlite://"):
        raise LedgerError(f"unsupported database URL {url!r}: sqlite:///PATH or postgresql://")
    path = url.removeprefix("sqlite://").removeprefix("/") or ":memory:"
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False)
    # WAL: readers (report, console) never block the dispatcher's writes; NORMAL sync is
    # durable across process crashes (only an OS crash can lose the last commits).
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def _connect_sqlite_ro(url: str) -> sqlite3.Connection:
    path = url.removeprefix("sqlite://").removeprefix("/")
    if not url.startswith("sqlite://") or not path or path == ":memory:":
        raise LedgerError(f"unsupported database URL {url!r} for reading: sqlite:///PATH")
    if not Path(path).is_file():
        raise LedgerError(f"no ledger database at {path}")
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)


def _connect_pg(url: str, read_only: bool = False) -> Any:
    try:
        import psycopg  # noqa: PLC0415 - optional: only PostgreSQL ledgers need it
    except ImportError as exc:
        raise LedgerError("PostgreSQL ledger needs psycopg: pip install 'psycopg[binary]'") from exc
    try:
        conn = psycopg.connect(url)
        if read_only:
            conn.read_only = True
    except psycopg.Error as exc:
        raise LedgerError(f"cannot connect to the PostgreSQL ledger: {exc}") from None
    return conn
