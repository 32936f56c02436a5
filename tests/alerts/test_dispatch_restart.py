"""Timers survive a restart: the no-acknowledgement step fires after the service came back,
from the deadline stored in the ledger, and the replayed alert does not page again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr

from alerts.escalation import EscalationPolicy, Step, Tier, Until
from alerts.notify.base import RecordingChannel
from alerts.registry.models import ContactChannel
from alerts.service.factory import build_dispatch_service
from events.codec import encode_model
from events.connections import KafkaConnection, KafkaFlavour, MqttConnection
from events.topics import Topics
from firewatch.embedded.mosquitto import MosquittoBroker
from firewatch.embedded.tansu import TansuBroker
from tests.alerts.rig import make_alert
from tests.polling import wait_for

from .conftest import SHORT_P1, short_config

pytestmark = pytest.mark.integration

# Members reached by SMS (recorded): an unreached member would pull the step forward.
SMS: dict[str, Any] = {"extra_channels": {ContactChannel.SMS: RecordingChannel()}}

# The no-ack step at 6 s: long enough to stop and restart the service before it is due.
RESTART_P1 = (
    SHORT_P1[0],
    Step(
        step_id="p1-no-ack", after_s=6.0, unless=Until.ACKNOWLEDGED, tiers=(Tier.BACKUP, Tier.CHIEF)
    ),
)


async def test_escalation_deadline_survives_a_restart(
    kafka: TansuBroker, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    config = short_config(
        tmp_path,
        escalation=EscalationPolicy(p1=RESTART_P1),
        database_url=SecretStr(f"sqlite:///{tmp_path}/restart.db"),
    )
    conn = KafkaConnection(
        bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU, session_timeout_ms=6000
    )
    first = build_dispatch_service(config, conn, MqttConnection(port=mosquitto.port), **SMS)
    await first.start()
    await first.wait_ready()
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    await producer.start()
    alert = make_alert(at=datetime.now(UTC))
    await producer.send_and_wait(Topics.ALERTS, encode_model(alert), key=b"c001")
    await wait_for(first.open_incidents)
    opened_at = first.open_incidents()[0].opened_at
    await first.stop()

    second = build_dispatch_service(config, conn, MqttConnection(port=mosquitto.port), **SMS)
    persisted = second.ledger.db.query("SELECT next_due_at FROM incidents")
    assert persisted == [(opened_at.timestamp() + 6.0,)]
    await second.start()
    try:
        await second.wait_ready()
        await producer.send_and_wait(Topics.ALERTS, encode_model(alert), key=b"c001")

        def no_ack_pages() -> list[tuple[str, float]]:
            rows = second.ledger.db.query(
                "SELECT recipient, at FROM notifications WHERE step_id = 'p1-no-ack'"
            )
            return [(r[0], r[1]) for r in rows]

        pages = await wait_for(no_ack_pages, timeout_s=20)
        assert "ste-chief" in {r for r, _ in pages}
        assert min(at for _, at in pages) - opened_at.timestamp() >= 6.0  # never early
        # The replay of the same revision is recognised and pages nobody again.
        await wait_for(lambda: second.dispatcher.alerts_ignored >= 1)
        first_step = second.ledger.db.query(
            "SELECT COUNT(*) FROM transitions WHERE action = 'note' AND detail LIKE"
            " 'escalation p1-page: paged%'"
        )
        assert first_step == [(1,)]
    finally:
        await second.stop()
        await producer.stop()
