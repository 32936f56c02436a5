"""`firewatch ingest`: run the MQTT -> Kafka bridge until SIGINT/SIGTERM.

At shutdown it prints one JSON line of counters to stdout (received = published +
dead_lettered); `--ready-file` is touched once both lanes are subscribed.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import click

from firewatch.commands.common import CONTEXT_SETTINGS, cli_of, log_config

if TYPE_CHECKING:
    from events.connections import KafkaConnection
    from firewatch.settings import Settings
    from ingest.bridge import Bridge

log = logging.getLogger("firewatch.ingest")


@click.command(
    "ingest",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch ingest --mqtt-port 1883 --kafka-bootstrap 127.0.0.1:9092\n"
    "  firewatch ingest --share-group ingest --bridge-id b2 --metrics-port 9101",
)
@click.option("--mqtt-host")
@click.option("--mqtt-port", type=click.IntRange(1, 65535))
@click.option("--kafka-bootstrap")
@click.option("--kafka-flavour", type=click.Choice(["apache", "tansu"]))
@click.option("--bridge-id", help="Also the MQTT client-id prefix.")
@click.option("--share-group", help="$share/<group>/... (N bridges).")
@click.option("--compound", multiple=True, help="Only this compound (repeatable).")
@click.option(
    "--compounds-file",
    type=click.Path(path_type=Path),
    help="Only the compounds listed (one a line): `firewatch deploy bridges` writes them.",
)
@click.option("--registry", type=click.Path(path_type=Path), help="File of known device ids.")
@click.option("--max-payload-bytes", type=int)
@click.option("--receive-maximum", type=int, help="In-flight per lane.")
@click.option("--metrics-port", type=int, default=0, help="/metrics, /healthz, /readyz; 0 = off.")
@click.option("--ready-file", type=click.Path(path_type=Path), help="Touched when subscribed.")
@click.pass_context
def command(
    ctx: click.Context,
    *,
    mqtt_host: str | None,
    mqtt_port: int | None,
    kafka_bootstrap: str | None,
    kafka_flavour: str | None,
    bridge_id: str | None,
    share_group: str | None,
    compound: tuple[str, ...],
    compounds_file: Path | None,
    registry: Path | None,
    max_payload_bytes: int | None,
    receive_maximum: int | None,
    metrics_port: int,
    ready_file: Path | None,
) -> int:
    """Run the MQTT -> Kafka bridge until SIGINT/SIGTERM; print its counters at the end."""
    from prometheus_client import REGISTRY

    from ingest.bridge import Bridge, BridgeOptions
    from ingest.metrics import StatsCollector
    from ingest.registry import load_registry
    from runtime.metrics_server import start_metrics_server

    settings: Settings = (
        cli_of(ctx)
        .settings()
        .with_overrides(
            mqtt={"host": mqtt_host, "port": mqtt_port},
            kafka={"bootstrap": kafka_bootstrap, "flavour": kafka_flavour},
            ingest={
                "bridge_id": bridge_id,
                "share_group": share_group,
                "registry_path": registry,
                "max_payload_bytes": max_payload_bytes,
                "receive_maximum": receive_maximum,
                "compounds": _compounds(compound, compounds_file) or None,
            },
        )
    )
    log_config(settings, "mqtt", "kafka", "ingest")
    path = settings.ingest.registry_path
    known = load_registry(path) if path is not None else None
    if known is not None:
        log.info("device registry %s: %d ids", path, len(known))
    bridge = Bridge(BridgeOptions(settings.mqtt, settings.kafka, settings.ingest, known))
    if metrics_port:
        REGISTRY.register(StatsCollector(bridge.stats))
        start_metrics_server(metrics_port, bridge.health)
    is_failed = asyncio.run(_serve(bridge, ready_file, settings.kafka))
    print(bridge.stats.json_line(), flush=True)
    return 1 if is_failed else 0


def _compounds(named: tuple[str, ...], path: Path | None) -> tuple[str, ...]:
    """--compound flags plus the file's; a file that names none is an error, because a bridge
    without a compound filter subscribes to every compound, those of the other bridges too."""
    if path is None:
        return named
    from firewatch.commands.failures import InputError
    from ingest.registry import load_registry

    listed = load_registry(path)
    if not listed:
        raise InputError(f"{path} names no compound")
    return tuple(sorted({*named, *listed}))


async def _serve(bridge: Bridge, ready_file: Path | None, kafka: KafkaConnection) -> bool:
    """Run until SIGINT/SIGTERM (False) or until a lane fails (True)."""
    from events.topics import Topics
    from runtime.health_kafka import kafka_probe

    # kafka.reachable: with no traffic, nothing else would see a frozen cluster.
    async with kafka_probe(kafka, bridge.health, Topics.PRIORITY):
        return await _run(bridge, ready_file)


async def _run(bridge: Bridge, ready_file: Path | None) -> bool:
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
