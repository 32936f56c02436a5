"""paho-mqtt driven by the asyncio loop (no network thread), with two hot-path shortcuts.

Why no `loop_start()` thread: the bridge's Kafka writes and its MQTT acknowledgements then live
on one thread, so nothing waits on a lock and nothing can block the thread that writes acks.

The shortcuts lean on paho 2.x internals (pinned `<3` in pyproject; tests cover both):
- reads are buffered: paho reads each packet with three recv() calls (type, length, body);
  one 64 KiB recv() serves many packets.
- complete PUBLISH packets already in the buffer are handed over in one loop
  (`drain_publishes`), skipping paho's per-packet read state machine.
- PUBLISH is decoded here, not by paho: paho builds a v5 Properties object per message (the
  largest single cost in a profile); the bridge needs none of them. QoS 2 and anything
  unexpected fall back to paho's own handler.
- acknowledgements are coalesced: PUBACKs of a batch go out as one write, still in receive
  order (MQTT 3.1.1 §4.6, v5 §4.6: PUBACKs in the order the PUBLISHes arrived).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import time
from collections.abc import Callable, Iterable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from events.connections import MqttConnection

log = logging.getLogger(__name__)

_PUBACK = struct.Struct("!BBH")
_PUBACK_TYPE = 0x40
_PUBLISH_TYPE = 0x30
_QOS_MASK = 0x06
_RETAIN = 0x01
_DUP = 0x08

PublishHook = Callable[[bytes, bytes, int, bool, bool, int], None]
"""(topic bytes, payload, qos, is_retained, is_dup, mid) of one PUBLISH."""
_READ_CHUNK_BYTES = 64 * 1024


class BufferedClient(mqtt.Client):
    """A paho Client whose reads come from a user-space buffer and whose acks batch."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rbuf = b""
        self._rpos = 0
        self._rbuf_sock: object = None
        self.on_publish_fast: PublishHook | None = None

    def has_buffered(self) -> bool:
        return self._rpos < len(self._rbuf)

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._rbuf_sock is not self._sock:  # a new connection: old bytes are void
            self._rbuf, self._rpos, self._rbuf_sock = b"", 0, self._sock
        if self._rpos >= len(self._rbuf):
            data = super()._sock_recv(_READ_CHUNK_BYTES)
            pending = getattr(self._sock, "pending", None)
            # TLS: decrypted bytes held by the SSL object never make the socket readable.
            while data and pending is not None and pending() > 0:
                data += super()._sock_recv(_READ_CHUNK_BYTES)
            self._rbuf, self._rpos = data, 0
            if not data:
                return data
        end = self._rpos + bufsize
        chunk = self._rbuf[self._rpos : end]
        self._rpos += len(chunk)
        return chunk

    def drain_publishes(self) -> int:
        """Hand every complete QoS 0/1 PUBLISH in the buffer to the hook; stop at anything
        else (paho handles it). Returns how many were handed over."""
        hook = self.on_publish_fast
        if hook is None or self._in_packet["command"] != 0:
            return 0  # paho is in the middle of a packet: let it finish
        buf, pos, count = self._rbuf, self._rpos, 0
        end = len(buf)
        is_v5 = self._protocol == mqtt.MQTTv5
        while pos < end:
            header = buf[pos]
            qos = (header & _QOS_MASK) >> 1
            if header & 0xF0 != _PUBLISH_TYPE or qos > 1:
                break
            body, length = _remaining_length(buf, pos + 1, end)
            if body < 0 or body + length > end:
                break  # incomplete (or malformed: paho will say so)
            payload_at, topic, mid = _publish_head(buf, body, qos, is_v5)
            packet_end = body + length
            hook(
                topic,
                buf[payload_at:packet_end],
                qos,
                bool(header & _RETAIN),
                bool(header & _DUP),
                mid,
            )
            pos = packet_end
            count += 1
        self._rpos = pos
        if count:
            self._last_bytes_received = time.monotonic()  # paho keepalive bookkeeping
        return count

    def _handle_publish(self) -> MQTTErrorCode:
        hook = self.on_publish_fast
        header = self._in_packet["command"]
        qos = (header & _QOS_MASK) >> 1
        if hook is None or qos > 1:
            return super()._handle_publish()
        packet = self._in_packet["packet"]
        try:
            pos, topic, mid = _publish_head(packet, 0, qos, self._protocol == mqtt.MQTTv5)
        except IndexError:
            return MQTTErrorCode.MQTT_ERR_PROTOCOL
        hook(topic, bytes(packet[pos:]), qos, bool(header & _RETAIN), bool(header & _DUP), mid)
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def ack_many(self, mids: Iterable[int]) -> None:
        """PUBACK (reason Success, v5 §3.4.2.1: may be omitted) for each mid, one write."""
        packet = b"".join(_PUBACK.pack(_PUBACK_TYPE, 2, mid) for mid in mids)
        if packet:
            self._packet_queue(_PUBACK_TYPE, packet, 0, 0)


