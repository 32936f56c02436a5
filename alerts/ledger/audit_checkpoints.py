"""Checkpoints of the audit chain kept outside the database: (seq, hash) signed with the key.

An insider with database access can truncate the chain or rebuild it; they cannot reach the
append-only places holding these (a local file opened O_APPEND, `chattr +a` in production, and
the Kafka topic `Topics.AUDIT`), nor sign a new one. `firewatch audit verify` checks every
checkpoint against the chain: a signed entry that is gone or differs is tampering.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pydantic import BaseModel, ConfigDict, ValidationError

from alerts.errors import LedgerError
from events.topics import Topics

CHECKPOINT_KEY = b"ledger"


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


async def publish_checkpoint(producer: AIOKafkaProducer, cp: Checkpoint) -> None:
    await producer.send_and_wait(Topics.AUDIT, cp.line().encode(), key=CHECKPOINT_KEY)


async def read_kafka_checkpoints(bootstrap: str, idle_s: float = 2.0) -> list[Checkpoint]:
    """Every checkpoint on the topic, read from the start until none came for `idle_s`.

    No consumer group and no commits: verifying leaves no trace. End offsets are not used,
    because Tansu reports them wrong for batched producers (STACK-NOTES.md)."""
    consumer = AIOKafkaConsumer(
        Topics.AUDIT,
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=100,
    )
    await consumer.start()
    lines: list[str] = []
    try:
        while batch := await consumer.getmany(timeout_ms=int(idle_s * 1000)):
            for records in batch.values():
                lines += [r.value.decode("utf-8", "replace") for r in records]
    finally:
        await consumer.stop()
    return parse_checkpoints(lines, f"kafka {Topics.AUDIT}")


def checkpoints_json(checkpoints: Iterable[Checkpoint]) -> str:
    return json.dumps([cp.model_dump() for cp in checkpoints])
