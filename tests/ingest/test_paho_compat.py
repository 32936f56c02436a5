"""The bridge's own PUBLISH decoding against packets paho itself encodes."""

from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ingest.paho_compat import BufferedClient


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
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    props.UserProperty = ("k", "v")
    packed_props: bytes = props.pack()  # type: ignore[no-untyped-call]
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
    client._sock = _Sock(stream[:-1])  # type: ignore[assignment]
    client._sock_recv(0)  # fill the buffer
    assert client.drain_publishes() == 2
    assert got == [
        (b"fw/v1/c1/gw1/sd1/telemetry", b'{"seq":1}', 1, False, False, 7),
        (b"fw/v1/c1/gw1/status", b"x" * 300, 1, True, False, 8),
    ]
    assert client.has_buffered()  # the cut-off third packet waits for its last byte
