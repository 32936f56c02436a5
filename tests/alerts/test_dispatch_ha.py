"""Dispatch without a single point of failure (issue 16.4): two instances share the compounds
through the alerts consumer group and one PostgreSQL ledger; the instance holding an open P1
is SIGKILLed, and the other fires its escalation on time, with no page sent twice.

Each instance is a process of its own (tests/alerts/ha_instance.py) on real Tansu,
Mosquitto and PostgreSQL. What leaves them is observed as a station terminal would: the pages
on `fw/v1/terminals/+/page`, with their arrival times.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from aiokafka import AIOKafkaProducer
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import SecretStr

from alerts.config import DispatchConfig
from alerts.errors import TransitionError
from alerts.escalation import EscalationPolicy
from alerts.ledger import Database, verify
from alerts.ledger.sharing import CLAIM_PREFIX
from alerts.lifecycle import Action, ActionRequest, State
from alerts.notify.base import RecordingChannel
from alerts.registry import EXAMPLE_DIR
from alerts.registry.models import ContactChannel
from alerts.service.factory import build_dispatch_service
from alerts.service.runner import DispatchService
from events.codec import encode_model
from events.connections import KafkaConnection, KafkaFlavour, MqttConnection
from events.topics import Topics, topic_spec
from firewatch.embedded.mosquitto import MosquittoBroker
from firewatch.embedded.tansu import TansuBroker
from runtime.partitioner import partition_for
from tests import postgres
from tests.alerts.rig import make_alert
from tests.polling import wait_for

from .ha_instance import HA_P1, NO_ACK_S

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
COMPOUND = "c001"
PARTITIONS = topic_spec(Topics.ALERTS).partitions
ASSIGNED = re.compile(r"partitions \[([\d, ]*)\] of (\d+) assigned")
# "On time": the surviving instance fires the step at its deadline; its timer loop looks at
# least once a second, and this leaves room for a busy 2-core machine on top.
ON_TIME_SLACK_S = 5.0


@dataclass
class Instance:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def assignments(self) -> list[frozenset[int]]:
        """Every assignment the instance logged, oldest first."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return [
            frozenset(int(p) for p in m.group(1).split(",") if p.strip())
            for m in ASSIGNED.finditer(text)
        ]

    def current(self) -> frozenset[int] | None:
        found = self.assignments()
        return found[-1] if found else None


