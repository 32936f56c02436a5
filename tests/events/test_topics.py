from __future__ import annotations

import re

import pytest

from events import KAFKA_TOPICS, DeadLetterReason, MqttTopic, TopicError
from events.topics import (
    Channel,
    priority_subscriptions,
    telemetry_subscriptions,
    uplink_subscriptions,
)


def test_device_topic_round_trips() -> None:
    rendered = MqttTopic.device("c1", "gw-1", "sd-1", Channel.TELEMETRY)
    assert rendered == "fw/v1/c1/gw-1/sd-1/telemetry"
    assert MqttTopic.parse(rendered) == MqttTopic("c1", "gw-1", "sd-1", Channel.TELEMETRY)


def test_gateway_status_topic_has_no_device() -> None:
    parsed = MqttTopic.parse(MqttTopic.gateway_status("c1", "gw-1"))
    assert parsed.device_id is None
    assert parsed.channel is Channel.STATUS


@pytest.mark.parametrize(
    "topic",
    [
        "fw/v2/c/g/d/telemetry",
        "fw/v1/c/g/d/weather",
        "fw/v1/c/g/telemetry",
        "fw/v1/c",
        "fw/v1/c/g/d/e/f/telemetry",
        "fw/v1/c/g/d d/telemetry",
    ],
)
def test_bad_topics_are_rejected_with_reason(topic: str) -> None:
    with pytest.raises(TopicError) as caught:
        MqttTopic.parse(topic)
    assert caught.value.reason is DeadLetterReason.BAD_TOPIC


def test_shared_subscriptions_never_include_commands() -> None:
    filters = uplink_subscriptions("ingest")
    assert all(f.startswith("$share/ingest/fw/v1/") for f in filters)
    assert not any(f.endswith("/cmd") for f in filters)


def test_topic_names_are_unique_and_versioned() -> None:
    names = [spec.name for spec in KAFKA_TOPICS]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"fw\.[a-z.]+\.v[0-9]+", name) for name in names)


def test_alarm_channel_is_the_priority_lane_only() -> None:
    assert priority_subscriptions() == ["fw/v1/+/+/+/alarm"]
    assert not any(f.endswith("/alarm") for f in telemetry_subscriptions())
