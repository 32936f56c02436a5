"""`firewatch feeds`: scoped feeds to outside platforms (docs/FEEDS.md). `run` delivers,
`schema` checks (or --write) each feed's JSON Schema, `status` shows the delivery ledger."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from firewatch.commands.common import CONTEXT_SETTINGS, cli_of
from firewatch.commands.failures import Exit, UsageError

if TYPE_CHECKING:
    from alerts.feeds.config import FeedsConfig

_CONFIG_HELP = "Feeds YAML (default: the example, alerts/feeds/example.yaml)."


def _load(path: Path | None, *, need_secrets: bool = True) -> FeedsConfig:
    from alerts.feeds.config import EXAMPLE_FEEDS, FeedConfigError, load_feeds

    # The composition root hands webhook keys over from the environment (`secret_env`); the
    # schema and status commands need no key, so placeholders stand in there.
    secrets = dict(os.environ) if need_secrets else _placeholders()
    try:
        return load_feeds(path or EXAMPLE_FEEDS, secrets)
    except FeedConfigError as exc:
        raise UsageError(str(exc)) from None


class _placeholders(dict[str, str]):  # noqa: N801 - reads as the function it stands in for
    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> str:
        return "(not needed here)"


@click.group(
    "feeds",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch feeds run --config /etc/firewatch/feeds.yaml\n"
    "  firewatch feeds schema --write\n  firewatch feeds status",
)
def command() -> None:
    """Scoped feeds to outside platforms (police, housing bureau, fire brigade 119)."""


@command.command(
    "run",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch feeds run --config /etc/firewatch/feeds.yaml",
)
@click.option("--config", type=click.Path(path_type=Path, exists=True), help=_CONFIG_HELP)
@click.option("--database-url", help="Default: FIREWATCH_DISPATCH__DATABASE_URL.")
@click.option("--bootstrap", help="Kafka bootstrap servers.")
@click.pass_context
def run(
    ctx: click.Context, config: Path | None, database_url: str | None, bootstrap: str | None
) -> int:
    """Deliver incidents and hazards to every configured recipient."""
    import signal

    from alerts.feeds.service import FeedService

    settings = cli_of(ctx).settings().with_overrides(kafka={"bootstrap": bootstrap})
    feeds = _load(config)
    url = database_url or settings.dispatch.database_url.get_secret_value()

    async def main() -> int:
        key_file = settings.dispatch.audit_key_file  # one chain, signed with one keyring
        service = FeedService(feeds, settings.kafka, url, audit_key_file=key_file)
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await service.start()
        print(f"feeds running: {', '.join(f.feed_id for f in feeds.feeds)}", flush=True)
        try:
            await stop.wait()
        finally:
            await service.stop()
        return 0

    return asyncio.run(main())


@command.command(
    "schema",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch feeds schema --config feeds.yaml --write",
)
@click.option("--config", type=click.Path(path_type=Path, exists=True), help=_CONFIG_HELP)
@click.option("--write", "is_write", is_flag=True, help="Regenerate the committed schemas.")
def schema(config: Path | None, is_write: bool) -> int:
    """Check that each feed's committed JSON Schema matches its field set (or --write them)."""
    from alerts.feeds.schema import stale, write

    feeds = _load(config, need_secrets=False)
    if is_write:
        for path in write(feeds):
            print(f"wrote {path}")
        return 0
    out_of_date = stale(feeds)
    if out_of_date:
        print(f"stale feed schemas: {out_of_date} (run `firewatch feeds schema --write`)")
        return Exit.FAILED
    print(f"feed schemas up to date: {len(feeds.feeds)}")
    return 0


@command.command(
    "status",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch feeds status --database-url sqlite:///var/ledger.db",
)
@click.option("--config", type=click.Path(path_type=Path, exists=True), help=_CONFIG_HELP)
@click.option("--database-url", help="Default: FIREWATCH_DISPATCH__DATABASE_URL.")
@click.pass_context
def status(ctx: click.Context, config: Path | None, database_url: str | None) -> int:
    """Deliveries per feed (delivered / waiting) and the feeds that are failing."""
    from alerts.feeds.store import DeliveryLedger
    from alerts.hazards.maintenance import ItemKind, MaintenanceItems
    from firewatch.commands.ledger import open_existing

    feeds = _load(config, need_secrets=False)
    url = database_url or cli_of(ctx).settings().dispatch.database_url.get_secret_value()
    db = open_existing(url)
    try:
        ledger = DeliveryLedger(db)
        failing = {i.subject: i for i in MaintenanceItems(db).open_items(ItemKind.FEED_FAILING)}
        for feed in feeds.feeds:
            counts = ledger.counts(feed.feed_id)
            flag = f"  FAILING: {failing[feed.feed_id].detail}" if feed.feed_id in failing else ""
            print(
                f"{feed.feed_id:<12} delivered {counts.get('delivered', 0):>6}  "
                f"waiting {counts.get('retrying', 0):>6}{flag}"
            )
    finally:
        db.close()
    return 0
