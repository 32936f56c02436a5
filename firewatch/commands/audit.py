"""`firewatch audit verify`: walk the ledger's audit hash chain; exit 1 on any tampering."""

from __future__ import annotations

import argparse
from typing import Any

from alerts.ledger import Database, verify
from firewatch.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("audit", help="ledger audit log")
    actions = parser.add_subparsers(dest="audit_action", required=True, metavar="ACTION")
    check = actions.add_parser("verify", help="detect edited or deleted audit entries")
    check.add_argument("--database-url", help="default: the dispatch setting")
    check.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(args.database_url or settings.dispatch.database_url.get_secret_value())
    db.migrate()
    result = verify(db)
    db.close()
    for problem in result.problems:
        print(f"TAMPERED: {problem}")
    print(f"{result.entries} audit entries checked: {'ok' if result.is_ok else 'FAILED'}")
    return 0 if result.is_ok else 1
