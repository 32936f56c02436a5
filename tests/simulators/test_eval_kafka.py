"""`firewatch eval --kafka` reads events.alerts.Alert JSON from the alerts topic (Tansu)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiokafka import AIOKafkaProducer

from events.alerts import Alert, AlertKind, AlertStatus, Severity, incident_key
from events.connections import KafkaConnection
from events.topics import Topics
from firewatch.commands.eval import read_kafka_alerts
from firewatch.embedded.tansu import TansuBroker
from simulators import scenarios
from simulators.evaluation import evaluate

pytestmark = pytest.mark.integration


async def test_alerts_from_kafka_are_scored(kafka: TansuBroker) -> None:
    truth = scenarios.load_named("forced_door").ground_truth()
    at = truth.start_at + timedelta(seconds=243)
    alert = Alert(
        incident_key=incident_key("c001", "b2", AlertKind.DOOR_FORCED, "c001-b2-exit1"),
        revision=1,
        kind=AlertKind.DOOR_FORCED,
        severity=Severity.P2,
        status=AlertStatus.RAISED,
        compound_id="c001",
        building_id="b2",
        device_id="c001-b2-exit1",
        onset_at=at,
        raised_at=at,
        summary="forced",
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(Topics.ALERTS, alert.model_dump_json().encode(), key=b"c001")
        await producer.send_and_wait(Topics.ALERTS, b"not an alert", key=b"c001")
    finally:
        await producer.stop()
    alerts = await read_kafka_alerts(KafkaConnection(bootstrap=kafka.bootstrap), idle_s=1.5)
    assert alerts == [alert]
    report = evaluate(truth, alerts)
    assert report.passed
    assert report.expectations[0].latency_s == 3.0
