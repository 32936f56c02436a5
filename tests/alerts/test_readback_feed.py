"""Dispatch reads the readings only while a command awaits its read-back
(alerts/service/readback_feed.py), on real brokers: paused with nothing pending, placed at the
end offsets before a command goes out (a report from before the command confirms nothing),
paused again once the command is settled, and placed by time for a command restored after a
restart, whose reply came while dispatch was down."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr

from alerts.service.factory import build_dispatch_service
from alerts.service.runner import DispatchService
from events.alerts import AlertKind
from events.codec import encode_model
from events.connections import KafkaConnection, KafkaFlavour, MqttConnection
from events.readings import RelayState
from events.topics import Topics
from firewatch.embedded.mosquitto import MosquittoBroker
from firewatch.embedded.tansu import TansuBroker
from tests.alerts.rig import CUT, make_alert, port_reading
from tests.polling import wait_for

from .conftest import Stack, short_config

pytestmark = pytest.mark.integration


def _is_paused(service: DispatchService) -> bool:
    consumer = service.parts.readings.consumer
    parts = consumer.assignment()
    return bool(parts) and consumer.paused() == parts and not service.parts.readings.is_following


def _command_states(service: DispatchService) -> list[str]:
    with service.ledger.lock:  # never inside a transaction the shell's thread has open
        return [r[0] for r in service.ledger.db.query("SELECT state FROM commands")]


def _settled(service: DispatchService) -> list[str]:
    """The commands' states once none is pending (empty until then)."""
    states = _command_states(service)
    return [] if "pending" in states else states


async def test_a_report_from_before_the_command_confirms_nothing(stack: Stack) -> None:
    service = stack.service
    assert _is_paused(service)  # nothing pending: nothing fetched
    # The port reported "off" before anything was asked of it (a stale report, or one the
    # feed would read if it started from a time, not from the end offsets).
    await stack.send(
        Topics.READINGS, port_reading(RelayState.OFF, seq=1, at=datetime.now(UTC)), "cp-1"
    )
    alert = make_alert(
        AlertKind.THERMAL_RUNAWAY, device="cp-1", linkage=(CUT,), at=datetime.now(UTC)
    )
    await stack.send(Topics.ALERTS, alert, "c001")
    await wait_for(lambda: stack.listener.on("/cp-1/cmd"))
    # The command waits for a report after it; none comes within the 2 s deadline.
    assert await wait_for(lambda: _settled(service), timeout_s=15) == ["not_confirmed"]
    await wait_for(lambda: _is_paused(service), what="the feed paused again")


async def test_a_report_after_the_command_confirms_it_and_the_feed_pauses(stack: Stack) -> None:
    service = stack.service
    alert = make_alert(
        AlertKind.THERMAL_RUNAWAY, device="cp-1", linkage=(CUT,), at=datetime.now(UTC)
    )
    await stack.send(Topics.ALERTS, alert, "c001")
    await wait_for(lambda: stack.listener.on("/cp-1/cmd"))
    assert service.parts.readings.is_following  # placed before the command went out
    await stack.send(
        Topics.READINGS, port_reading(RelayState.OFF, seq=2, at=datetime.now(UTC)), "cp-1"
    )
    assert await wait_for(lambda: _settled(service), timeout_s=15) == ["confirmed"]
    await wait_for(lambda: _is_paused(service), what="the feed paused again")


async def test_a_restored_command_is_confirmed_by_a_report_sent_while_dispatch_was_down(
    kafka: TansuBroker, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    config = short_config(
        tmp_path,
        readback_deadline_s=60.0,  # the restart and the group's join fit well inside it
        database_url=SecretStr(f"sqlite:///{tmp_path}/restart.db"),
    )
    conn = KafkaConnection(
        bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU, session_timeout_ms=6000
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all", linger_ms=0)
    await producer.start()
    first = build_dispatch_service(config, conn, MqttConnection(port=mosquitto.port))
    await first.start()
    try:
        await first.wait_ready()
        alert = make_alert(
            AlertKind.THERMAL_RUNAWAY, device="cp-1", linkage=(CUT,), at=datetime.now(UTC)
        )
        await producer.send_and_wait(Topics.ALERTS, encode_model(alert), key=b"c001")
        await wait_for(lambda: _command_states(first) == ["pending"], what="command recorded")
    finally:
        await first.stop()
    # The port obeys while no dispatch runs.
    reply = port_reading(RelayState.OFF, seq=2, at=datetime.now(UTC))
    await producer.send_and_wait(Topics.READINGS, encode_model(reply), key=b"cp-1")
    second = build_dispatch_service(config, conn, MqttConnection(port=mosquitto.port))
    await second.start()
    try:
        await second.wait_ready()
        states = await wait_for(lambda: _settled(second), timeout_s=30, what="settled")
        assert states == ["confirmed"]
        await wait_for(lambda: _is_paused(second), what="the feed paused again")
    finally:
        await second.stop()
        await producer.stop()
