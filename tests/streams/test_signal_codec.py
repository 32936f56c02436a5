"""The signals' wire form: pydantic-core's JSON writes the bytes json.dumps wrote and reads
them back to the same Signal, bad bytes named as before (docs/PERFORMANCE.md, "Worker")."""

from __future__ import annotations

import json
import random
from typing import TypeVar

import pytest

from events.deadletter import DeadLetterReason
from events.errors import ContractViolation
from streams.codec import read_signal, write_signal
from streams.detectors.model import FireLevel, Place, Signal, SignalKind

T = TypeVar("T")


def _signal(rng: random.Random) -> Signal:
    def maybe(value: T) -> T | None:
        return value if rng.random() < 0.7 else None

    device = f"dev-{rng.randrange(10**6):06d}"
    return Signal(
        rng.choice(list(SignalKind)),
        device,
        Place(
            f"c{rng.randrange(50)}",
            maybe(f"gw{rng.randrange(500)}"),
            maybe(f"b{rng.randrange(5000)}"),
            maybe(rng.randrange(-10, 200)),
            maybe(f"a{rng.randrange(50000)}"),
            device,
        ),
        rng.uniform(0, 4e9) if rng.random() < 0.5 else float(rng.randrange(2**31)),
        rng.choice(("", f"{device}:{rng.randrange(2**40)}")),
        flag=rng.random() < 0.5,
        level=rng.choice(("", *FireLevel, "fire_door_nc", "stuck")),
        is_locks_released=rng.random() < 0.5,
        is_gateway=rng.random() < 0.5,
    )


def test_signals_round_trip_as_they_did_through_json() -> None:
    rng = random.Random(17)
    for _ in range(2_000):
        signal = _signal(rng)
        raw = write_signal(signal)
        assert raw == json.dumps(signal.to_dict(), separators=(",", ":")).encode()
        assert read_signal(raw) == signal == Signal.from_dict(json.loads(raw))


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not a signal", DeadLetterReason.INVALID_JSON),
        (b'{"kind": "door"', DeadLetterReason.INVALID_JSON),
        (b'\xff{"kind": "door"}', DeadLetterReason.INVALID_JSON),
        (b"[1, 2]", DeadLetterReason.NOT_AN_OBJECT),
        (b'{"kind": "door"}', DeadLetterReason.MISSING_FIELD),
        (b'{"kind": "comet", "device_id": "d", "compound_id": "c", "at_s": 1}', "missing_field"),
        (b'{"kind": ["door"], "device_id": "d", "compound_id": "c", "at_s": 1}', "missing_field"),
    ],
)
def test_bad_signal_bytes_are_named(payload: bytes, reason: str) -> None:
    with pytest.raises(ContractViolation) as caught:
        read_signal(payload)
    assert caught.value.reason == reason
