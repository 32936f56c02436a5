"""Append-only audit log with a hash chain: any edited, inserted or deleted entry is detected.

hash_n = sha256(hash_{n-1} || canonical JSON of entry n). The base anchor (id 0) is the hash
before the first kept entry (genesis, or the last purged entry after retention); the head
anchor (id 1) is the last entry's seq and hash, so a deleted tail is detected as well.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from alerts.ledger.db import Database

GENESIS = "0" * 64
_BASE, _HEAD = 0, 1


def _digest(  # noqa: PLR0917 - one argument per hashed column
    prev_hash: str, seq: int, at: float, actor: str, action: str, subject: str,
            payload: str) -> str:  # fmt: skip
    body = json.dumps([seq, repr(at), actor, action, subject, payload], ensure_ascii=False)
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


class AuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db
        head = db.query("SELECT seq, hash FROM audit_anchor WHERE id = ?", (_HEAD,))
        self._seq, self._hash = (int(head[0][0]), str(head[0][1])) if head else (0, GENESIS)

    def append(self, at: float, actor: str, action: str, subject: str, payload: Any) -> str:
        """Append one entry inside the caller's transaction."""
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        seq = self._seq + 1
        digest = _digest(self._hash, seq, at, actor, action, subject, text)
        self._db.execute(
            "INSERT INTO audit_log (seq, at, actor, action, subject, payload, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, at, actor, action, subject, text, self._hash, digest),
        )
        self._set_anchor(_HEAD, seq, digest)
        self._seq, self._hash = seq, digest
        return digest

    def _set_anchor(self, anchor_id: int, seq: int, digest: str) -> None:
        if (
            self._db.execute(
                "UPDATE audit_anchor SET seq = ?, hash = ? WHERE id = ?", (seq, digest, anchor_id)
            )
            == 0
        ):
            self._db.execute(
                "INSERT INTO audit_anchor (id, seq, hash) VALUES (?, ?, ?)",
                (anchor_id, seq, digest),
            )

    def purge_before(self, at: float) -> int:
        """Drop entries older than `at` (retention); the base anchor keeps the chain checkable."""
        rows = self._db.query(
            "SELECT seq, hash FROM audit_log WHERE at < ? ORDER BY seq DESC LIMIT 1", (at,)
        )
        if not rows:
            return 0
        last_seq, last_hash = int(rows[0][0]), str(rows[0][1])
        count = self._db.execute("DELETE FROM audit_log WHERE seq <= ?", (last_seq,))
        self._set_anchor(_BASE, last_seq, last_hash)
        return count


@dataclass
class VerifyResult:
    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def is_ok(self) -> bool:
        return not self.problems


def verify(db: Database) -> VerifyResult:
    """Walk the chain from the base anchor to the head anchor."""
    anchors = {int(r[0]): (int(r[1]), str(r[2])) for r in
               db.query("SELECT id, seq, hash FROM audit_anchor")}  # fmt: skip
    seq, prev = anchors.get(_BASE, (0, GENESIS))
    result = VerifyResult()
    rows = db.query(
        "SELECT seq, at, actor, action, subject, payload, prev_hash, hash FROM audit_log"
        " ORDER BY seq"
    )
    for row in rows:
        n, at, actor, action, subject, payload, prev_hash, digest = row
        if n != seq + 1:
            result.problems.append(f"entries {seq + 1}..{n - 1} are missing (deleted)")
        if prev_hash != prev:
            result.problems.append(f"entry {n}: prev_hash does not match entry {n - 1}")
        if _digest(prev_hash, n, at, actor, action, subject, payload) != digest:
            result.problems.append(f"entry {n}: content does not match its hash (edited)")
        seq, prev = int(n), str(digest)
        result.entries += 1
    head = anchors.get(_HEAD)
    if head is not None and (head[0] != seq or head[1] != prev):
        result.problems.append(f"chain ends at entry {seq} but the head anchor says {head[0]}")
    return result
