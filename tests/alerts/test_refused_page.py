"""A terminal page the broker refuses counts as failed, escalates and is ledgered as failed
(issue 12.2), on a real Mosquitto with the one ACL (firewatch/embedded/acl.py).

The broker's ACL is the shipped one minus dispatch's `fw/v1/terminals/+/page` permission: the
misconfiguration issue 12 found (Mosquitto then drops the page and, over MQTT v3.1.1, dispatch
believed it delivered). Mosquitto 2.0 answers the denied QoS 1 publish with PUBACK 0x87 and
closes the connection; dispatch's link must see the code and come back.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr

from alerts.escalation import EscalationPolicy, Step, Tier, Until
from alerts.notify.base import RecordingChannel
from alerts.notify.terminal import terminal_topic
from alerts.registry import EXAMPLE_DIR
from alerts.registry.models import ContactChannel
from alerts.service.factory import build_dispatch_service
from alerts.service.mqtt_link import MqttLink
from events.codec import encode_model
from events.connections import KafkaConnection, KafkaFlavour, MqttConnection
from events.topics import MqttTopic, Topics
from firewatch.embedded.acl import (
    DISPATCHERS,
    deployment_identities,
    registry_terminals,
    render_acl,
)
from firewatch.embedded.credentials import mosquitto_hash, write_private
from firewatch.embedded.mosquitto import BrokerSecurity, MosquittoBroker, start_mosquitto
from firewatch.embedded.tansu import TansuBroker
from tests.alerts.rig import make_alert
from tests.polling import wait_for

from .conftest import short_config

pytestmark = pytest.mark.integration

PASSWORD = "pw-dispatch"
DISPATCH_USER = DISPATCHERS[0]  # one of the shipped ACL's dispatch instances
TERMINAL_RULE = f"topic write {terminal_topic('+')}\n"

# The no-ack step is far away (10 min): when it fires within the test, the refused page
# pulled it in (on_delivery_failure), not the clock.
REFUSED_P1 = (
    Step(step_id="p1-page", after_s=0, tiers=(Tier.ON_DUTY, Tier.CONTROL_ROOM)),
    Step(
        step_id="p1-no-ack",
        after_s=600,
        unless=Until.ACKNOWLEDGED,
        tiers=(Tier.BACKUP, Tier.CHIEF),
        on_delivery_failure=True,
    ),
)


def acl_without_terminal_pages() -> str:
    identities = deployment_identities(["ingest-1"], registry_terminals(EXAMPLE_DIR))
    shipped = render_acl(identities)
    assert TERMINAL_RULE in shipped  # the rule this test takes away is the shipped one
    return shipped.replace(TERMINAL_RULE, "")


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[MosquittoBroker]:
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.skip("mosquitto is not installed (make setup installs it)")
    passwd, acl = tmp_path / "passwd", tmp_path / "acl"
    write_private(passwd, f"{DISPATCH_USER}:{mosquitto_hash(PASSWORD)}\n")
    write_private(acl, acl_without_terminal_pages())
    broker = start_mosquitto(tmp_path / "mq", security=BrokerSecurity(passwd, acl))
    try:
        yield broker
    finally:
        broker.process.stop()


def dispatch_login(broker: MosquittoBroker) -> MqttConnection:
    return MqttConnection(port=broker.port, username=DISPATCH_USER, password=SecretStr(PASSWORD))


async def test_a_refused_publish_is_a_failure_and_the_link_comes_back(
    secured: MosquittoBroker,
) -> None:
    link = MqttLink(dispatch_login(secured), client_id=DISPATCH_USER)
    link.start()
    try:
        assert link.is_connected
        refused = await link.publish_acked(terminal_topic("term-st-east"), b"{}")
        assert not refused.is_ok
        assert "0x87" in refused.detail  # MQTT v5 §3.4.2.1 Not authorized
        assert link.refused == 1
        # Mosquitto closed the session after the denial: paho reconnects, and a publish the
        # ACL allows (a device command) is acknowledged on the new session.
        await wait_for(
            lambda: link.sessions == 2 and link.is_connected, what="reconnect after the refusal"
        )
        allowed = await link.publish_acked(MqttTopic.command("c001", "gw-1", "sd-1"), b"{}")
        assert allowed.is_ok, allowed.detail
    finally:
        link.stop()


async def test_a_refused_terminal_page_escalates_and_is_ledgered_failed(
    kafka: TansuBroker, secured: MosquittoBroker, tmp_path: Path
) -> None:
    config = short_config(tmp_path, escalation=EscalationPolicy(p1=REFUSED_P1))
    service = build_dispatch_service(
        config,
        KafkaConnection(
            bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU, session_timeout_ms=6000
        ),
        dispatch_login(secured),
        # Members are reached by SMS (recorded): only the terminal page can fail here.
        extra_channels={ContactChannel.SMS: RecordingChannel()},
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    await producer.start()
    await service.start()
    try:
        await service.wait_ready()
        await wait_for(lambda: service.parts.mqtt.is_connected, what="dispatch MQTT session")
        alert = make_alert(at=datetime.now(UTC))
        await producer.send_and_wait(Topics.ALERTS, encode_model(alert), key=b"c001")

        def no_ack_fired() -> bool:
            rows = service.ledger.db.query(
                "SELECT COUNT(*) FROM notifications WHERE step_id = 'p1-no-ack'"
            )
            return int(rows[0][0]) > 0

        # Pulled in by the failure, 10 minutes before its time.
        await wait_for(no_ack_fired, what="the next step pulled in by the refused page")
        first_step = service.ledger.db.query(
            "SELECT recipient, is_ok, detail FROM notifications WHERE step_id = 'p1-page'"
            " AND channel = ?",
            (ContactChannel.MQTT_TERMINAL.value,),
        )
        assert first_step, "no terminal page of the first step ledgered"
        for recipient, is_ok, detail in first_step:
            assert int(is_ok) == 0, recipient
            assert "refused by the broker" in detail
            assert "0x87" in detail
        (incident,) = service.open_incidents()
        assert incident.delivery_failures >= 1
        assert service.metrics.pages.labels("failed")._value.get() >= 1
    finally:
        await service.stop()
        await producer.stop()
