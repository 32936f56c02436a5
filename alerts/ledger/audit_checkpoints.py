"""Checkpoints of the audit chain kept outside the database: (seq, hash) signed with the key.

An insider with database access can truncate the chain or rebuild it; they cannot reach the
append-only places holding these (a local file opened O_APPEND, `chattr +a` in production, and
the Kafka topic `Topics.AUDIT`: alerts/ledger/audit_kafka.py), nor sign a new one.
`firewatch audit verify` checks every checkpoint against the chain: a signed entry that is gone
or differs is tampering.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from alerts.errors import LedgerError


class Checkpoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int
    hash: str
    at: float  # when it was signed (seconds since the epoch)
    key_id: str
    mac: str

    def line(self) -> str:
        return self.model_dump_json() + "\n"


def append_checkpoint(path: Path, cp: Checkpoint) -> None:
    """Append one line and fsync: the file is only ever appended to."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, cp.line().encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def parse_checkpoints(lines: Iterable[str], source: str) -> list[Checkpoint]:
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.append(Checkpoint.model_validate_json(line))
        except ValidationError:
            raise LedgerError(f"{source}:{number}: not an audit checkpoint") from None
    return out


def read_checkpoint_file(path: Path) -> list[Checkpoint]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LedgerError(f"cannot read checkpoints {path}: {exc.strerror}") from None
    return parse_checkpoints(text.splitlines(), str(path))