def _remaining_length(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """(offset after the length, length) of a fixed header's Remaining Length (v5 §1.5.5);
    offset -1 when the bytes are not all there yet or the length is malformed."""
    length, mult = 0, 1
    for i in range(pos, min(pos + 4, end)):
        byte = buf[i]
        length += (byte & 0x7F) * mult
        if not byte & 0x80:
            return i + 1, length
        mult *= 128
    return -1, 0


def _publish_head(
    packet: bytes | bytearray, start: int, qos: int, is_v5: bool
) -> tuple[int, bytes, int]:
    """Offset of the payload, the topic and the packet id of a PUBLISH (MQTT v5 §3.3.2)."""
    pos = start + 2 + int.from_bytes(packet[start : start + 2], "big")
    topic = bytes(packet[start + 2 : pos])
    mid = 0
    if qos:
        mid = int.from_bytes(packet[pos : pos + 2], "big")
        pos += 2
    if is_v5:  # skip the properties: a variable byte integer length, then the bytes
        length, mult = 0, 1
        while True:
            byte = packet[pos]
            pos += 1
            length += (byte & 0x7F) * mult
            if not byte & 0x80:
                break
            mult *= 128
        pos += length
    if pos > len(packet):
        raise IndexError("PUBLISH shorter than its header")
    return pos, topic, mid


class AsyncioDriver:
    """Wires a paho client's socket into the asyncio loop (paho's external-loop API)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        client: BufferedClient,
        on_readable: Callable[[], None],
    ) -> None:
        self.loop = loop
        self.client = client
        self._on_readable = on_readable
        self._misc: asyncio.Task[None] | None = None
        self._sock: socket.socket | None = None
        client.on_socket_open = self._socket_open
        client.on_socket_close = self._socket_close
        client.on_socket_register_write = self._register_write
        client.on_socket_unregister_write = self._unregister_write

    def _socket_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._sock = sock
        self.loop.add_reader(sock, self._on_readable)
        self._misc = self.loop.create_task(self._misc_loop())

    def _socket_close(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self.loop.remove_reader(sock)
        self.loop.remove_writer(sock)
        self._sock = None
        if self._misc is not None:
            self._misc.cancel()
            self._misc = None

    def _register_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self.loop.add_writer(sock, self._writable)

    def _unregister_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self.loop.remove_writer(sock)

    def _writable(self) -> None:
        self.client.loop_write()

    def pause_reading(self) -> None:
        if self._sock is not None:
            self.loop.remove_reader(self._sock)

    async def _misc_loop(self) -> None:
        # Keepalive pings and dead-connection detection (paho's loop_misc), once a second.
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                if self.client.loop_misc() != mqtt.MQTT_ERR_SUCCESS:
                    return
                await asyncio.sleep(1.0)


def connect_properties(session_expiry_s: int, receive_maximum: int) -> Properties:
    """CONNECT properties of a persistent, flow-controlled session (MQTT v5 §3.1.2.11)."""
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = session_expiry_s
    props.ReceiveMaximum = receive_maximum
    return props


def make_client(client_id: str, conn: MqttConnection) -> BufferedClient:
    client = BufferedClient(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        manual_ack=True,
    )
    if conn.username is not None:
        password = conn.password.get_secret_value() if conn.password is not None else None
        client.username_pw_set(conn.username, password)
    if conn.uses_tls:
        client.tls_set(
            ca_certs=str(conn.tls_ca_file),
            certfile=str(conn.tls_cert_file) if conn.tls_cert_file else None,
            keyfile=str(conn.tls_key_file) if conn.tls_key_file else None,
        )
        client.tls_insecure_set(conn.tls_insecure)
    return client
