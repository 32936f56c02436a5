"""Load for the ingest benchmark and tests: pre-encoded readings and a QoS1 publisher."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterable
from datetime import UTC, datetime

from events.topics import Channel, MqttTopic


def smoke_stream(
    devices: int, per_device: int, observed_at: datetime | None = None, first_seq: int = 0
) -> list[tuple[str, bytes]]:
    """Interleaved smoke readings, seq-major (every device advances together), pre-encoded."""
    at = (observed_at or datetime.now(UTC)).isoformat()
    out = []
    for seq in range(first_seq, first_seq + per_device):
        for d in range(devices):
            device = f"sd-{d:05d}"
            body = {
                "kind": "smoke",
                "device_id": device,
                "compound_id": "c1",
                "gateway_id": "gw1",
                "seq": seq,
                "observed_at": at,
                "obscuration_db_per_m": 0.01,
                "temperature_c": 21.5,
                "battery_pct": 90.0,
            }
            topic = MqttTopic.device("c1", "gw1", device, Channel.TELEMETRY)
            out.append((topic, json.dumps(body, separators=(",", ":")).encode()))
    return out


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        n, byte = divmod(n, 128)
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _packet(header: int, body: bytes) -> bytes:
    return bytes([header]) + _varint(len(body)) + body


def _publish_packet(topic: str, payload: bytes, mid: int) -> bytes:
    """MQTT 3.1.1 PUBLISH, QoS 1 (§3.3)."""
    name = topic.encode()
    return _packet(0x32, len(name).to_bytes(2, "big") + name + mid.to_bytes(2, "big") + payload)


def _read_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        data += chunk
    return data


def publish_all(
    port: int,
    messages: Iterable[tuple[str, bytes]],
    timeout_s: float = 120.0,
    host: str = "127.0.0.1",
    window: int = 1000,
) -> int:
    """Publish QoS1 and return once the broker acknowledged every message (PUBACK).

    A minimal MQTT 3.1.1 publisher on a plain socket: pre-encoded packets written in large
    chunks with up to `window` unacknowledged. paho's threaded client tops out near 3k msg/s
    here (one syscall per packet, lock hand-offs), which would make the load generator the
    bottleneck of the benchmark and slow the tests.
    """
    packets = [_publish_packet(t, p, i % 65535 + 1) for i, (t, p) in enumerate(messages)]
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client_id = f"fw-load-{os.getpid()}-{time.monotonic_ns()}".encode()
        connect = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(client_id).to_bytes(2, "big") + client_id
        sock.sendall(_packet(0x10, connect))
        connack = _read_exact(sock, 4)
        if connack[0] != 0x20 or connack[3] != 0:
            raise ConnectionError(f"broker refused the publisher: {connack!r}")
        sent = acked = 0
        pending = b""
        while acked < len(packets):
            if sent < len(packets) and sent - acked < window:
                upto = min(len(packets), acked + window)
                sock.sendall(b"".join(packets[sent:upto]))
                sent = upto
            pending += sock.recv(65536)
            whole = len(pending) - len(pending) % 4
            for i in range(0, whole, 4):  # PUBACK: 0x40 0x02 mid (3.1.1 §3.4)
                if pending[i] != 0x40:
                    raise ConnectionError(f"unexpected packet {pending[i]:#x} from the broker")
            acked += whole // 4
            pending = pending[whole:]
        sock.sendall(b"\xe0\x00")  # DISCONNECT
    return len(packets)
