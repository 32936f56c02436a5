"""`firewatch audit verify`: read-only checks that the ledger was changed only by the ledger code.

What each finding means (docs/SECURITY.md):
- chain: a missing sequence number (deleted entries), a broken link or a hash that does not
  match its content (edited entry);
- MACs (with the keyring): an entry whose MAC fails or is missing was written or rewritten by
  someone without the key: a recomputed chain is caught here;
- base: the oldest entries may go only by retention, which records the new base in a signed
  entry; any other removal at the oldest end is caught here;
- checkpoints (file / Kafka): an entry a checkpoint signed that is gone (truncated at the
  newest end) or differs (rewritten);
- rows: every row of every audited table must have the digest its last audit entry recorded;
- tables: a table of the ledger that the audit does not cover.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from alerts.ledger.audit import BASE_ANCHOR, HEAD_ANCHOR, iter_entries, ledger_tables
from alerts.ledger.audit import table_columns as _columns
from alerts.ledger.audit_chain import (
    AUDITED_TABLES,
    CHECKPOINT_DOMAIN,
    ENTRY_DOMAIN,
    GENESIS,
    PURGE,
    UNAUDITED_TABLES,
    AuditedTable,
    ChainState,
    Entry,
    checkpoint_message,
    key_text,
    row_digest,
)
from alerts.ledger.audit_checkpoints import Checkpoint
from alerts.ledger.audit_keys import Keyring
from alerts.ledger.db import Database


@dataclass
class VerifyResult:
    entries: int = 0
    rows: int = 0
    checkpoints: int = 0
    is_keyed: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def is_ok(self) -> bool:
        return not self.problems


@dataclass
class _Walk:
    """What the walk over the chain remembers for the checks after it."""

    base: tuple[int, str]
    seq: int = 0
    prev: str = GENESIS
    state: ChainState = field(default_factory=ChainState)
    hashes: dict[int, str] = field(default_factory=dict)  # only the checkpointed seqs
    last_purge_base: list[object] | None = None
    signed_from: int | None = None
    last_signed: bool = False


def verify(
    db: Database,
    keyring: Keyring | None = None,
    checkpoints: Sequence[Checkpoint] = (),
    tables: Sequence[AuditedTable] = AUDITED_TABLES,
) -> VerifyResult:
    result = VerifyResult(is_keyed=keyring is not None)
    rows = db.query("SELECT id, seq, hash FROM audit_anchor")
    anchors = {int(r[0]): (int(r[1]), str(r[2])) for r in rows}
    walk = _Walk(base=anchors.get(BASE_ANCHOR, (0, GENESIS)))
    walk.seq, walk.prev = walk.base
    wanted = {cp.seq for cp in checkpoints}
    for entry in iter_entries(db):
        _check_entry(entry, walk, keyring, result)
        if entry.seq in wanted:
            walk.hashes[entry.seq] = entry.hash
        walk.state.apply(entry)
        if entry.is_system(PURGE):
            walk.last_purge_base = _purge_base(entry)
        walk.seq, walk.prev = entry.seq, entry.hash
        result.entries += 1
    _check_ends(walk, anchors.get(HEAD_ANCHOR), keyring, result)
    _check_checkpoints(walk, checkpoints, keyring, result)
    _check_rows(db, walk.state, tables, result)
    return result


def _check_entry(entry: Entry, walk: _Walk, keyring: Keyring | None, out: VerifyResult) -> None:
    n = entry.seq
    if n != walk.seq + 1:
        out.problems.append(f"entries {walk.seq + 1}..{n - 1} are missing (deleted)")
    if entry.prev_hash != walk.prev:
        out.problems.append(f"entry {n}: prev_hash does not match entry {n - 1}")
    if entry.expected_hash() != entry.hash:
        out.problems.append(f"entry {n}: content does not match its hash (edited)")
    if keyring is None:
        return
    if entry.mac is None:
        if walk.signed_from is not None:
            out.problems.append(f"entry {n}: not signed (written or rewritten without the key)")
    elif not keyring.is_valid(entry.key_id, ENTRY_DOMAIN, entry.hash, entry.mac):
        out.problems.append(f"entry {n}: MAC does not match (written or rewritten without the key)")
    elif walk.signed_from is None:
        walk.signed_from = n
    walk.last_signed = entry.mac is not None


def _purge_base(entry: Entry) -> list[object] | None:
    try:
        payload = json.loads(entry.payload)
    except ValueError:
        return None
    base = payload.get("base") if isinstance(payload, dict) else None
    return list(base) if isinstance(base, list) else None


def _check_ends(
    walk: _Walk, head: tuple[int, str] | None, keyring: Keyring | None, out: VerifyResult
) -> None:
    base_seq, base_hash = walk.base
    if base_seq == 0 and base_hash != GENESIS:
        out.problems.append("the base anchor was changed (the chain must start at genesis)")
    if base_seq > 0 and walk.last_purge_base != [base_seq, base_hash]:
        out.problems.append(
            f"entries up to {base_seq} were removed without a retention record (truncated at"
            " the oldest end)"
        )
    if head is not None and (head[0] != walk.seq or head[1] != walk.prev):
        out.problems.append(f"chain ends at entry {walk.seq} but the head anchor says {head[0]}")
    if keyring is not None and out.entries and not walk.last_signed:
        out.problems.append(f"the newest entry {walk.seq} is not signed")


def _check_checkpoints(
    walk: _Walk, checkpoints: Sequence[Checkpoint], keyring: Keyring | None, out: VerifyResult
) -> None:
    base_seq = walk.base[0]
    for cp in checkpoints:
        message = checkpoint_message(cp.seq, cp.hash)
        is_forged = keyring is not None and not keyring.is_valid(
            cp.key_id, CHECKPOINT_DOMAIN, message, cp.mac
        )
        if is_forged:
            out.problems.append(f"checkpoint of entry {cp.seq}: MAC does not match (forged)")
            continue
        out.checkpoints += 1
        if cp.seq <= base_seq:
            continue  # purged by retention; the base check vouches for that
        if cp.seq > walk.seq:
            out.problems.append(
                f"entries {walk.seq + 1}..{cp.seq} are missing: a checkpoint signed entry"
                f" {cp.seq} (truncated at the newest end)"
            )
        elif walk.hashes.get(cp.seq) != cp.hash:
            out.problems.append(f"entry {cp.seq} differs from its checkpoint (chain rewritten)")


def _check_rows(
    db: Database, state: ChainState, tables: Sequence[AuditedTable], out: VerifyResult
) -> None:
    present = set(ledger_tables(db))
    known = {t.name for t in tables}
    for name in sorted(present - known - UNAUDITED_TABLES):
        out.problems.append(f"table {name} is not covered by the audit (add it to AUDITED_TABLES)")
    expected = dict(state.rows)
    for spec in tables:
        if spec.name not in present:
            continue
        columns = _columns(db, spec.name)
        sql = f"SELECT {', '.join(columns)} FROM {spec.name}"  # noqa: S608 - registry names
        for row in db.query(sql):
            out.rows += 1
            key = key_text(row[columns.index(c)] for c in spec.key)
            where = f"{spec.name} {key}"
            recorded = expected.pop((spec.name, key), None)
            if recorded is None:
                out.problems.append(f"{where}: added outside the ledger (no audit entry wrote it)")
            elif recorded[0] != row_digest(spec.name, columns, row):
                out.problems.append(
                    f"{where}: edited outside the ledger (differs from audit entry {recorded[1]})"
                )
    for (table, key), (_digest, seq) in sorted(expected.items()):
        out.problems.append(
            f"{table} {key}: deleted outside the ledger (audit entry {seq} wrote it last)"
        )
