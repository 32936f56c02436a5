"""Command-line flags shared by the simulator commands: broker address and metrics port."""

from __future__ import annotations

import argparse
import logging

from prometheus_client import start_http_server

from events.connections import MqttConnection
from firewatch.settings import Settings

log = logging.getLogger("firewatch")


def add_mqtt_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="MQTT broker host (default: settings)")
    parser.add_argument("--port", type=int, default=None, help="MQTT broker port")
    parser.add_argument("--metrics-port", type=int, default=0, help="Prometheus port (0 = off)")


def mqtt_connection(
    args: argparse.Namespace, settings: Settings
) -> tuple[Settings, MqttConnection]:
    """Apply the flags, log the effective configuration once, start metrics if asked."""
    settings = settings.with_overrides(mqtt={"host": args.host, "port": args.port})
    log.info("effective config: %s", settings.masked_json())
    if args.metrics_port:
        start_http_server(args.metrics_port)
    return settings, settings.mqtt


def parse_speed(text: str) -> float | None:
    """`max` (None: as fast as possible) or a positive factor."""
    if text == "max":
        return None
    speed = float(text)
    if speed <= 0:
        raise argparse.ArgumentTypeError("speed must be > 0 or 'max'")
    return speed
