"""The audit chain's pure parts: which tables it covers, how entries and rows are hashed, and
the replay that turns the chain into the row state the ledger tables must have.

Entry n: hash_n = sha256(hash_{n-1} || canonical JSON of entry n, its row images included);
mac_n = HMAC(key, hash_n), so a MAC also vouches for every entry before it. A row image is
(table, primary key, sha256 of the row's non-null columns) read back inside the writing
transaction, or no digest when the write deleted the row. Replaying the images gives, per
table and key, the digest the row must have now: an edit, insert or delete made outside the
ledger code leaves a row that disagrees.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64
ENTRY_DOMAIN = "fw-audit-entry"
CHECKPOINT_DOMAIN = "fw-audit-checkpoint"
# Entries the audit log writes about itself (retention, re-baselining after a migration).
SYSTEM_ACTOR = "audit"
PURGE, ADOPT = "purge", "adopt"


@dataclass(frozen=True)
class AuditedTable:
    name: str
    key: tuple[str, ...]  # the primary key: how a row image names its row


# Every ledger table. A table joins the audit with one line here, and `firewatch audit verify`
# reports any table of the ledger database found in neither this list nor UNAUDITED_TABLES.
AUDITED_TABLES: tuple[AuditedTable, ...] = (
    AuditedTable("incidents", ("incident_key",)),
    AuditedTable("transitions", ("id",)),
    AuditedTable("notifications", ("incident_key", "step_id", "recipient", "channel")),
    AuditedTable("commands", ("command_id",)),
    AuditedTable("incident_conditions", ("incident_key", "condition_key")),
    AuditedTable("incident_tasks", ("incident_key", "task_key")),
    AuditedTable("work_orders", ("order_id",)),
    # The v1 incidents as migration 0007 kept them (GB 50440 records): never written again,
    # so every row keeps the digest the migration's `adopt` entry gave it.
    AuditedTable("incidents_v1", ("incident_key",)),
    # People as sensors (issue 18; migration 0006): hazards and their rectification loop, the
    # reports behind them, patrol check-ins and the outbound feeds' deliveries. Their stores
    # write through the audit like dispatch does (alerts/hazards/ledger_audit.py). Their
    # maintenance items are work orders since migration 0008 (one maintenance queue).
    AuditedTable("hazards", ("hazard_id",)),
    AuditedTable("hazard_transitions", ("hazard_id", "seq")),
    AuditedTable("hazard_reports", ("report_id",)),
    AuditedTable("patrol_checkins", ("checkin_id",)),
    AuditedTable("feed_deliveries", ("feed_id", "event_id")),
)
# The audit log's own tables and the migration record (the chain notes migrations by ADOPT).
# console_sessions holds sign-in state, not case records: it churns with every sign-in and
# expiry, and what a session does is audited where it lands (transitions name the member).
# maintenance_items: the people side's items before migration 0008 moved them into
# work_orders; a ledger not upgraded yet still verifies as its release wrote it.
UNAUDITED_TABLES = frozenset(
    {"schema_migrations", "audit_log", "audit_anchor", "console_sessions", "maintenance_items"}
)
ENTRY_COLUMNS = "seq, at, actor, action, subject, payload, prev_hash, hash, row_images, key_id, mac"
RowKey = tuple[str, str]  # (table, JSON list of the key values)
RowImage = tuple[str, list[Any], str | None]


@dataclass(frozen=True)
class Entry:
    seq: int
    at: float
    actor: str
    action: str
    subject: str
    payload: str
    prev_hash: str
    hash: str
    row_images: str | None = None  # None on entries written before migration 0004
    key_id: str | None = None
    mac: str | None = None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Entry:
        seq, at, actor, action, subject, payload, prev_hash, digest, images, kid, mac = row
        return cls(
            int(seq),
            float(at),
            actor,
            action,
            subject,
            payload,
            prev_hash,
            digest,
            images,
            kid,
            mac,
        )

    def expected_hash(self) -> str:
        return entry_digest(
            self.prev_hash,
            self.seq,
            self.at,
            self.actor,
            self.action,
            self.subject,
            self.payload,
            self.row_images,
        )

    def images(self) -> list[RowImage]:
        return [] if self.row_images is None else json.loads(self.row_images)

    def is_system(self, action: str) -> bool:
        return self.actor == SYSTEM_ACTOR and self.action == action


def entry_digest(  # noqa: PLR0917 - one argument per hashed column
    prev_hash: str,
    seq: int,
    at: float,
    actor: str,
    action: str,
    subject: str,
    payload: str,
    row_images: str | None,
) -> str:
    fields: list[Any] = [seq, repr(at), actor, action, subject, payload]
    if row_images is not None:  # entries from before 0004 keep their original hash
        fields.append(row_images)
    body = json.dumps(fields, ensure_ascii=False)
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def row_digest(table: str, columns: Iterable[str], values: Iterable[Any]) -> str:
    # Null columns are left out, so adding a nullable column keeps every old digest valid.
    row = {c: v for c, v in zip(columns, values, strict=True) if v is not None}
    text = json.dumps([table, row], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def key_text(values: Iterable[Any]) -> str:
    return json.dumps(list(values), ensure_ascii=False, default=str)


def checkpoint_message(seq: int, digest: str) -> str:
    return f"{seq}:{digest}"


def images_json(images: Iterable[RowImage]) -> str:
    return json.dumps([list(i) for i in images], ensure_ascii=False, default=str)


@dataclass
class ChainState:
    """Row digests implied by the entries replayed so far (from the base anchor on), each with
    the sequence number of the entry that wrote it."""

    rows: dict[RowKey, tuple[str, int]] = field(default_factory=dict)
    touched: set[RowKey] = field(default_factory=set)  # keys written since the replay began

    def apply(self, entry: Entry) -> None:
        if entry.is_system(ADOPT):  # a migration re-baselined every row: start over from it
            self.rows = {
                (t, key_text(k)): (d, entry.seq) for t, k, d in _payload(entry).get("rows", [])
            }
        elif entry.is_system(PURGE):  # rows last written before the new base, carried over
            for t, k, d in _payload(entry).get("carried", []):
                self.rows.setdefault((t, key_text(k)), (d, entry.seq))
        for table, key, digest in entry.images():
            row_key = (table, key_text(key))
            self.touched.add(row_key)
            if digest is None:
                self.rows.pop(row_key, None)
            else:
                self.rows[row_key] = (digest, entry.seq)


def _payload(entry: Entry) -> dict[str, Any]:
    try:
        data = json.loads(entry.payload)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
