"""`firewatch ingest`: run the MQTT -> Kafka bridge until SIGINT/SIGTERM.

At shutdown it prints one JSON line of counters to stdout (received = published +
dead_lettered); `--ready-file` is touched once both lanes are subscribed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY

from firewatch.settings import Settings
from ingest.bridge import Bridge, BridgeOptions
from ingest.registry import load_registry
from ingest.stats import StatsCollector
from runtime.metrics_server import start_metrics_server

log = logging.getLogger("firewatch.ingest")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("ingest", help="run the MQTT -> Kafka bridge")
    parser.add_argument("--mqtt-host", default=None)
    parser.add_argument("--mqtt-port", type=int, default=None)
    parser.add_argument("--kafka-bootstrap", default=None)
    parser.add_argument("--kafka-flavour", choices=["apache", "tansu"], default=None)
    parser.add_argument("--bridge-id", default=None, help="also the MQTT client-id prefix")
    parser.add_argument("--share-group", default=None, help="$share/<group>/... (N bridges)")
    parser.add_argument(
        "--compound", action="append", default=None, help="only this compound (repeatable)"
    )
    parser.add_argument("--registry", type=Path, default=None, help="file of known device ids")
    parser.add_argument("--max-payload-bytes", type=int, default=None)
    parser.add_argument("--receive-maximum", type=int, default=None, help="in-flight per lane")
    parser.add_argument("--metrics-port", type=int, default=0, help="Prometheus port (0 = off)")
    parser.add_argument("--ready-file", type=Path, default=None, help="touched when subscribed")
    parser.set_defaults(func=run)


def effective_settings(args: argparse.Namespace, settings: Settings) -> Settings:
    return settings.with_overrides(
        mqtt={"host": args.mqtt_host, "port": args.mqtt_port},
        kafka={"bootstrap": args.kafka_bootstrap, "flavour": args.kafka_flavour},
        ingest={
            "bridge_id": args.bridge_id,
            "share_group": args.share_group,
            "registry_path": args.registry,
            "max_payload_bytes": args.max_payload_bytes,
            "receive_maximum": args.receive_maximum,
            "compounds": tuple(args.compound) if args.compound else None,
        },
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    settings = effective_settings(args, settings)
    log.info("effective config: %s", settings.masked_json())
    path = settings.ingest.registry_path
    registry = load_registry(path) if path is not None else None
    if registry is not None:
        log.info("device registry %s: %d ids", path, len(registry))
    bridge = Bridge(BridgeOptions(settings.mqtt, settings.kafka, settings.ingest, registry))
    if args.metrics_port:
        REGISTRY.register(StatsCollector(bridge.stats))
        start_metrics_server(args.metrics_port, bridge.health)
    is_failed = asyncio.run(_serve(bridge, args.ready_file))
    print(bridge.stats.json_line(), flush=True)
    return 1 if is_failed else 0


async def _serve(bridge: Bridge, ready_file: Path | None) -> bool:
    """Run until SIGINT/SIGTERM (False) or until a lane fails (True)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await bridge.start()
    stopped = loop.create_task(stop.wait())
    failed = loop.create_task(bridge.wait_failed())
    try:
        subscribed = loop.create_task(bridge.wait_subscribed())
        await asyncio.wait([subscribed, stopped, failed], return_when="FIRST_COMPLETED")
        if subscribed.done():
            log.info("bridge ready: %s", [lane.spec.subscriptions for lane in bridge.lanes])
            if ready_file is not None:
                await asyncio.to_thread(ready_file.write_text, "ready\n", encoding="utf-8")
        await asyncio.wait([stopped, failed], return_when="FIRST_COMPLETED")
        subscribed.cancel()
        return failed.done()
    finally:
        stopped.cancel()
        failed.cancel()
        log.info("stopping: draining in-flight writes")
        await bridge.stop()
