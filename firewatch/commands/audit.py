"""`firewatch audit verify`: check the ledger's signed audit chain; `audit rotate-key`.

Only argument parsing lives here; the work is firewatch.ledger_audit. Exit codes: 0 intact,
1 tampering found, 3 cannot verify (no ledger, unreadable key or checkpoints).
"""

from __future__ import annotations

from pathlib import Path

import click

from firewatch.commands.common import CONTEXT_SETTINGS, cli_of
from firewatch.commands.failures import Failed, InputError


@click.group(
    "audit",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch audit verify --database-url sqlite:///ledger.db",
)
def command() -> None:
    """Verify the ledger's audit log; rotate its signing key."""


@command.command(
    "verify",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch audit verify\n"
    "  firewatch audit verify --database-url sqlite:///data/ledger.db"
    " --key-file audit.key --checkpoints audit-checkpoints.jsonl",
)
@click.option("--database-url", help="Default: FIREWATCH_DISPATCH__DATABASE_URL.")
@click.option(
    "--key-file", type=click.Path(path_type=Path), help="HMAC keyring (default: dispatch setting)."
)
@click.option(
    "--checkpoints",
    type=click.Path(path_type=Path),
    multiple=True,
    help="Checkpoint file (repeatable; default: the dispatch setting).",
)
@click.option("--kafka-bootstrap", help="Also read the checkpoints on Kafka (host:port).")
@click.pass_context
def verify_command(
    ctx: click.Context,
    database_url: str | None,
    key_file: Path | None,
    checkpoints: tuple[Path, ...],
    kafka_bootstrap: str | None,
) -> int:
    """Detect edited, deleted or rebuilt ledger history (exit 1); a missing ledger is exit 3."""
    from alerts.errors import LedgerError
    from firewatch.commands.ledger import open_existing
    from firewatch.ledger_audit import VerifyRequest, render, verify_ledger

    settings = cli_of(ctx).settings()
    dispatch = settings.dispatch
    files = checkpoints or (
        (dispatch.audit_checkpoint_file,) if dispatch.audit_checkpoint_file else ()
    )
    request = VerifyRequest(
        database_url=database_url or dispatch.database_url.get_secret_value(),
        key_file=key_file or dispatch.audit_key_file,
        checkpoint_files=tuple(files),
        # The bootstrap from the flag; TLS and SASL from the settings (FIREWATCH_KAFKA__*).
        kafka=settings.kafka.model_copy(update={"bootstrap": kafka_bootstrap})
        if kafka_bootstrap
        else None,
    )
    open_existing(request.database_url).close()  # the same one-line errors as `report`
    try:
        outcome = verify_ledger(request)
    except LedgerError as exc:
        raise InputError(f"audit verify: {exc}") from None
    print(render(outcome))
    if outcome.exit_code:
        raise Failed("the audit chain is broken")
    return 0


@command.command(
    "rotate-key",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch audit rotate-key --key-file /etc/firewatch/audit.key",
)
@click.option("--key-file", type=click.Path(path_type=Path), help="Default: the dispatch setting.")
@click.pass_context
def rotate_key_command(ctx: click.Context, key_file: Path | None) -> int:
    """Put a new signing key first in the keyring (older keys still verify)."""
    from alerts.errors import LedgerError
    from firewatch.ledger_audit import rotate_key

    path = key_file or cli_of(ctx).settings().dispatch.audit_key_file
    if path is None:
        raise InputError("audit rotate-key: give --key-file")
    try:
        key_id = rotate_key(path)
    except LedgerError as exc:
        raise InputError(f"audit rotate-key: {exc}") from None
    print(f"{path}: new signing key {key_id}; restart dispatch to use it")
    return 0
