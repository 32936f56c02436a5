"""`firewatch topics`: the Kafka topic table and the MQTT scheme, for people or machines."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from firewatch.commands.common import CONTEXT_SETTINGS, json_option


@click.command(
    "topics",
    context_settings=CONTEXT_SETTINGS,
    epilog="\b\nExamples:\n  firewatch topics\n  firewatch topics --json | jq '.kafka[].name'",
)
@json_option
def command(as_json: bool) -> int:
    """Print the Kafka topic table and the MQTT topic scheme."""
    from events.topics import (
        DEVICE_PUBLISH_PATTERN,
        KAFKA_TOPICS,
        MqttTopic,
        uplink_subscriptions,
    )

    gateway_status = MqttTopic.gateway_status("{compound}", "{gateway}")
    command_topic = MqttTopic.command("{compound}", "{gateway}", "{device}")
    if as_json:
        mqtt = {
            "device_publish": DEVICE_PUBLISH_PATTERN,
            "gateway_status": gateway_status,
            "command": command_topic,
            "ingest_subscriptions": uplink_subscriptions(),
        }
        print(json.dumps({"kafka": [asdict(s) for s in KAFKA_TOPICS], "mqtt": mqtt}, indent=2))
        return 0
    from firewatch.commands.console import print_table

    rows = [(s.name, s.key, str(s.partitions), s.carries) for s in KAFKA_TOPICS]
    print_table("Kafka topics", ("topic", "key", "partitions", "carries"), rows)
    mqtt_rows = [
        ("device publish", DEVICE_PUBLISH_PATTERN),
        ("gateway status", gateway_status),
        ("commands down", command_topic),
    ]
    print_table("MQTT", ("", "topic"), mqtt_rows)
    return 0
