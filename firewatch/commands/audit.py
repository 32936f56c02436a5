"""`firewatch audit verify`: walk the ledger's audit hash chain; exit 1 on any tampering."""

from __future__ import annotations

import click

from firewatch.commands.common import CONTEXT_SETTINGS, cli_of
from firewatch.commands.failures import Failed


@click.group(
    "audit",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch audit verify --database-url sqlite:///ledger.db",
)
def command() -> None:
    """Verify the ledger's audit log."""


@command.command(
    "verify",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch audit verify\n"
    "  firewatch audit verify --database-url sqlite:///var/firewatch/ledger.db",
)
@click.option("--database-url", help="Default: FIREWATCH_DISPATCH__DATABASE_URL.")
@click.pass_context
def verify_command(ctx: click.Context, database_url: str | None) -> int:
    """Detect edited or deleted audit entries (exit 1); a missing ledger is an error (3)."""
    from alerts.ledger import verify
    from firewatch.commands.ledger import open_existing

    settings = cli_of(ctx).settings()
    db = open_existing(database_url or settings.dispatch.database_url.get_secret_value())
    try:
        result = verify(db)
    finally:
        db.close()
    for problem in result.problems:
        print(f"TAMPERED: {problem}")
    print(f"{result.entries} audit entries checked: {'ok' if result.is_ok else 'FAILED'}")
    if not result.is_ok:
        raise Failed(f"the audit chain is broken ({len(result.problems)} problems)")
    return 0
