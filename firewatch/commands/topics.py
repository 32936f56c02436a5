"""`firewatch topics`: the Kafka topic table and the MQTT scheme, for people or machines."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from events.topics import DEVICE_PUBLISH_PATTERN, KAFKA_TOPICS, MqttTopic, uplink_subscriptions
from firewatch.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("topics", help="print the topic table")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.json:
        print(
            json.dumps(
                {
                    "kafka": [asdict(spec) for spec in KAFKA_TOPICS],
                    "mqtt": {
                        "device_publish": DEVICE_PUBLISH_PATTERN,
                        "gateway_status": MqttTopic.gateway_status("{compound}", "{gateway}"),
                        "command": MqttTopic.command("{compound}", "{gateway}", "{device}"),
                        "ingest_subscriptions": uplink_subscriptions(),
                    },
                },
                indent=2,
            )
        )
        return 0
    print(f"{'KAFKA TOPIC':<20} {'KEY':<12} {'PARTS':>5}  CARRIES")
    for spec in KAFKA_TOPICS:
        print(f"{spec.name:<20} {spec.key:<12} {spec.partitions:>5}  {spec.carries}")
    print()
    print(f"MQTT device publish:  {DEVICE_PUBLISH_PATTERN}")
    print(f"MQTT gateway status:  {MqttTopic.gateway_status('{compound}', '{gateway}')}")
    print(f"MQTT commands down:   {MqttTopic.command('{compound}', '{gateway}', '{device}')}")
    return 0
