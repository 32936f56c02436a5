"""`firewatch sink`: device readings from Kafka to InfluxDB, in its own consumer group.

The token comes from the environment only (FIREWATCH_SINK__TOKEN): a flag would show it in `ps`.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING

import click

from firewatch.commands.common import CONTEXT_SETTINGS, cli_of, log_config
from firewatch.commands.failures import UsageError

if TYPE_CHECKING:
    from firewatch.settings import Settings

log = logging.getLogger(__name__)


@click.command(
    "sink",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  FIREWATCH_SINK__TOKEN=... firewatch sink --influx-url "
    "http://127.0.0.1:8086 --org fw --bucket telemetry\n  firewatch sink --metrics-port 9103",
)
@click.option("--bootstrap", help="Kafka bootstrap servers (FIREWATCH_KAFKA__BOOTSTRAP).")
@click.option("--influx-url", help="InfluxDB URL (FIREWATCH_SINK__URL).")
@click.option("--org", help="InfluxDB organisation (FIREWATCH_SINK__ORG).")
@click.option("--bucket", help="InfluxDB bucket (FIREWATCH_SINK__BUCKET).")
@click.option("--group-id", help="Kafka consumer group (FIREWATCH_SINK__GROUP_ID).")
@click.option("--metrics-port", type=int, default=0, help="/metrics, /healthz, /readyz; 0 = off.")
@click.pass_context
def command(
    ctx: click.Context,
    *,
    bootstrap: str | None,
    influx_url: str | None,
    org: str | None,
    bucket: str | None,
    group_id: str | None,
    metrics_port: int,
) -> int:
    """Write device telemetry from Kafka to InfluxDB (v2 write API), in its own group.

    The token comes from the environment only (FIREWATCH_SINK__TOKEN): a flag would show it
    in `ps`.
    """
    settings = (
        cli_of(ctx)
        .settings()
        .with_overrides(
            kafka={"bootstrap": bootstrap},
            sink={"url": influx_url, "org": org, "bucket": bucket, "group_id": group_id},
        )
    )
    log_config(settings, "kafka", "sink")
    if settings.sink.url is None:
        raise UsageError("no InfluxDB URL: set FIREWATCH_SINK__URL or --influx-url")
    return asyncio.run(_serve(settings, metrics_port))


async def _serve(settings: Settings, metrics_port: int) -> int:
    from runtime.health import Health
    from runtime.metrics_server import start_metrics_server
    from streams.telemetry.service import run_sink

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    health = Health()
    server = start_metrics_server(metrics_port, health)
    try:
        await run_sink(settings.sink, settings.kafka, stop, health=health)
    finally:
        if server is not None:
            server.stop()
    return 0
