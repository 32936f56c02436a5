"""Every use of paho-mqtt's private API, in one module: the bridge's buffered, batching client.

Checked against paho-mqtt 2.2.0; supported: SUPPORTED, pyproject's `>=2.1,<3` (2.1 has the same
internals). tests/ingest/test_paho_compat.py fails loudly when any of it moves: the version,
the signatures and attributes used here, and the behaviour on a real Mosquitto.

1. Buffered reads (`_sock_recv`): paho reads each packet with three recv() calls (type,
   length, body); one 64 KiB recv() serves many packets. Over TLS, bytes the SSL object already
   decrypted never make the socket readable again, so they are read out too (`pending()`).
2. PUBLISH handed over raw (`drain_publishes`, `_handle_publish`, `_in_packet`): complete QoS
   0/1 PUBLISH packets in the buffer go straight to a hook, skipping paho's per-packet state
   machine and its v5 Properties object per message (ingest/mqtt_packets.py decodes them).
   QoS 2 and anything unexpected fall back to paho's own handler.
3. Coalesced PUBACKs (`_packet_queue`): the acks of a batch go out as one write, in the order
   the PUBLISHes arrived (MQTT 3.1.1 §4.6, v5 §4.6). paho's public `ack(mid, qos)` queues one
   packet per call.
4. Keep-alive bookkeeping (`_last_bytes_received`): the fast path consumes bytes paho never
   sees, so it tells paho's `loop_misc` the connection is alive.
5. A receive gate (`_sock_recv` at a packet boundary, `_in_packet`): while the lane's window is
   full, no PUBLISH is handed to paho or to the hook; other packets (PINGRESP, SUBACK) still
   are. Mosquitto 2.0.11 breaks MQTT v5 Receive Maximum (§4.9): once a subscriber's queue is
   not empty, every PUBACK releases up to a whole window of queued messages (measured: 163
   acks with Receive Maximum 100 released 14,462 messages). The gate keeps the window ours.

What would let it go (no upstream issue found for any of it in paho.mqtt.python): a client
that reads a buffer per recv() and hands over a PUBLISH without building its properties (or
builds them lazily), and an `ack_many(mids)`. Until then, this module is the whole surface.
"""

from __future__ import annotations

import errno
import struct
import time
from collections.abc import Iterable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode

from ingest.mqtt_packets import (
    DUP_FLAG,
    PUBLISH_TYPE,
    QOS_MASK,
    RETAIN_FLAG,
    PublishHook,
    publish_head,
    remaining_length,
)
from runtime.versions import SupportedRange

SUPPORTED: dict[str, SupportedRange] = {"paho-mqtt": ("2.1", "3")}
_PUBACK = struct.Struct("!BBH")
_PUBACK_TYPE = 0x40
_READ_CHUNK_BYTES = 64 * 1024


class BufferedClient(mqtt.Client):
    """A paho Client whose reads come from a user-space buffer and whose acks batch."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rbuf = b""
        self._rpos = 0
        self._rbuf_sock: object = None
        self.on_publish_fast: PublishHook | None = None
        # Closed by the lane while its window of unacknowledged messages is full (item 5).
        self.is_publish_gate_open = True

    def has_buffered(self) -> bool:
        return self._rpos < len(self._rbuf)

    def is_publish_held(self) -> bool:
        """A PUBLISH waits at the head of the buffer and the gate is closed: the caller stops
        watching the socket until it opens the gate again (else readability spins)."""
        return (
            not self.is_publish_gate_open
            and self._in_packet["command"] == 0
            and self.has_buffered()
            and self._rbuf[self._rpos] & 0xF0 == PUBLISH_TYPE
        )

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
        if self.is_publish_held():
            # paho asks for the first byte of a PUBLISH while the window is full: "would
            # block" makes it return MQTT_ERR_AGAIN and keeps the packet for later (item 5).
            raise BlockingIOError(errno.EAGAIN, "receive window full")
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
        while pos < end and self.is_publish_gate_open:
            header = buf[pos]
            qos = (header & QOS_MASK) >> 1
            if header & 0xF0 != PUBLISH_TYPE or qos > 1:
                break
            body, length = remaining_length(buf, pos + 1, end)
            if body < 0 or body + length > end:
                break  # incomplete (or malformed: paho will say so)
            payload_at, topic, mid = publish_head(buf, body, qos, is_v5)
            packet_end = body + length
            hook(
                topic,
                buf[payload_at:packet_end],
                qos,
                bool(header & RETAIN_FLAG),
                bool(header & DUP_FLAG),
                mid,
            )
            pos = packet_end
            count += 1
        self._rpos = pos
        if count:
            self._last_bytes_received = time.monotonic()  # item 4: paho's own clock
        return count

    def _handle_publish(self) -> MQTTErrorCode:
        hook = self.on_publish_fast
        header = self._in_packet["command"]
        qos = (header & QOS_MASK) >> 1
        if hook is None or qos > 1:
            return super()._handle_publish()
        packet = self._in_packet["packet"]
        try:
            pos, topic, mid = publish_head(packet, 0, qos, self._protocol == mqtt.MQTTv5)
        except IndexError:
            return MQTTErrorCode.MQTT_ERR_PROTOCOL
        hook(
            topic,
            bytes(packet[pos:]),
            qos,
            bool(header & RETAIN_FLAG),
            bool(header & DUP_FLAG),
            mid,
        )
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def ack_many(self, mids: Iterable[int]) -> None:
        """PUBACK (reason Success, v5 §3.4.2.1: may be omitted) for each mid, one write."""
        packet = b"".join(_PUBACK.pack(_PUBACK_TYPE, 2, mid) for mid in mids)
        if packet:
            self._packet_queue(_PUBACK_TYPE, packet, 0, 0)