@dataclass
class Terminals:
    """Stands in for every station terminal: the pages, as (topic, step, arrival time). A page
    marked `resend` (its sender was killed before recording it: at least once) is kept apart,
    as a terminal drops a repeat it has by its key."""

    pages: list[tuple[str, str, float]] = field(default_factory=list)
    resends: list[tuple[str, str, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        page = json.loads(msg.payload)
        with self.lock:
            kept = self.resends if page["resend"] else self.pages
            kept.append((msg.topic, page["step"], time.time()))

    def of(self, step: str) -> list[tuple[str, str, float]]:
        with self.lock:
            return [p for p in self.pages if p[1] == step]


@pytest.fixture
def database_url() -> Iterator[str]:
    reason = postgres.missing_reason()
    if reason is not None:
        pytest.skip(reason)
    with postgres.postgres_server() as admin:
        yield postgres.fresh_database(admin)


@pytest.fixture
def terminals(mosquitto: MosquittoBroker) -> Iterator[Terminals]:
    seen = Terminals()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="terminals")
    client.on_message = seen.on_message
    client.connect("127.0.0.1", mosquitto.port)
    client.subscribe("fw/v1/terminals/+/page", qos=1)
    client.loop_start()
    try:
        yield seen
    finally:
        client.loop_stop()
        client.disconnect()


@pytest.fixture
def launch(
    kafka: TansuBroker, mosquitto: MosquittoBroker, database_url: str, tmp_path: Path
) -> Iterator[Any]:
    started: list[Instance] = []

    def start(name: str) -> Instance:
        spec = {
            "database_url": database_url,
            "bootstrap": kafka.bootstrap,
            "mqtt_port": mosquitto.port,
            "group": f"dispatch-{tmp_path.name}",
            "instance": name,
        }
        log = tmp_path / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.alerts.ha_instance", json.dumps(spec)],
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        instance = Instance(name, process, log)
        started.append(instance)
        return instance

    yield start
    for instance in started:
        if instance.process.poll() is None:
            instance.process.send_signal(signal.SIGTERM)
            try:
                instance.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                instance.process.kill()
                instance.process.wait()


def _split(a: Instance, b: Instance) -> bool:
    """Both joined and the group split the partitions between them."""
    pa, pb = a.current(), b.current()
    return bool(pa and pb and not pa & pb and len(pa | pb) == PARTITIONS)


def _ledger(url: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg  # noqa: PLC0415 - optional dependency (skipped above when missing)

    with psycopg.connect(url) as conn:
        return [tuple(r) for r in conn.execute(sql).fetchall()]


async def _fire_in_compound(kafka: TansuBroker) -> None:
    """A fire alert of COMPOUND, written to Kafka as the detectors write it (now)."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    await producer.start()
    try:
        alert = make_alert(at=datetime.now(UTC), compound=COMPOUND)
        await producer.send_and_wait(Topics.ALERTS, encode_model(alert), key=COMPOUND.encode())
    finally:
        await producer.stop()


async def test_the_other_instance_fires_the_escalation_on_time_after_a_kill(
    kafka: TansuBroker, terminals: Terminals, launch: Any, database_url: str
) -> None:
    first = launch("dispatch-a")
    await wait_for(lambda: first.current() == frozenset(range(PARTITIONS)), 60, what="a joins")
    second = launch("dispatch-b")
    await wait_for(lambda: _split(first, second), 60, what="the group splits the partitions")
    home = partition_for(COMPOUND, PARTITIONS)
    holder, survivor = (first, second) if home in (first.current() or ()) else (second, first)

    await _fire_in_compound(kafka)
    await wait_for(lambda: terminals.of("p1-page"), 30, what="the first step's terminal page")
    # The shell pages before it records the step (a recorded step was sent): wait for the row.
    rows = await wait_for(
        lambda: _ledger(database_url, "SELECT opened_at FROM incidents WHERE state <> 'resolved'"),
        30,
        what="the incident recorded",
    )
    assert len(rows) == 1
    due_at = float(rows[0][0]) + NO_ACK_S
    assert time.time() < due_at - 10, "the kill must come well before the step is due"

    holder.process.send_signal(signal.SIGKILL)
    holder.process.wait(timeout=10)
    await wait_for(
        lambda: survivor.current() == frozenset(range(PARTITIONS)),
        30,
        what="the survivor takes every partition",
    )
    assert "restored" in survivor.log.read_text()

    no_ack = await wait_for(lambda: terminals.of("p1-no-ack"), 40, what="the no-ack step")
    first_at = min(at for _, _, at in no_ack)
    assert first_at >= due_at, "never before its deadline"
    assert first_at <= due_at + ON_TIME_SLACK_S, f"{first_at - due_at:.1f} s late"

    # No page twice: each step reached each terminal once, across both instances.
    sent = Counter((topic, step) for topic, step, _ in terminals.pages)
    assert sent, "no pages seen"
    assert set(sent.values()) == {1}, sent

    # And the ledger ends with the outcomes (each step's write follows its pages), no claim
    # left "sending".
    def outcomes() -> list[tuple[Any, ...]]:
        rows = _ledger(database_url, "SELECT step_id, is_ok, detail FROM notifications")
        return [] if any(str(r[2]).startswith(CLAIM_PREFIX) for r in rows) else rows

    pages = await wait_for(outcomes, 20, what="the page outcomes in the ledger")
    assert {step for step, _, _ in pages} == {"p1-page", "p1-no-ack"}
    # Two writers, one audit chain: it still verifies (entries serialised across instances).
    db = Database(database_url, read_only=True)
    try:
        result = verify(db)
    finally:
        db.close()
    assert result.is_ok, result.problems
    print(f"no-ack step fired {first_at - due_at:.2f} s after its deadline")


def _config(database_url: str, group: str) -> DispatchConfig:
    return DispatchConfig(
        registry_dir=EXAMPLE_DIR,
        database_url=SecretStr(database_url),
        console_port=0,
        escalation=EscalationPolicy(p1=HA_P1),
        consumer_group=group,
    )


async def test_either_instance_serves_the_console_of_every_compound(
    kafka: TansuBroker, mosquitto: MosquittoBroker, database_url: str, tmp_path: Path
) -> None:
    """The console of the instance that does not own the compound lists its incident (from
    the ledger) and acts on it: the owner applies the action (fw.actions.v1)."""
    conn = KafkaConnection(
        bootstrap=kafka.bootstrap, flavour=KafkaFlavour.TANSU, session_timeout_ms=6000
    )
    config = _config(database_url, f"console-{tmp_path.name}")
    services: list[DispatchService] = []

    async def start(name: str) -> DispatchService:
        service = build_dispatch_service(
            config,
            conn,
            MqttConnection(port=mosquitto.port),
            extra_channels={ContactChannel.SMS: RecordingChannel()},
            instance_id=name,
        )
        services.append(service)
        await service.start()
        return service

    try:
        a = await start("dispatch-a")
        everything = frozenset(range(PARTITIONS))
        await wait_for(lambda: a.ownership.partitions == everything, 60, what="a joins")
        b = await start("dispatch-b")

        def split() -> bool:
            pa, pb = a.ownership.partitions, b.ownership.partitions
            return bool(pa and pb and not pa & pb and pa | pb == everything)

        await wait_for(split, 60, what="the group splits the partitions")
        owner, other = (a, b) if a.ownership.owns(COMPOUND) else (b, a)
        await _fire_in_compound(kafka)
        (opened,) = await wait_for(owner.dispatcher.open_incidents, 30, what="the incident")
        key = opened.incident_key
        assert other.dispatcher.find(key) is None  # not its compound
        await wait_for(
            lambda: [i for i in other.open_incidents() if i.incident_key == key],
            10,
            what="the other instance's console lists it",
        )

        acknowledge = ActionRequest(key, Action.ACKNOWLEDGE, "ste-m1", "console 10.0.0.7")
        inc = await other.act(acknowledge)
        assert inc.state is State.ACKNOWLEDGED
        held = owner.dispatcher.find(key)
        assert held is not None
        assert held.state is State.ACKNOWLEDGED  # applied by the owner, once
        sources = [r[5] for r in owner.ledger.transitions(key) if r[0] == "acknowledge"]
        assert sources == [f"console 10.0.0.7 via {other.parts.instance_id}"]
        # A transition the lifecycle refuses is refused at once, without a round trip.
        await wait_for(
            lambda: any(
                i.state is State.ACKNOWLEDGED
                for i in other.open_incidents()
                if i.incident_key == key
            ),
            10,
            what="the acknowledgement in the other console",
        )
        with pytest.raises(TransitionError):
            await other.act(acknowledge)
    finally:
        for service in services:
            await service.stop()
