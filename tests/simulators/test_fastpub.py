"""The replay's minimal publisher against a fake broker on port 0: exact MQTT 3.1.1 PUBLISH bytes
in order, many messages per write, a window of unacknowledged messages, acks counted across
reads, and a lost connection reported with what it left unacknowledged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from events.connections import MqttConnection
from simulators.mqtt.fastpub import (
    PUBACK,
    FastPublisher,
    FastPublishError,
    publish_packet,
)


@dataclass
class Published:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    mid: int


@dataclass
class FakeBroker:
    """Accepts one client; acks each QoS 1 PUBLISH while `is_acking` (else holds the acks)."""

    is_acking: bool = True
    received: list[Published] = field(default_factory=list)
    raw: bytearray = field(default_factory=bytearray)
    held_acks: list[int] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    writer: asyncio.StreamWriter | None = None

    async def wait_for(self, count: int, deadline_s: float = 10.0) -> None:
        async def received() -> None:
            async with self.arrived:
                await self.arrived.wait_for(lambda: len(self.received) >= count)

        await asyncio.wait_for(received(), deadline_s)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        await _read_packet(reader)  # CONNECT
        writer.write(b"\x20\x02\x00\x00")  # CONNACK, accepted
        try:
            while True:
                first, body = await _read_packet(reader)
                if first >> 4 == 3:
                    self._on_publish(first, body)
                    async with self.arrived:
                        self.arrived.notify_all()
        except asyncio.IncompleteReadError:
            writer.close()

    def _on_publish(self, first: int, body: bytes) -> None:
        qos, retain = (first >> 1) & 3, bool(first & 1)
        size = int.from_bytes(body[:2], "big")
        topic, rest = body[2 : 2 + size].decode(), body[2 + size :]
        mid = int.from_bytes(rest[:2], "big") if qos else 0
        self.received.append(Published(topic, rest[2:] if qos else rest, qos, retain, mid))
        if qos:
            if self.is_acking:
                self.ack(mid)
            else:
                self.held_acks.append(mid)

    def ack(self, mid: int) -> None:
        assert self.writer is not None
        self.writer.write(bytes([PUBACK, 2]) + mid.to_bytes(2, "big"))

    def release_acks(self) -> None:
        for mid in self.held_acks:
            self.ack(mid)
        self.held_acks.clear()


async def _read_packet(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    first = (await reader.readexactly(1))[0]
    size, shift = 0, 0
    while True:
        byte = (await reader.readexactly(1))[0]
        size |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return first, await reader.readexactly(size)


@pytest.fixture
async def broker() -> AsyncIterator[tuple[FakeBroker, MqttConnection]]:
    fake = FakeBroker()
    server = await asyncio.start_server(fake.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield fake, MqttConnection(host="127.0.0.1", port=port)
    server.close()


# Remaining lengths around the 1-, 2- and 3-byte boundaries of MQTT's varint (§2.2.3).
TOPIC = "fw/v1/c1/g1/d1/telemetry"
EDGES = [127, 128, 16_383, 16_384, 20_000]


async def test_publishes_arrive_as_sent_with_their_qos_retain_and_ids(
    broker: tuple[FakeBroker, MqttConnection],
) -> None:
    fake, conn = broker
    pub = FastPublisher(conn, "t-bytes")
    await pub.connect()
    sent = []
    for n, remaining in enumerate(EDGES * 2):
        qos = n % 2
        payload = b"x" * (remaining - (2 + len(TOPIC)) - (2 if qos else 0))
        sent.append(Published(TOPIC, payload, qos, n % 3 == 0, 0))
        await pub.publish(TOPIC, payload, qos=qos, retain=n % 3 == 0)
    await pub.close()
    await fake.wait_for(len(sent))
    assert [(p.topic, p.payload, p.qos, p.retain) for p in fake.received] == [
        (p.topic, p.payload, p.qos, p.retain) for p in sent
    ]
    assert [p.mid for p in fake.received if p.qos] == list(range(1, len(EDGES) + 1))
    assert pub.acked == len(EDGES)


async def test_the_queued_bytes_are_the_packets_one_by_one(
    broker: tuple[FakeBroker, MqttConnection],
) -> None:
    _, conn = broker
    pub = FastPublisher(conn, "t-same")
    await pub.connect()
    writes: list[bytes] = []
    write = pub.writer.write

    def recording_write(data: bytes | bytearray | memoryview) -> None:
        writes.append(bytes(data))
        write(data)

    pub.writer.write = recording_write  # type: ignore[method-assign]  # a recording spy
    messages = [(f"fw/v1/c1/g1/d{n % 7}/telemetry", b"{}" * (n % 90), n % 2) for n in range(3000)]
    for topic, payload, qos in messages:  # no await: all queued within one turn of the loop
        assert pub.try_publish(topic, payload, qos)
    await pub.close()
    expected, mid = b"", 0
    for topic, payload, qos in messages:
        mid += qos
        expected += publish_packet(topic, payload, qos, False, mid if qos else 0)
    assert b"".join(writes[: len(writes) - 1]) == expected  # the last one is DISCONNECT
    # Many messages per write: a full 64 KiB buffer, or what was queued when the loop turned.
    assert len(writes) - 1 <= len(expected) // (64 * 1024) + 1


async def test_the_window_holds_publishing_until_acks_come_back(
    broker: tuple[FakeBroker, MqttConnection],
) -> None:
    fake, conn = broker
    fake.is_acking = False
    pub = FastPublisher(conn, "t-window", window=10)
    await pub.connect()
    for n in range(10):
        await pub.publish(TOPIC, b"%d" % n)
    assert not pub.try_publish(TOPIC, b"over the window")
    waiting = asyncio.create_task(pub.publish(TOPIC, b"10"))
    await fake.wait_for(10)
    assert not waiting.done()
    fake.release_acks()
    await asyncio.wait_for(waiting, 10)
    fake.is_acking = True
    await fake.wait_for(11)
    fake.release_acks()
    await pub.close()
    assert pub.acked == 11
    assert [p.payload for p in fake.received] == [b"%d" % n for n in range(11)]


def test_acks_split_across_reads_are_counted_once() -> None:
    pub = FastPublisher(MqttConnection(), "t-parse")
    pub.inflight = 5
    stream = b"".join(bytes([PUBACK, 2, 0, n]) for n in range(1, 4)) + b"\xd0\x00"
    stream += bytes([PUBACK, 2, 0, 4]) + bytes([PUBACK, 2, 0, 5])
    rest = b""
    for cut in (3, 5, 6, 13, 16, len(stream)):  # inside and between packets
        rest = pub._parse(rest + stream[:cut])
        stream = stream[cut:]
    assert rest == b""
    assert pub.acked == 5
    assert pub.inflight == 0


async def test_a_closed_connection_names_what_it_left_unacknowledged(
    broker: tuple[FakeBroker, MqttConnection],
) -> None:
    fake, conn = broker
    fake.is_acking = False
    pub = FastPublisher(conn, "t-closed")
    await pub.connect()
    for n in range(3):
        await pub.publish(TOPIC, b"%d" % n)
    await fake.wait_for(3)
    assert fake.writer is not None
    fake.writer.close()
    with pytest.raises(FastPublishError, match="3 unacknowledged"):
        await pub.drain(timeout_s=10)
