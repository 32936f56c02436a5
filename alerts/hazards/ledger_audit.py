"""The people side in the ledger's one audit chain (issue 18 item 4): the hazard desk, the
patrol check-ins, the maintenance work orders it opens and the feeds' deliveries write their
rows and pass them to the chain in the same transaction, as dispatch's Ledger does
(alerts/ledger/audit.py; docs/SECURITY.md).

`join_audit` is what each of those stores does at start when it is not handed a log: migrate,
and re-baseline the chain when this start applied a migration (whoever migrates must adopt,
or the migration's rewrites would read as tampering). A service hands its stores one log,
built with the dispatch keyring, so its entries are signed like dispatch's.
"""

from __future__ import annotations

from pathlib import Path

from alerts.ledger.audit import AuditLog
from alerts.ledger.audit_keys import Keyring, load_keyring
from alerts.ledger.db import Database

# Actors of the entries no person wrote.
DESK, FEEDS = "hazards", "feeds"


def join_audit(db: Database, keyring: Keyring | None = None) -> AuditLog:
    """Migrate `db` and return an audit log on it (signed when `keyring` is given)."""
    applied = db.migrate()
    return AuditLog(db, keyring, adopt_migrations=applied)


def keyring_of(key_file: Path | None) -> Keyring | None:
    """The dispatch keyring (FIREWATCH_DISPATCH__AUDIT_KEY_FILE), or None: unsigned entries."""
    return load_keyring(key_file) if key_file is not None else None
