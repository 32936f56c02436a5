"""deploy/mosquitto/acl on a real Mosquitto: gateways publish only under their own compound
and gateway, the bridge reads uplink, only dispatch publishes commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from firewatch.embedded.process import ManagedProcess, free_port, wait_for_port

pytestmark = pytest.mark.integration

ACL = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto" / "acl"
USERS = {"c1": "gw-secret", "ingest": "ingest-secret", "dispatch": "dispatch-secret"}


@pytest.fixture
def secured_port() -> Iterator[int]:
    if shutil.which("mosquitto_passwd") is None:
        pytest.skip("mosquitto_passwd is not installed")
    # Started as root, Mosquitto drops to the `mosquitto` user before reading the password
    # file: pytest's private tmp dir (0700) would be unreadable to it.
    with tempfile.TemporaryDirectory(prefix="fw-acl-") as tmp:
        os.chmod(tmp, 0o755)
        yield from _secured(Path(tmp))


def _secured(tmp_path: Path) -> Iterator[int]:
    passwd = tmp_path / "passwd"
    passwd.touch()
    for user, password in USERS.items():
        subprocess.run(["mosquitto_passwd", "-b", str(passwd), user, password], check=True)
    passwd.chmod(0o644)
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\n"
        f"password_file {passwd}\nacl_file {ACL}\n",
        encoding="utf-8",
    )
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with ManagedProcess("mosquitto-acl", [binary, "-c", str(conf)]) as proc:
        assert proc.proc is not None
        wait_for_port("127.0.0.1", port, 10, proc.proc)
        yield port


class _Client:
    def __init__(self, port: int, user: str, client_id: str, subscribe: list[str]) -> None:
        self.got: list[str] = []
        self.arrived = threading.Condition()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )
        self.client.username_pw_set(user, USERS[user])
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if subscribe:
            self.client.subscribe([(f, 1) for f in subscribe])
            assert subscribed.wait(10)

    def _on_message(self, client: object, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self.arrived:
            self.got.append(msg.topic)
            self.arrived.notify_all()

    def publish(self, topic: str) -> None:
        self.client.publish(topic, b"{}", qos=1).wait_for_publish(10)

    def wait_for(self, topic: str) -> list[str]:
        deadline = time.monotonic() + 10
        with self.arrived:
            while topic not in self.got:
                assert self.arrived.wait(deadline - time.monotonic()), f"{topic} never came"
        return list(self.got)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_a_gateway_publishes_only_under_its_own_compound_and_gateway(secured_port: int) -> None:
    bridge = _Client(secured_port, "ingest", "ingest-1", ["fw/v1/+/+/+/telemetry"])
    gateway = _Client(secured_port, "c1", "gw1", [])
    try:
        for topic in ("fw/v1/c2/gw1/sd1/telemetry", "fw/v1/c1/gw2/sd1/telemetry"):
            gateway.publish(topic)
        gateway.publish("fw/v1/c1/gw1/sd1/telemetry")  # the marker: allowed, comes last
        assert bridge.wait_for("fw/v1/c1/gw1/sd1/telemetry") == ["fw/v1/c1/gw1/sd1/telemetry"]
    finally:
        bridge.close()
        gateway.close()


def test_only_dispatch_publishes_commands(secured_port: int) -> None:
    gateway = _Client(secured_port, "c1", "gw1", ["fw/v1/c1/gw1/+/cmd"])
    bridge = _Client(secured_port, "ingest", "ingest-1", [])
    dispatch = _Client(secured_port, "dispatch", "dispatch-1", [])
    try:
        gateway.publish("fw/v1/c1/gw1/sd1/cmd")
        bridge.publish("fw/v1/c1/gw1/sd2/cmd")
        dispatch.publish("fw/v1/c1/gw1/sd3/cmd")
        got = gateway.wait_for("fw/v1/c1/gw1/sd3/cmd")
        assert got == ["fw/v1/c1/gw1/sd3/cmd"]
    finally:
        for client in (gateway, bridge, dispatch):
            client.close()
