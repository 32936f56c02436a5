"""The simulated gateway's buffer: what it can resend, bounded like a real ring."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from events.commands import ResendRequest
from simulators.mqtt.gateway_buffer import ReadingBuffer


def _ask(device: str, first: int, last: int) -> ResendRequest:
    return ResendRequest(
        request_id="r",
        compound_id="c1",
        gateway_id="gw1",
        device_id=device,
        from_seq=first,
        to_seq=last,
        requested_at=datetime(2026, 1, 1, tzinfo=UTC),
        requested_by="b",
    )


def test_the_same_bytes_come_back_in_seq_order_and_only_what_is_held() -> None:
    buffer = ReadingBuffer(capacity=100)
    for seq in (1, 2, 4, 5):
        buffer.keep("d1", seq, f"t/{seq}", f"p{seq}".encode(), 1)
    buffer.keep("d2", 3, "t/other", b"other", 1)
    held = buffer.take(_ask("d1", 2, 5))
    assert [(h.topic, h.payload) for h in held] == [("t/2", b"p2"), ("t/4", b"p4"), ("t/5", b"p5")]


def test_the_oldest_readings_go_first_when_the_buffer_is_full() -> None:
    buffer = ReadingBuffer(capacity=3)
    for seq in range(10):
        buffer.keep("d1", seq, "t", str(seq).encode(), 1)
    assert len(buffer) == 3
    assert [h.payload for h in buffer.take(_ask("d1", 0, 9))] == [b"7", b"8", b"9"]


def test_a_request_range_must_be_a_range() -> None:
    with pytest.raises(ValueError, match="below from_seq"):
        _ask("d1", 5, 4)
