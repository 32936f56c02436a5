"""What the bridge's safeguards rest on, pinned on the real Mosquitto: it sends beyond MQTT v5
Receive Maximum once a queue waits (why the lane gates its own reading), and our persistence
settings keep a subscriber's session across a crash (why the bridge's session survives)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from firewatch.embedded.mosquitto import MosquittoBroker, start_mosquitto
from tests.polling import wait_until

pytestmark = pytest.mark.integration


class Subscriber:
    """A v5 persistent session with manual acks, counting what the broker sends it."""

    def __init__(self, port: int, receive_maximum: int, clean_start: bool = False) -> None:
        self.mids: list[int] = []
        self.session_present: bool | None = None
        self.cond = threading.Condition()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id="pin-sub",
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        self.client.on_message = self._on_message
        self.client.on_connect = self._on_connect
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho leaves it unannotated
        props.SessionExpiryInterval = 3600
        props.ReceiveMaximum = receive_maximum
        self.client.connect("127.0.0.1", port, clean_start=clean_start, properties=props)
        self.client.loop_start()
        self.wait(lambda: self.session_present is not None, "CONNACK")

    def _on_connect(self, _c: object, _u: object, flags: object, _rc: object, _p: object) -> None:
        with self.cond:
            self.session_present = bool(flags.session_present)  # type: ignore[attr-defined]  # paho's ConnectFlags
            self.cond.notify_all()

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self.cond:
            self.mids.append(msg.mid)
            self.cond.notify_all()

    def wait(self, predicate: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while not predicate():
                assert self.cond.wait(deadline - time.monotonic()), f"{what} never came"

    def subscribe(self) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *_a: done.set()
        self.client.subscribe("pin/#", qos=1)
        assert done.wait(10)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def _publish(port: int, count: int) -> None:
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="pin-pub", protocol=mqtt.MQTTv5)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    try:
        for _ in range(count):
            pub.publish("pin/x", b"x", qos=1).wait_for_publish(10)
    finally:
        pub.disconnect()
        pub.loop_stop()


def test_mosquitto_sends_a_window_per_puback_once_a_queue_waits(
    mosquitto: MosquittoBroker,
) -> None:
    """If this fails, Mosquitto now keeps to Receive Maximum: the lane's gate (ingest/lane.py)
    stays as a safeguard, and docs/RELIABILITY.md should say the broker was fixed."""
    sub = Subscriber(mosquitto.port, receive_maximum=50, clean_start=True)
    try:
        sub.subscribe()
        _publish(mosquitto.port, 1000)
        sub.wait(lambda: len(sub.mids) >= 50, "the first window")
        assert len(sub.mids) == 50  # kept to the window while nothing was acknowledged
        sub.client.ack(sub.mids[0], 1)
        sub.wait(lambda: len(sub.mids) >= 99, "what one PUBACK releases")
        assert len(sub.mids) - 1 > 50  # one ack released a window, not one message
    finally:
        sub.close()


def test_a_session_survives_a_crash_a_second_after_subscribing(tmp_path: Path) -> None:
    broker = start_mosquitto(tmp_path / "mq", log_path=tmp_path / "mq.log")
    sub = Subscriber(broker.port, receive_maximum=100)
    try:
        sub.subscribe()
        sub.close()
        db = tmp_path / "mq" / "mosquitto.db"
        # autosave_interval 1: saved within a second. Mosquitto writes mosquitto.db.new and
        # renames it: once the name exists it is whole.
        wait_until(db.exists, timeout_s=10, what="Mosquitto's save")
        broker.process.kill()
        back = start_mosquitto(tmp_path / "mq", broker.port, log_path=tmp_path / "mq.log")
        try:
            _publish(back.port, 20)  # devices first, before the subscriber returns
            again = Subscriber(back.port, receive_maximum=100)
            try:
                assert again.session_present
                again.wait(lambda: len(again.mids) == 20, "what was queued for the session")
            finally:
                again.close()
        finally:
            back.process.stop()
    finally:
        broker.process.stop()
