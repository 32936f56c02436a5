"""A minimal MQTT 3.1.1 publisher on asyncio streams, for replays at full speed.

paho spends most of its CPU per message on bookkeeping (a PUBACK costs it a properties object,
a reason code and a scan of its in-flight table); a replay only needs PUBLISH out and PUBACK
counted. QoS 0 and 1, retain, username/password and TLS; a window bounds the unacknowledged
messages. A lost connection is an error (never a silent drop): the replay reports it.
"""

from __future__ import annotations

import asyncio
import struct

from events.connections import MqttConnection
from runtime.mqtt import tls_context
from simulators.mqtt.logins import gateway_connection

CONNECT, CONNACK, PUBLISH, PUBACK, PINGREQ, DISCONNECT = 0x10, 0x20, 0x30, 0x40, 0xC0, 0xE0
# One write per loop turn, or sooner at this size: large enough that a send() carries a few
# hundred messages, small enough to keep the broker reading while we encode.
_FLUSH_BYTES = 64 * 1024
# Written but not yet taken by the socket: past this, publish() waits for the broker.
_BACKLOG_BYTES = 1 << 20
# Messages a pool queues between two turns of the event loop when no publish has to wait.
_TURN_EVERY = 1000


class FastPublishError(RuntimeError):
    """The broker refused the connection or closed it with messages unacknowledged."""


def _remaining(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(b: bytes) -> bytes:
    return struct.pack("!H", len(b)) + b


def connect_packet(client_id: str, conn: MqttConnection, keepalive_s: int) -> bytes:
    flags = 0x02  # clean session
    payload = _string(client_id.encode())
    if conn.username:
        flags |= 0x80
        payload += _string(conn.username.encode())
        if conn.password is not None:
            flags |= 0x40
            payload += _string(conn.password.get_secret_value().encode())
    body = _string(b"MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive_s) + payload
    return bytes([CONNECT]) + _remaining(len(body)) + body


def publish_packet(topic: str, payload: bytes, qos: int, retain: bool, mid: int) -> bytes:
    body = _string(topic.encode()) + (struct.pack("!H", mid) if qos else b"") + payload
    return bytes([PUBLISH | (qos << 1) | int(retain)]) + _remaining(len(body)) + body


def _append_remaining(out: bytearray, n: int) -> None:
    """`_remaining(n)` onto `out`; one and two bytes (up to 16 KiB) without a loop."""
    if n < 0x80:
        out.append(n)
    elif n < 0x4000:
        out.append(n & 0x7F | 0x80)
        out.append(n >> 7)
    else:
        out += _remaining(n)


class FastPublisher:
    def __init__(self, conn: MqttConnection, client_id: str, *, window: int = 2000) -> None:
        self.conn, self.client_id, self.window = conn, client_id, window
        self.inflight = 0
        self.acked = 0
        self._mid = 0
        self._room = asyncio.Event()
        self._room.set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._error: BaseException | None = None
        self._tasks: list[asyncio.Task[None]] = []
        # Packets wait here for one write per loop turn (or per _FLUSH_BYTES): a send() per
        # message was half of the replay's CPU, and made the broker read them one by one.
        self._out = bytearray()
        self._is_flush_due = False
        self._is_backlogged = False
        self._topic_fields: dict[str, bytes] = {}

    async def connect(self, timeout_s: float = 10.0) -> None:
        ctx = tls_context(self.conn) if self.conn.uses_tls else None  # the one TLS policy
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(self.conn.host, self.conn.port, ssl=ctx), timeout_s
        )
        self._loop = asyncio.get_running_loop()
        self.writer.write(connect_packet(self.client_id, self.conn, self.conn.keepalive_s))
        ack = await asyncio.wait_for(self.reader.readexactly(4), timeout_s)
        if ack[0] != CONNACK or ack[3] != 0:
            raise FastPublishError(f"{self.client_id}: CONNACK refused (code {ack[3]})")
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._ping())]

    async def _read(self) -> None:
        buf = b""
        try:
            while True:
                chunk = await self.reader.read(65536)
                if not chunk:
                    raise FastPublishError(f"{self.client_id}: broker closed the connection")
                buf = self._parse(buf + chunk if buf else chunk)
        except (OSError, FastPublishError) as exc:
            self._fail(exc)

    def _parse(self, buf: bytes) -> bytes:
        """Count the PUBACKs in `buf`; return the incomplete packet at its end, if any."""
        # Only PUBACK (4 bytes) and PINGRESP (2 bytes) come back to a pure publisher.
        at, end, acks = 0, len(buf), 0
        while end - at >= 2:
            size = 2 + buf[at + 1]
            if end - at < size:
                break
            acks += buf[at] == PUBACK
            at += size
        self.inflight -= acks
        self.acked += acks
        if self.inflight < self.window:
            self._room.set()
        if self.inflight == 0:
            self._idle.set()
        return buf[at:]

    def _fail(self, exc: BaseException) -> None:
        self._error = exc
        self._room.set()
        self._idle.set()

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(self.conn.keepalive_s / 2)
            self.writer.write(bytes([PINGREQ, 0]))

    def try_publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> bool:
        """Queue one PUBLISH, or False when the window of unacknowledged messages is full.
        Queued packets leave in order, at the loop's next turn at the latest."""
        if self._error is not None:
            raise FastPublishError(f"{self.client_id}: {self._error}")
        out = self._out
        name = self._topic_fields.get(topic) or self._topic_field(topic)
        if qos:
            if self.inflight >= self.window:
                return False
            if not self.inflight:
                self._idle.clear()
            self.inflight += 1
            self._mid = self._mid % 65535 + 1
            out.append(PUBLISH | 0x02 | retain)  # QoS 1 (QoS 2 is sent as 1)
            _append_remaining(out, len(name) + 2 + len(payload))
            out += name
            out += self._mid.to_bytes(2, "big")
        else:
            out.append(PUBLISH | retain)
            _append_remaining(out, len(name) + len(payload))
            out += name
        out += payload
        if len(out) >= _FLUSH_BYTES:
            self._write_out()
        elif not self._is_flush_due:
            self._is_flush_due = True
            self._loop.call_soon(self._flush)
        return True

    def _topic_field(self, topic: str) -> bytes:
        field = self._topic_fields[topic] = _string(topic.encode())
        return field

    def _flush(self) -> None:
        """The loop's turn: what was queued since the last one leaves in one write."""
        self._is_flush_due = False
        self._write_out()

    def flush(self) -> None:
        """Hand what is queued to the socket now, not at the loop's next turn: for a caller
        that stamps the moment its message leaves (the e2e benchmark's P1s)."""
        self._write_out()

    def _write_out(self) -> None:
        if self._out:
            self.writer.write(self._out)  # the transport keeps this buffer: start a new one
            self._out = bytearray()
            self._is_backlogged = self.writer.transport.get_write_buffer_size() > _BACKLOG_BYTES

    async def publish(
        self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False
    ) -> None:
        while not self.try_publish(topic, payload, qos, retain):
            self._room.clear()
            await self._room.wait()
        await self.keep_up()

    @property
    def is_backlogged(self) -> bool:
        return self._is_backlogged

    async def keep_up(self) -> None:
        """Wait while the broker reads slower than we write (the socket's buffer is full)."""
        if self._is_backlogged:
            self._is_backlogged = False
            await self.writer.drain()

    async def drain(self, timeout_s: float = 60.0) -> None:
        self._flush()
        await self.writer.drain()
        await asyncio.wait_for(self._idle.wait(), timeout_s)
        if self._error is not None and self.inflight:
            raise FastPublishError(
                f"{self.client_id}: {self.inflight} unacknowledged: {self._error}"
            )

    async def close(self) -> None:
        await self.drain()
        for task in self._tasks:
            task.cancel()
        self.writer.write(bytes([DISCONNECT, 0]))
        self.writer.close()
        await self.writer.wait_closed()


