"""One ledger shared by several dispatch instances (issue 16.4): writers one at a time, one
migration, and a ladder step fired once however many instances believe they own it.

Dispatch instances split the compounds through the alerts consumer group; after a rebalance
the new owner rebuilds a compound from the ledger. Two instances can still both hold an
incident for a moment: a paused instance (a long GC, a frozen VM) whose group session expired
resumes with its old books. The ledger, which both write, decides who pages.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import Enum

from alerts.ledger.audit import AuditLog
from alerts.ledger.batch import PageRecord
from alerts.ledger.db import Database

# Any constants: PostgreSQL advisory locks every dispatch instance takes.
_WRITERS_LOCK = 0x46570001
_MIGRATION_LOCK = 0x46570002

# A claim row says who is sending a step; the outcome replaces it in the step's ledger write
# (store.Ledger._page). A claim still "sending" after the lease belongs to an instance that
# died between claiming and recording: another may fire the step again (at least once).
CLAIM_PREFIX = "sending by "


class StepClaim(Enum):
    """What the ledger says about sending one ladder step's pages here."""

    FIRST = "first"  # nobody has sent this step: send it
    # A send that stopped between sending and recording (this instance restarted, or another
    # died and its lease ran out): send again, each page marked a resend. Some may have
    # arrived; none may be left unsent.
    RESEND = "resend"
    ELSEWHERE = "elsewhere"  # fired, or being fired by a live instance: not here


def serialize_writers(db: Database) -> None:
    """Inside a transaction: wait until every other instance's ledger write committed (the lock
    goes with the transaction). The audit chain reads its head inside the writing transaction
    (audit.py): two instances appending at once would both write entry N+1, and one whole
    transaction would fail on the duplicate. SQLite serialises writers itself (one file)."""
    if db.is_postgres:
        db.query("SELECT pg_advisory_xact_lock(?)", (_WRITERS_LOCK,))


@contextmanager
def migration_lock(db: Database) -> Iterator[None]:
    """PostgreSQL: one instance at a time migrates and adopts (a session-level lock), so two
    instances starting together apply each migration once."""
    if not db.is_postgres:
        yield
        return
    with db.transaction():
        db.query("SELECT pg_advisory_lock(?)", (_MIGRATION_LOCK,))
    try:
        yield
    finally:
        with db.transaction():
            db.query("SELECT pg_advisory_unlock(?)", (_MIGRATION_LOCK,))


def _may_take(detail: str, at: float, owner: str, lease_s: float, now: float) -> bool:
    """A claim of our own (this instance restarted mid-step: it pages again, at least once),
    or one whose instance died mid-step. A recorded outcome is never taken over."""
    if not detail.startswith(CLAIM_PREFIX):
        return False
    return detail == CLAIM_PREFIX + owner or now - at > lease_s


def claim_step(  # noqa: PLR0917 - the ledger's parts and the claim
    db: Database,
    audit: AuditLog,
    pages: Sequence[PageRecord],
    owner: str,
    lease_s: float,
    now: float,
) -> StepClaim:
    """Inside a transaction holding the writers' lock: record that `owner` is sending these
    pages of one step, unless the step has rows already (fired, or being fired by a live
    instance). Keyed by (incident, step), the notifications table's own key: no page twice,
    except the resends of a send that stopped half-way, which say so."""
    if not pages:
        return StepClaim.FIRST
    key, step = pages[0].incident_key, pages[0].step_id
    rows = db.query(
        "SELECT detail, at FROM notifications WHERE incident_key = ? AND step_id = ?",
        (key, step),
    )
    for detail, at in rows:
        if not _may_take(str(detail), float(at), owner, lease_s, now):
            return StepClaim.ELSEWHERE
    for p in pages:
        db.execute(
            "INSERT INTO notifications (incident_key, step_id, recipient, channel, at, is_ok,"
            " detail) VALUES (?, ?, ?, ?, ?, 0, ?)"
            " ON CONFLICT (incident_key, step_id, recipient, channel) DO UPDATE SET"
            " at = excluded.at, is_ok = excluded.is_ok, detail = excluded.detail",
            (p.incident_key, p.step_id, p.recipient, p.channel, now, CLAIM_PREFIX + owner),
        )
    # One audit entry for the step's claim (the first page waits on this transaction).
    audit.append(
        now,
        "dispatch",
        "step_claimed",
        key,
        {"step": step, "by": owner, "pages": len(pages)},
        rows=[
            ("notifications", (p.incident_key, p.step_id, p.recipient, p.channel)) for p in pages
        ],
    )
    return StepClaim.RESEND if rows else StepClaim.FIRST
