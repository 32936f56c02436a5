"""`firewatch audit verify` without its argument parsing: open the ledger read-only, gather the
keyring and the checkpoints, verify, and render the verdict.

Never writes: the database is opened read-only (a mistyped path is an error, not a new empty
ledger) and Kafka checkpoints are read without a consumer group.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from alerts.errors import LedgerError
from alerts.ledger import Database, VerifyResult, verify
from alerts.ledger.audit_checkpoints import Checkpoint, read_checkpoint_file
from alerts.ledger.audit_keys import load_keyring, new_key_line, new_keyring_text
from events.connections import KafkaConnection
from firewatch.embedded.credentials import write_private

# Migration 0004 added the columns the signed chain needs (alerts/ledger/migrations).
SIGNED_CHAIN_MIGRATION = 4
# Findings printed in full; beyond this many (an insider who edited thousands of rows) the rest
# are counted, so the verdict stays readable.
MAX_PRINTED = 200


@dataclass(frozen=True)
class VerifyRequest:
    database_url: str
    key_file: Path | None = None
    checkpoint_files: tuple[Path, ...] = ()
    kafka: KafkaConnection | None = None  # read checkpoints from Topics.AUDIT too


@dataclass
class VerifyOutcome:
    result: VerifyResult
    sources: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.result.is_ok else 1


def verify_ledger(request: VerifyRequest) -> VerifyOutcome:
    """Raises LedgerError for what makes verifying impossible (no ledger, unreadable key)."""
    keyring = load_keyring(request.key_file) if request.key_file else None
    checkpoints, sources = _checkpoints(request)
    db = Database(request.database_url, read_only=True)
    try:
        _require_signed_schema(db)
        result = verify(db, keyring, checkpoints)
    finally:
        db.close()
    return VerifyOutcome(result, sources)


def _checkpoints(request: VerifyRequest) -> tuple[list[Checkpoint], list[str]]:
    found: list[Checkpoint] = []
    sources = []
    for path in request.checkpoint_files:
        found += read_checkpoint_file(path)
        sources.append(str(path))
    if request.kafka is not None:
        from alerts.ledger.audit_kafka import read_kafka_checkpoints  # noqa: PLC0415 - Kafka only when asked

        found += asyncio.run(read_kafka_checkpoints(request.kafka))
        sources.append(f"kafka {request.kafka.bootstrap}")
    return found, sources


def _require_signed_schema(db: Database) -> None:
    try:
        rows = db.query("SELECT MAX(version) FROM schema_migrations")
    except Exception as exc:
        raise LedgerError(f"not a Firewatch ledger: {exc}") from None
    version = int(rows[0][0] or 0)
    if version < SIGNED_CHAIN_MIGRATION:
        raise LedgerError(
            f"ledger schema is at migration {version}: start dispatch once to upgrade it to"
            f" {SIGNED_CHAIN_MIGRATION} (the signed audit chain) before verifying"
        )


def render(outcome: VerifyOutcome) -> str:
    r = outcome.result
    lines = [f"TAMPERED: {p}" for p in r.problems[:MAX_PRINTED]]
    if len(r.problems) > MAX_PRINTED:
        lines.append(f"TAMPERED: ... and {len(r.problems) - MAX_PRINTED} more findings")
    if not r.is_keyed:
        lines.append(
            "warning: no --key-file: MACs not checked, a chain rebuilt from scratch would pass"
        )
    if not outcome.sources:
        lines.append(
            "warning: no checkpoints given: entries cut from the newest end would go unseen"
        )
    lines.append(
        f"{r.entries} audit entries, {r.rows} ledger rows, {r.checkpoints} checkpoints checked: "
        + ("ok" if r.is_ok else "FAILED")
    )
    return "\n".join(lines)


def rotate_key(path: Path) -> str:
    """Put a new key first in the keyring at `path` (created when missing); return its id.
    The old keys stay below it: they still verify the entries they signed (keep them while
    those entries are kept)."""
    if not path.exists():
        write_private(path, new_keyring_text())
        return load_keyring(path).current_id
    keyring = load_keyring(path)  # refuses a malformed keyring before touching it
    line = new_key_line()
    while line.split(":", 1)[0] in dict(keyring.keys):
        line = new_key_line()
    write_private(path, f"{line}\n{path.read_text(encoding='utf-8')}")
    return line.split(":", 1)[0]