class FastPool:
    """One FastPublisher per gateway, connected on first use (same shape as GatewayPool)."""

    def __init__(self, conn: MqttConnection, *, client_prefix: str, window: int = 2000) -> None:
        self.conn, self.client_prefix, self.window = conn, client_prefix, window
        self.clients: dict[tuple[str, str], FastPublisher] = {}
        self._since_turn = 0

    async def publish(
        self, gw: tuple[str, str], topic: str, payload: bytes, *, qos: int = 1, retain: bool = False
    ) -> None:
        client = await self.client(gw)
        if not client.try_publish(topic, payload, qos, retain):  # the window is full
            await client.publish(topic, payload, qos=qos, retain=retain)
            self._since_turn = 0
            return
        if client.is_backlogged:
            await client.keep_up()
            self._since_turn = 0
            return
        self._since_turn += 1
        if self._since_turn >= _TURN_EVERY:
            # A replay at full speed rarely waits: let the queued writes go out and the acks in.
            self._since_turn = 0
            await asyncio.sleep(0)

    async def client(self, gw: tuple[str, str]) -> FastPublisher:
        """The gateway's publisher, connected now if it was not yet."""
        return self.clients.get(gw) or await self._connect(gw)

    async def _connect(self, gw: tuple[str, str]) -> FastPublisher:
        client = FastPublisher(
            gateway_connection(self.conn, gw),
            f"{self.client_prefix}-{gw[0]}-{gw[1]}",
            window=self.window,
        )
        await client.connect()
        self.clients[gw] = client
        return client

    async def close(self) -> None:
        for client in self.clients.values():
            await client.close()
