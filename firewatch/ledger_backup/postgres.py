"""PostgreSQL ledgers: COPY per table inside one snapshot, into a gzip'd tar archive.

COPY through psycopg (already a dependency) rather than pg_dump: pg_dump refuses a server newer
than itself, and the image's Debian client (15) is older than the compose file's server (16).
CSV keeps NULL apart from '' and PostgreSQL prints float8 exactly (extra_float_digits 1 is the
default since 12), so every audited value, and so every audit hash, comes back bit for bit.

Archive: `manifest.json` (format, migrations, per table its columns, row count and SHA-256)
and `tables/<table>.csv`. A restore checks every checksum before it touches the target: a
damaged archive is refused whole. Someone who rewrites both a table and the manifest is caught
afterwards by `firewatch audit verify`, the audit chain's job.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import tarfile
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from alerts.errors import LedgerError
from alerts.ledger import Database
from firewatch.ledger_backup.schema import (
    MIGRATIONS_TABLE,
    BackupError,
    Summary,
    check_known,
    is_empty,
    ledger_table_names,
    migrate_to,
    present_tables,
    summarize,
)

FORMAT = "firewatch-ledger-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_COLUMN = re.compile(r"^[a-z_][a-z0-9_]*$")


def is_archive(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(2) == b"\x1f\x8b"


class Snapshot:
    """One read-only REPEATABLE READ transaction: every table as of the same instant."""

    is_postgres = True

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(sql.replace("?", "%s"), tuple(params))
            return [tuple(r) for r in cur.fetchall()]

    def columns(self, table: str) -> list[str]:
        rows = self.query(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
        return [str(r[0]) for r in rows]


def _connect(url: str) -> Any:
    import psycopg  # noqa: PLC0415 - only PostgreSQL ledgers need it

    try:
        return psycopg.connect(url)
    except psycopg.OperationalError as exc:
        raise LedgerError(f"cannot connect to the PostgreSQL ledger: {exc}") from None


@contextmanager
def _snapshot(url: str) -> Iterator[Snapshot]:
    import psycopg  # noqa: PLC0415 - only PostgreSQL ledgers need it

    with _connect(url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            yield Snapshot(conn)


def _copy_out(snap: Snapshot, table: str, columns: list[str], out: IO[bytes]) -> str:
    from psycopg import sql  # noqa: PLC0415 - psycopg only when the ledger is PostgreSQL

    digest = hashlib.sha256()
    statement = sql.SQL("COPY {} ({}) TO STDOUT WITH (FORMAT csv, HEADER true)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with snap.conn.cursor() as cur, cur.copy(statement) as copy:
        for chunk in copy:
            out.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def backup(url: str, dest: Path) -> Summary:
    tmp = dest.with_name(f".{dest.name}.partial")
    with tempfile.TemporaryDirectory(prefix="fw-backup-") as work, _snapshot(url) as snap:
        summary = summarize(snap, url)
        tables: dict[str, Any] = {}
        for table in present_tables(snap):
            columns = snap.columns(table)
            csv_path = Path(work) / f"{table}.csv"
            with csv_path.open("wb") as f:
                sha = _copy_out(snap, table, columns, f)
            tables[table] = {"columns": columns, "rows": summary.rows[table], "sha256": sha}
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "engine": "postgresql",
            "created_at": time.time(),
            "migrations": {str(v): n for v, n in _migrations(snap).items()},
            "tables": tables,
        }
        with tarfile.open(tmp, "w:gz") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode())
            for table in tables:
                tar.add(Path(work) / f"{table}.csv", arcname=f"tables/{table}.csv")
    tmp.replace(dest)
    return summary


def _migrations(snap: Snapshot) -> dict[int, str]:
    rows = snap.query(f"SELECT version, name FROM {MIGRATIONS_TABLE}")  # noqa: S608 - constant
    return {int(v): str(n) for v, n in rows}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
    tar.addfile(info, io.BytesIO(data))


def read_manifest(tar: tarfile.TarFile, path: Path) -> dict[str, Any]:
    try:
        member = tar.extractfile(MANIFEST)
        manifest: dict[str, Any] = json.load(member) if member else {}
    except (KeyError, json.JSONDecodeError):
        manifest = {}
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{path} is not a Firewatch ledger backup (format {FORMAT} v1)")
    known = ledger_table_names()
    for table, spec in manifest["tables"].items():
        if table not in known or not all(_COLUMN.match(c) for c in spec["columns"]):
            raise BackupError(f"{path}: table {table!r} is not a ledger table of this version")
    migrations = {int(v): str(n) for v, n in manifest["migrations"].items()}
    check_known(migrations, f"the backup {path}")
    return manifest


def _verify_checksums(tar: tarfile.TarFile, manifest: dict[str, Any], path: Path) -> None:
    for table, spec in manifest["tables"].items():
        member = tar.extractfile(f"tables/{table}.csv")
        digest = hashlib.sha256()
        while member is not None and (chunk := member.read(1 << 16)):
            digest.update(chunk)
        if digest.hexdigest() != spec["sha256"]:
            raise BackupError(f"{path} is damaged: tables/{table}.csv does not match its checksum")


def restore(src: Path, url: str, *, force: bool) -> Summary:
    try:
        with tarfile.open(src, "r:gz") as tar:
            manifest = read_manifest(tar, src)
            _verify_checksums(tar, manifest, src)
            _prepare_target(url, manifest, force=force)
            _load(tar, manifest, url)
    except (tarfile.TarError, gzip.BadGzipFile, EOFError) as exc:
        raise BackupError(f"{src} is damaged or truncated: {exc}") from None
    db = Database(url)
    try:
        db.migrate()  # this version's newer migrations, as at an upgrade
        return summarize(db, url)
    finally:
        db.close()


def _prepare_target(url: str, manifest: dict[str, Any], *, force: bool) -> None:
    db = Database(url)
    try:
        if not is_empty(db) and not force:
            raise BackupError(
                "the ledger database holds records: stop dispatch, then restore with --force"
                " to replace them (back it up first)"
            )
        with db.transaction():
            for table in present_tables(db):  # only ledger tables: a shared database keeps others
                db.execute(f"DROP TABLE {table} CASCADE")
        migrate_to(db, sorted(int(v) for v in manifest["migrations"]))
    finally:
        db.close()


def _load(tar: tarfile.TarFile, manifest: dict[str, Any], url: str) -> None:
    """Every table's rows in one transaction: a failed restore leaves no half-loaded ledger."""
    from psycopg import sql  # noqa: PLC0415 - psycopg only when the ledger is PostgreSQL

    with _connect(url) as conn, conn.transaction(), conn.cursor() as cur:
        cur.execute(f"DELETE FROM {MIGRATIONS_TABLE}")  # noqa: S608 - the backup's rows replace them
        for table, spec in manifest["tables"].items():
            statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv, HEADER true)").format(
                sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, spec["columns"]))
            )
            member = tar.extractfile(f"tables/{table}.csv")
            assert member is not None  # checksums were verified over the same members
            with cur.copy(statement) as copy:
                while chunk := member.read(1 << 16):
                    copy.write(chunk)
        _reset_sequences(cur)


def _reset_sequences(cur: Any) -> None:
    """Serial and identity columns continue after the restored rows, not from 1."""
    cur.execute(
        "SELECT table_name, column_name, pg_get_serial_sequence(quote_ident(table_name),"
        " column_name) FROM information_schema.columns WHERE table_schema = current_schema()"
    )
    for table, column, sequence in cur.fetchall():
        if sequence is None or table not in ledger_table_names():
            continue
        cur.execute(
            f"SELECT setval(%s, COALESCE(MAX({column}), 0) + 1, false) FROM {table}",  # noqa: S608 - catalogue names
            (sequence,),
        )
