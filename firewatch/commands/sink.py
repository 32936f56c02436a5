"""`firewatch sink`: device readings from Kafka to InfluxDB, in its own consumer group.

The token comes from the environment only (FIREWATCH_SINK__TOKEN): a flag would show it in `ps`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import Any

from firewatch.metrics import add_metrics_argument
from firewatch.settings import Settings
from runtime.health import Health
from runtime.metrics_server import start_metrics_server
from streams.telemetry.service import run_sink

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "sink", help="write device telemetry from Kafka to InfluxDB (v2 write API)"
    )
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers (FIREWATCH_KAFKA__BOOTSTRAP)")
    parser.add_argument("--influx-url", help="InfluxDB URL (FIREWATCH_SINK__URL)")
    parser.add_argument("--org", help="InfluxDB organisation (FIREWATCH_SINK__ORG)")
    parser.add_argument("--bucket", help="InfluxDB bucket (FIREWATCH_SINK__BUCKET)")
    parser.add_argument("--group-id", help="Kafka consumer group (FIREWATCH_SINK__GROUP_ID)")
    add_metrics_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    settings = settings.with_overrides(
        kafka={"bootstrap": args.bootstrap},
        sink={
            "url": args.influx_url,
            "org": args.org,
            "bucket": args.bucket,
            "group_id": args.group_id,
        },
    )
    log.info("effective config: %s", settings.masked_json())
    if settings.sink.url is None:
        log.error("no InfluxDB URL: set FIREWATCH_SINK__URL or --influx-url")
        return 2
    return asyncio.run(_serve(settings, args.metrics_port))


async def _serve(settings: Settings, metrics_port: int) -> int:
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
