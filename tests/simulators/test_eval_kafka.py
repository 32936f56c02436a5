"""`firewatch eval --kafka` reads events.alerts.Alert JSON from the alerts topic and the
incident updates from the incidents topic (Tansu)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiokafka import AIOKafkaProducer

from events.alerts import Alert, AlertKind, AlertStatus, Severity, condition_key
from events.codec import encode_model
from events.connections import KafkaConnection
from events.topics import Topics
from firewatch.commands.eval import read_kafka_alerts, read_kafka_incidents
from firewatch.embedded.tansu import TansuBroker
from simulators import scenarios
from simulators.evaluation import evaluate
from tests.simulators.updates import update

pytestmark = pytest.mark.integration


async def test_alerts_from_kafka_are_scored(kafka: TansuBroker) -> None:
    truth = scenarios.load_named("forced_door").ground_truth()
    at = truth.start_at + timedelta(seconds=243)
    alert = Alert(
        condition_key=condition_key("c001", "b2", AlertKind.DOOR_FORCED, "c001-b2-exit1"),
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
    door = update(truth, "device", "c001-b2-exit1", [(AlertKind.DOOR_FORCED, 243.0)])
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(Topics.ALERTS, alert.model_dump_json().encode(), key=b"c001")
        await producer.send_and_wait(Topics.ALERTS, b"not an alert", key=b"c001")
        await producer.send_and_wait(Topics.INCIDENTS, encode_model(door), key=b"c001")
    finally:
        await producer.stop()
    conn = KafkaConnection(bootstrap=kafka.bootstrap)
    alerts = await read_kafka_alerts(conn, idle_s=1.5)
    assert alerts == [alert]
    incidents = await read_kafka_incidents(conn, idle_s=1.5)
    assert incidents == [door]
    report = evaluate(truth, alerts, incidents)
    assert report.passed
    assert report.expectations[0].latency_s == 3.0
    assert report.incidents is not None
    assert report.incidents.results[0].latency_s == 3.0
