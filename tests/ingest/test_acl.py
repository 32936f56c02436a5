"""The one ACL (deploy/mosquitto/acl, rendered from firewatch/embedded/acl.py) on a real
Mosquitto: one test per rule, the station-terminal page path, and session takeover attempts.

Denials are shown two ways: the MQTT v5 PUBACK reason code (0x87 Not authorized, what
dispatch can use to count a refused page as failed) and a marker message that is allowed and
sent last, so "nothing else arrived" is checked once the marker is in, never by waiting.
Mosquitto 2.0 closes the connection after a denied publish, so every refused attempt is made
on a connection of its own (`attempt`), never on a subscriber the test still listens with.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from alerts.registry import EXAMPLE_DIR
from firewatch.embedded.acl import deployment_identities, registry_terminals, render_acl
from firewatch.embedded.credentials import mosquitto_hash, write_private
from firewatch.embedded.mosquitto import BrokerSecurity, MosquittoBroker, start_mosquitto

pytestmark = pytest.mark.integration

DEPLOY_ACL = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto" / "acl"
NOT_AUTHORIZED = 0x87  # MQTT v5 §3.4.2.1: PUBACK reason code "Not authorized"
PASSWORDS = {
    "c1/gw1": "pw-c1-gw1",
    "c1/gw2": "pw-c1-gw2",
    "c2/gw1": "pw-c2-gw1",
    "ingest-1-priority": "pw-ingest-1",
    "ingest-1-telemetry": "pw-ingest-1",
    "dispatch-1": "pw-dispatch",
    "term-st-east": "pw-east",
    "term-st-west": "pw-west",
}
BRIDGE = "ingest-1-telemetry"


def test_the_shipped_acl_is_the_rendered_one() -> None:
    identities = deployment_identities(["ingest-1", "ingest-2"], registry_terminals(EXAMPLE_DIR))
    assert DEPLOY_ACL.read_text() == render_acl(identities), (
        "deploy/mosquitto/acl is stale: python -m firewatch.embedded.acl > deploy/mosquitto/acl"
    )


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.skip("mosquitto is not installed (make setup installs it)")
    # Copies with 0600 in pytest's private tmp dir: the broker must read them as it would the
    # generated secrets of `firewatch up` (STACK-NOTES: root drops to `mosquitto` otherwise).
    passwd, acl = tmp_path / "passwd", tmp_path / "acl"
    write_private(passwd, "".join(f"{u}:{mosquitto_hash(p)}\n" for u, p in PASSWORDS.items()))
    write_private(acl, DEPLOY_ACL.read_text())
    b = start_mosquitto(tmp_path / "mq", security=BrokerSecurity(passwd, acl))
    try:
        yield b
    finally:
        b.process.stop()


class Client:
    """A paho v5 client that records deliveries, PUBACK reason codes and disconnects."""

    def __init__(
        self,
        port: int,
        user: str | None,
        *,
        client_id: str = "",
        persist: bool = False,
        password: str | None = None,
    ) -> None:
        self.got: list[str] = []
        self.acks: dict[int, int] = {}
        self.disconnects = 0
        self.cond = threading.Condition()
        self.connack: int | None = None
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )
        if user is not None:
            self.client.username_pw_set(user, password or PASSWORDS[user])
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish
        self.client.on_disconnect = self._on_disconnect
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho leaves it unannotated
        if persist:
            props.SessionExpiryInterval = 3600
        self.client.connect("127.0.0.1", port, clean_start=not persist, properties=props)
        self.client.loop_start()
        self._wait(lambda: self.connack is not None, "CONNACK")

    def _on_connect(self, _c: object, _u: object, _f: object, rc: object, _p: object) -> None:
        with self.cond:
            self.connack = int(rc.value)  # type: ignore[attr-defined]  # paho's ReasonCode
            self.cond.notify_all()

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self.cond:
            self.got.append(msg.topic)
            self.cond.notify_all()

    def _on_publish(self, _c: object, _u: object, mid: int, rc: object, _p: object) -> None:
        with self.cond:
            self.acks[mid] = int(rc.value)  # type: ignore[attr-defined]  # paho's ReasonCode
            self.cond.notify_all()

    def _on_disconnect(self, *_args: object) -> None:
        with self.cond:
            self.disconnects += 1
            self.cond.notify_all()

    def _wait(self, predicate: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while not predicate():
                assert self.cond.wait(deadline - time.monotonic()), f"{what} never came"

    def subscribe(self, *filters: str) -> None:
        granted = threading.Event()
        self.client.on_subscribe = lambda *_a: granted.set()
        self.client.subscribe([(f, 1) for f in filters])
        assert granted.wait(10)

    def publish(self, topic: str) -> int:
        """PUBACK reason code of one QoS1 publish (0 = accepted)."""
        info = self.client.publish(topic, b"{}", qos=1)
        self._wait(lambda: info.mid in self.acks, f"PUBACK for {topic}")
        return self.acks[info.mid]

    def wait_for(self, topic: str) -> list[str]:
        self._wait(lambda: topic in self.got, topic)
        return list(self.got)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def attempt(port: int, user: str, topic: str) -> int:
    """PUBACK reason code of one QoS1 publish made on a fresh connection of `user`."""
    client = Client(port, user)
    try:
        return client.publish(topic)
    finally:
        client.close()


def is_accepted(reason: int) -> bool:
    return reason < 0x80  # MQTT v5 §2.4: codes below 0x80 are success (0x10: no subscriber)


@pytest.fixture
def clients(broker: MosquittoBroker) -> Iterator[dict[str, Client]]:
    class Opener(dict[str, Client]):
        """One connection per identity, opened on first use (a second one would take the
        first one's session over: the session belongs to the credential)."""

        def __missing__(self, user: str) -> Client:
            self[user] = Client(broker.port, user)
            return self[user]

    opened = Opener()
    yield opened
    for c in opened.values():
        c.close()


def test_anonymous_and_wrong_passwords_are_refused(broker: MosquittoBroker) -> None:
    # Mosquitto 2.0 answers both with CONNACK 0x87 "Not authorized" (MQTT v5 §3.2.2.2).
    assert Client(broker.port, None).connack == NOT_AUTHORIZED
    assert Client(broker.port, "c1/gw1", password="guess").connack == NOT_AUTHORIZED


def test_a_gateway_publishes_only_under_its_own_compound_and_gateway(
    broker: MosquittoBroker, clients: dict[str, Client]
) -> None:
    bridge = clients[BRIDGE]
    bridge.subscribe("fw/v1/+/+/+/telemetry", "fw/v1/+/+/status")
    for topic in (
        "fw/v1/c2/gw1/sd1/telemetry",
        "fw/v1/c1/gw2/sd1/telemetry",
        "fw/v1/c1/gw2/status",
        "fw/v1/c1/gw1/sd1/cmd",
    ):
        assert attempt(broker.port, "c1/gw1", topic) == NOT_AUTHORIZED, topic
    gateway = clients["c1/gw1"]
    assert gateway.publish("fw/v1/c1/gw1/status") == 0
    assert gateway.publish("fw/v1/c1/gw1/sd1/telemetry") == 0  # the marker: allowed, last
    got = bridge.wait_for("fw/v1/c1/gw1/sd1/telemetry")
    assert got == ["fw/v1/c1/gw1/status", "fw/v1/c1/gw1/sd1/telemetry"]


def test_a_gateway_reads_only_its_own_command_topics(clients: dict[str, Client]) -> None:
    gateway, dispatch = clients["c1/gw1"], clients["dispatch-1"]
    gateway.subscribe("fw/v1/#")  # granted, but each delivery is checked against the ACL
    for topic in ("fw/v1/c2/gw1/sd1/cmd", "fw/v1/c1/gw2/sd1/cmd", "fw/v1/c1/gw1/sd1/cmd"):
        assert is_accepted(dispatch.publish(topic)), topic
    assert gateway.wait_for("fw/v1/c1/gw1/sd1/cmd") == ["fw/v1/c1/gw1/sd1/cmd"]


def test_only_dispatch_publishes_commands(
    broker: MosquittoBroker, clients: dict[str, Client]
) -> None:
    # Refused attempts first: a second connection of an identity takes its session over.
    for user in ("c1/gw1", "c1/gw2", "c2/gw1", BRIDGE, "ingest-1-priority", "term-st-east"):
        topic = f"fw/v1/c1/gw1/{user.replace('/', '-')}/cmd"
        assert attempt(broker.port, user, topic) == NOT_AUTHORIZED, user
    gateway = clients["c1/gw1"]
    gateway.subscribe("fw/v1/c1/gw1/+/cmd")
    assert clients["dispatch-1"].publish("fw/v1/c1/gw1/sd9/cmd") == 0
    assert gateway.wait_for("fw/v1/c1/gw1/sd9/cmd") == ["fw/v1/c1/gw1/sd9/cmd"]


def test_terminal_pages_reach_their_terminal_only_and_only_dispatch_sends_them(
    broker: MosquittoBroker, clients: dict[str, Client]
) -> None:
    east, west = clients["term-st-east"], clients["term-st-west"]
    east.subscribe("fw/v1/terminals/+/page")
    west.subscribe("fw/v1/terminals/+/page")
    for user in ("c1/gw1", BRIDGE):
        topic = "fw/v1/terminals/term-st-east/page"
        assert attempt(broker.port, user, topic) == NOT_AUTHORIZED, user
    assert clients["dispatch-1"].publish("fw/v1/terminals/term-st-east/page") == 0
    assert clients["dispatch-1"].publish("fw/v1/terminals/term-st-west/page") == 0
    assert east.wait_for("fw/v1/terminals/term-st-east/page") == [
        "fw/v1/terminals/term-st-east/page"
    ]
    assert west.wait_for("fw/v1/terminals/term-st-west/page") == [
        "fw/v1/terminals/term-st-west/page"
    ]


def test_the_bridge_reads_uplink_only_and_publishes_no_uplink(
    broker: MosquittoBroker, clients: dict[str, Client]
) -> None:
    for user in (BRIDGE, "ingest-1-priority"):  # before the lanes connect to listen
        assert attempt(broker.port, user, "fw/v1/c1/gw1/sd1/telemetry") == NOT_AUTHORIZED
    telemetry, priority = clients[BRIDGE], clients["ingest-1-priority"]
    telemetry.subscribe("$share/ingest/fw/v1/#")  # checked as fw/v1/# per delivery
    priority.subscribe("fw/v1/#")
    dispatch, gateway = clients["dispatch-1"], clients["c1/gw1"]
    assert is_accepted(dispatch.publish("fw/v1/c1/gw1/sd1/cmd"))
    assert is_accepted(dispatch.publish("fw/v1/terminals/term-st-east/page"))
    assert gateway.publish("fw/v1/c1/gw1/sd1/telemetry") == 0
    assert gateway.publish("fw/v1/c1/gw1/sd1/alarm") == 0
    assert telemetry.wait_for("fw/v1/c1/gw1/sd1/telemetry") == ["fw/v1/c1/gw1/sd1/telemetry"]
    assert priority.wait_for("fw/v1/c1/gw1/sd1/alarm") == ["fw/v1/c1/gw1/sd1/alarm"]


def test_a_named_identity_cannot_pose_as_a_gateway(broker: MosquittoBroker) -> None:
    # One-level names would match the gateway patterns as fw/v1/{name}/+/status (the shape of
    # a gateway's liveness topic): each named block denies its own name.
    for user in ("dispatch-1", BRIDGE, "term-st-east"):
        assert attempt(broker.port, user, f"fw/v1/{user}/gw/status") == NOT_AUTHORIZED, user


def test_a_denied_publish_is_answered_0x87_and_the_connection_closed(
    broker: MosquittoBroker,
) -> None:
    """Pinned for dispatch (a refused page must count as failed): Mosquitto 2.0 answers a
    denied QoS1 publish with PUBACK 0x87 to an MQTT v5 client, then closes the connection."""
    client = Client(broker.port, "term-st-east")
    try:
        assert client.publish("fw/v1/terminals/term-st-east/page") == NOT_AUTHORIZED
        client._wait(lambda: client.disconnects >= 1, "the broker closing the connection")
    finally:
        client.close()


def test_another_credential_cannot_take_over_the_bridge_session(broker: MosquittoBroker) -> None:
    bridge = Client(broker.port, BRIDGE, client_id=BRIDGE, persist=True)
    bridge.subscribe("fw/v1/+/+/+/telemetry")
    bridge.close()  # the session persists and queues for the bridge while it is away
    gateway = Client(broker.port, "c1/gw1")
    for n in range(10):
        assert gateway.publish(f"fw/v1/c1/gw1/sd{n}/telemetry") == 0
    # Another compound's gateway sends the bridge's client id, first resuming, then wiping.
    for persist in (True, False):
        thief = Client(broker.port, "c2/gw1", client_id=BRIDGE, persist=persist)
        thief.subscribe("fw/v1/c2/gw1/+/cmd")
        assert thief.got == []
        thief.close()
    back = Client(broker.port, BRIDGE, client_id=BRIDGE, persist=True)
    back.wait_for("fw/v1/c1/gw1/sd9/telemetry")
    assert sorted(back.got) == sorted(f"fw/v1/c1/gw1/sd{n}/telemetry" for n in range(10))
    # While the bridge is connected, a thief with its id does not kick it off.
    thief = Client(broker.port, "c1/gw2", client_id=BRIDGE)
    assert gateway.publish("fw/v1/c1/gw1/marker/telemetry") == 0
    back.wait_for("fw/v1/c1/gw1/marker/telemetry")
    assert back.disconnects == 0
    for c in (thief, back, gateway):
        c.close()


def test_a_refused_page_is_acknowledged_as_success_to_an_mqtt_311_client(
    broker: MosquittoBroker,
) -> None:
    """Pinned for dispatch: only MQTT v5 tells a refused QoS1 publish (PUBACK 0x87) from a
    delivered one; v3.1.1 has no reason code, so dispatch must publish pages over v5."""
    old = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    old.username_pw_set("c1/gw1", PASSWORDS["c1/gw1"])
    acked: list[int] = []
    old.on_publish = lambda _c, _u, mid, rc, _p: acked.append(int(rc.value))
    old.connect("127.0.0.1", broker.port)
    old.loop_start()
    try:
        old.publish("fw/v1/terminals/term-st-east/page", b"{}", qos=1).wait_for_publish(10)
        assert acked == [0]
    finally:
        old.disconnect()
        old.loop_stop()


def test_the_bridge_asks_a_gateway_to_resend_on_that_gateway_s_command_topic(
    broker: MosquittoBroker, clients: dict[str, Client]
) -> None:
    """Gap repair (docs/RELIABILITY.md): the telemetry lane writes gateway command topics, and
    only the gateway named reads it; the bridge never writes a device's command topic."""
    assert attempt(broker.port, BRIDGE, "fw/v1/c1/gw1/sd1/cmd") == NOT_AUTHORIZED
    assert attempt(broker.port, "dispatch-1", "fw/v1/c1/gw1/cmd") == NOT_AUTHORIZED
    assert attempt(broker.port, "c1/gw2", "fw/v1/c1/gw1/cmd") == NOT_AUTHORIZED
    own, other = clients["c1/gw1"], clients["c1/gw2"]
    own.subscribe("fw/v1/#")  # granted, each delivery checked against the ACL
    other.subscribe("fw/v1/#")
    bridge = clients[BRIDGE]
    assert bridge.publish("fw/v1/c1/gw2/cmd") == 0
    assert bridge.publish("fw/v1/c1/gw1/cmd") == 0  # the marker, last
    assert own.wait_for("fw/v1/c1/gw1/cmd") == ["fw/v1/c1/gw1/cmd"]
    assert other.wait_for("fw/v1/c1/gw2/cmd") == ["fw/v1/c1/gw2/cmd"]


def test_the_telemetry_lane_reads_all_uplink_but_not_what_is_not_its(
    clients: dict[str, Client],
) -> None:
    """It reads `fw/v1/#`, so an unknown channel reaches it (to be dead-lettered), but never
    the priority lane's alarms, commands or pages."""
    telemetry = clients[BRIDGE]
    telemetry.subscribe("fw/v1/#")
    dispatch, gateway = clients["dispatch-1"], clients["c1/gw1"]
    assert is_accepted(dispatch.publish("fw/v1/c1/gw1/sd1/cmd"))
    assert is_accepted(dispatch.publish("fw/v1/terminals/term-st-east/page"))
    assert gateway.publish("fw/v1/c1/gw1/sd1/alarm") == 0
    assert gateway.publish("fw/v1/c1/gw1/status") == 0
    assert gateway.publish("fw/v1/c1/gw1/sd1/event") == 0  # the marker, last
    got = telemetry.wait_for("fw/v1/c1/gw1/sd1/event")
    assert got == ["fw/v1/c1/gw1/status", "fw/v1/c1/gw1/sd1/event"]
