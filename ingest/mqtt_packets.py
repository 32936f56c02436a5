"""Decoding the two fields of an MQTT PUBLISH the bridge needs, straight from the bytes.

Pure functions over a buffer (MQTT v5 §1.5.5 Variable Byte Integer, §3.3 PUBLISH); paho is not
involved. The bridge reads the topic, packet id and payload and skips the properties: paho
would build a v5 Properties object per message, the largest single cost in a profile, and the
bridge uses none of them.
"""

from __future__ import annotations

from collections.abc import Callable

PublishHook = Callable[[bytes, bytes, int, bool, bool, int], None]
"""(topic bytes, payload, qos, is_retained, is_dup, mid) of one PUBLISH."""

PUBLISH_TYPE = 0x30
QOS_MASK = 0x06
RETAIN_FLAG = 0x01
DUP_FLAG = 0x08


def remaining_length(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """(offset after the length, length) of a fixed header's Remaining Length (§1.5.5);
    offset -1 when the bytes are not all there yet or the length is malformed."""
    length, mult = 0, 1
    for i in range(pos, min(pos + 4, end)):
        byte = buf[i]
        length += (byte & 0x7F) * mult
        if not byte & 0x80:
            return i + 1, length
        mult *= 128
    return -1, 0


def publish_head(
    packet: bytes | bytearray, start: int, qos: int, is_v5: bool
) -> tuple[int, bytes, int]:
    """Offset of the payload, the topic and the packet id of a PUBLISH (§3.3.2); IndexError
    when the packet is shorter than its own header says."""
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
