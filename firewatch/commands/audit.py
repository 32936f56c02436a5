"""`firewatch audit verify`: check the ledger's signed audit chain; exit 1 on any tampering.

Only argument parsing lives here; the work is firewatch.ledger_audit. Exit codes: 0 intact,
1 tampering found, 2 cannot verify (no ledger, unreadable key or checkpoints).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from alerts.errors import LedgerError
from firewatch.ledger_audit import VerifyRequest, render, rotate_key, verify_ledger
from firewatch.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("audit", help="ledger audit log")
    actions = parser.add_subparsers(dest="audit_action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "verify",
        help="detect edited, deleted or rebuilt ledger history",
        epilog="example: firewatch audit verify --database-url sqlite:///data/ledger.db"
        " --key-file audit.key --checkpoints audit-checkpoints.jsonl",
    )
    check.add_argument("--database-url", help="default: the dispatch setting")
    check.add_argument("--key-file", type=Path, help="HMAC keyring (default: dispatch setting)")
    check.add_argument(
        "--checkpoints",
        type=Path,
        action="append",
        help="checkpoint file (repeatable; default: the dispatch setting)",
    )
    check.add_argument(
        "--kafka-bootstrap", help="also read the checkpoints on Kafka (e.g. 127.0.0.1:9092)"
    )
    check.set_defaults(func=run)
    rotate = actions.add_parser(
        "rotate-key",
        help="put a new signing key first in the keyring (older keys still verify)",
        epilog="example: firewatch audit rotate-key --key-file /etc/firewatch/audit.key",
    )
    rotate.add_argument("--key-file", type=Path, help="default: the dispatch setting")
    rotate.set_defaults(func=run_rotate)


def request_from(args: argparse.Namespace, settings: Settings) -> VerifyRequest:
    dispatch = settings.dispatch
    files = args.checkpoints or (
        [dispatch.audit_checkpoint_file] if dispatch.audit_checkpoint_file else []
    )
    return VerifyRequest(
        database_url=args.database_url or dispatch.database_url.get_secret_value(),
        key_file=args.key_file or dispatch.audit_key_file,
        checkpoint_files=tuple(files),
        kafka_bootstrap=args.kafka_bootstrap,
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        outcome = verify_ledger(request_from(args, settings))
    except LedgerError as exc:
        print(f"firewatch audit verify: {exc}", file=sys.stderr)
        return 2
    print(render(outcome))
    return outcome.exit_code


def run_rotate(args: argparse.Namespace, settings: Settings) -> int:
    path = args.key_file or settings.dispatch.audit_key_file
    if path is None:
        print("firewatch audit rotate-key: give --key-file", file=sys.stderr)
        return 2
    try:
        key_id = rotate_key(path)
    except LedgerError as exc:
        print(f"firewatch audit rotate-key: {exc}", file=sys.stderr)
        return 2
    print(f"{path}: new signing key {key_id}; restart dispatch to use it")
    return 0
