"""`firewatch schemas`: check or regenerate the committed JSON Schemas of the wire contract."""

from __future__ import annotations

import click

from firewatch.commands.common import CONTEXT_SETTINGS
from firewatch.commands.failures import Failed


@click.command(
    "schemas",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch schemas            # exit 1 when stale\n"
    "  firewatch schemas --write",
)
@click.option("--write", is_flag=True, help="Regenerate the committed files.")
def command(write: bool) -> int:
    """Check (default) or --write the JSON Schemas in events/schemas/."""
    from events import schema_export

    if write:
        for path in schema_export.write():
            print(path)
        return 0
    stale = schema_export.stale()
    if stale:
        raise Failed(f"stale schemas: {', '.join(stale)}; run `firewatch schemas --write`")
    print("schemas are current")
    return 0
