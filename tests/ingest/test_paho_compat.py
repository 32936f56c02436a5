"""Pins of ingest/paho_compat.py, the one module that uses paho's private API: the version,
the private methods and attributes it overrides or reads, the bridge's own PUBLISH decoding
against packets paho itself encodes, and the whole path on a real Mosquitto."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from events.connections import MqttConnection
from firewatch.embedded.mosquitto import MosquittoBroker
from ingest.paho_compat import SUPPORTED, BufferedClient
from runtime.mqtt import SessionOptions, connect, new_client
from runtime.mqtt_asyncio import AsyncioDriver
from runtime.versions import outside
from tests.polling import wait_for


def _params(fun: Any) -> list[str]:
    return list(inspect.signature(fun).parameters)


class _Sock:
    """Serves pre-recorded bytes to BufferedClient's reader, then would block."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def recv(self, n: int) -> bytes:
        if not self.data:
            raise BlockingIOError
        out, self.data = self.data[:n], self.data[n:]
        return out

    def close(self) -> None:
        self.data = b""


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _publish_bytes(topic: str, payload: bytes, qos: int, mid: int, retain: bool) -> bytes:
    """A v5 PUBLISH (§3.3) with a User Property, so the properties must be skipped."""
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho: unannotated
    props.UserProperty = ("k", "v")
    packed_props: bytes = props.pack()  # type: ignore[no-untyped-call]  # paho: unannotated
    body = len(topic).to_bytes(2, "big") + topic.encode()
    body += mid.to_bytes(2, "big") if qos else b""
    body += packed_props + payload
    return bytes([0x30 | qos << 1 | int(retain)]) + _varint(len(body)) + body


def test_drain_hands_over_complete_publishes_and_leaves_a_partial_one() -> None:
    packets = [
        _publish_bytes("fw/v1/c1/gw1/sd1/telemetry", b'{"seq":1}', 1, 7, False),
        _publish_bytes("fw/v1/c1/gw1/status", b"x" * 300, 1, 8, True),
        _publish_bytes("fw/v1/c1/gw1/sd1/alarm", b"{}", 0, 0, False),
    ]
    stream = b"".join(packets)
    client = BufferedClient(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5, manual_ack=True)
    got: list[tuple[bytes, bytes, int, bool, bool, int]] = []
    client.on_publish_fast = lambda *args: got.append(args)
    client._sock = _Sock(stream[:-1])  # type: ignore[assignment]  # a recorded socket stands in
    client._sock_recv(0)  # fill the buffer
    assert client.drain_publishes() == 2
    assert got == [
        (b"fw/v1/c1/gw1/sd1/telemetry", b'{"seq":1}', 1, False, False, 7),
        (b"fw/v1/c1/gw1/status", b"x" * 300, 1, True, False, 8),
    ]
    assert client.has_buffered()  # the cut-off third packet waits for its last byte


def test_the_installed_paho_is_in_the_supported_range() -> None:
    assert outside(SUPPORTED) == {}, "re-check ingest/paho_compat.py, then widen SUPPORTED"


def test_the_private_methods_overridden_or_called_keep_their_signatures() -> None:
    assert _params(mqtt.Client._sock_recv) == ["self", "bufsize"]
    assert _params(mqtt.Client._handle_publish) == ["self"]
    assert _params(mqtt.Client._packet_queue)[:5] == ["self", "command", "packet", "mid", "qos"]


def test_the_private_state_read_is_where_it_is_read() -> None:
    client = BufferedClient(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5, manual_ack=True)
    assert {"command", "packet"} <= set(client._in_packet)
    assert client._in_packet["command"] == 0  # between packets: the fast path may run
    assert client._protocol == mqtt.MQTTv5
    assert client._sock is None
    assert isinstance(client._last_bytes_received, float)  # paho's keep-alive clock


# --- the whole path on a real Mosquitto ---------------------------------------------------


class _Subscriber:
    """A BufferedClient driven as the bridge drives it: batch reads, hook, one ack write."""

    def __init__(self, conn: MqttConnection, protocol: MQTTProtocolVersion) -> None:
        self.session = SessionOptions(clean_start=False, session_expiry_s=300)
        self.client = new_client(
            f"paho-compat-{protocol.name}",
            conn,
            protocol=protocol,
            session=self.session,
            manual_ack=True,
            client_class=BufferedClient,
        )
        self.conn = conn
        self.got: list[tuple[bytes, int]] = []  # (payload, qos)
        self.slow_path: list[object] = []
        self.subscribed = asyncio.Event()
        self.client.on_publish_fast = self._hook
        self.client.on_message = lambda c, u, m: self.slow_path.append(m)
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self.subscribed.set()
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe("compat/#", qos=1)
        self._mids: list[int] = []

    def _hook(  # noqa: PLR0917 - the bridge's PublishHook signature: positional
        self, topic: bytes, payload: bytes, qos: int, is_retained: bool, is_dup: bool, mid: int
    ) -> None:
        self.got.append((payload, qos))
        if qos:
            self._mids.append(mid)

    def on_readable(self) -> None:
        for _ in range(512):
            self.client.drain_publishes()
            if self.client.loop_read() != mqtt.MQTT_ERR_SUCCESS or not self.client.has_buffered():
                break
        self.client.ack_many(self._mids)
        self._mids = []

    async def __aenter__(self) -> _Subscriber:
        self.driver = AsyncioDriver(asyncio.get_running_loop(), self.client, self.on_readable)
        connect(self.client, self.conn, self.session)
        await asyncio.wait_for(self.subscribed.wait(), 10)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.client.disconnect()
        await wait_for(lambda: self.client.socket() is None, 5, what="disconnected")
        self.driver.stop()


def _publish(port: int, payloads: list[bytes]) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(100)
    client.connect("127.0.0.1", port)
    client.loop_start()
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho: unannotated
    props.UserProperty = ("k", "v")  # the fast path must skip v5 properties
    try:
        infos = [
            client.publish("compat/t", p, qos=1 if i % 5 else 0, properties=props)
            for i, p in enumerate(payloads)
        ]
        for info in infos:
            info.wait_for_publish(30)
    finally:
        client.disconnect()
        client.loop_stop()


@pytest.mark.integration
@pytest.mark.parametrize("protocol", [MQTTProtocolVersion.MQTTv5, MQTTProtocolVersion.MQTTv311])
async def test_every_publish_takes_the_fast_path_and_every_ack_is_accepted(
    mosquitto: MosquittoBroker, protocol: MQTTProtocolVersion
) -> None:
    # Small packets arrive many per recv (drain_publishes); a 200 KB one spans reads and
    # goes through paho's packet reader to the _handle_publish override.
    payloads = [f"m{i:04d}".encode() for i in range(400)] + [b"L" * 200_000]
    conn = MqttConnection(port=mosquitto.port)
    async with _Subscriber(conn, protocol) as sub:
        await asyncio.to_thread(_publish, mosquitto.port, payloads)
        await wait_for(lambda: len(sub.got) == len(payloads), 30, what="all delivered")
    assert sorted(p for p, _ in sub.got) == sorted(payloads)
    assert sub.slow_path == []  # paho's own on_message never ran
    # Same session again: an unacknowledged message would be redelivered before anything
    # new (MQTT v5 §4.4), so the marker arriving alone proves every PUBACK was taken.
    async with _Subscriber(conn, protocol) as again:
        await asyncio.to_thread(_publish, mosquitto.port, [b"marker"])
        await wait_for(lambda: again.got, 10, what="marker delivered")
    assert again.got == [(b"marker", 0)]
