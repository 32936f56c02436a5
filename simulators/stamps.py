"""Timestamps inside device payloads, read and moved without decoding the whole message (pure).

Replay rebases a recording by moving `observed_at` (device clock) and `received_at` (bridge
clock, present in recordings of Kafka dumps) by one offset; everything else in the payload
stays byte for byte, so a replay is the recording. Payloads that are not JSON objects with
these fields pass unchanged (they are replayed as recorded; the bridge dead-letters them).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

# JSON keys cannot hide behind escapes here: the names are plain ASCII.
_STAMP = re.compile(rb'("(?:observed_at|received_at)"\s*:\s*")([^"]{10,40})(")')
_OBSERVED = re.compile(rb'"observed_at"\s*:\s*"([^"]{10,40})"')


def _shift_one(text: bytes, shift: timedelta) -> bytes:
    raw = text.decode("ascii", errors="replace")
    try:
        stamp = datetime.fromisoformat(raw)
    except ValueError:
        return text  # not a timestamp we can read: leave it for the bridge to judge
    moved = stamp + shift
    spec = "microseconds" if moved.microsecond or "." in raw else "seconds"
    out = moved.isoformat(timespec=spec)
    if raw.endswith("Z") and out.endswith("+00:00"):
        out = out[: -len("+00:00")] + "Z"
    return out.encode("ascii")


def shift_stamps(payload: bytes, shift_s: float) -> bytes:
    """The payload with its `observed_at` / `received_at` moved by `shift_s` seconds."""
    if not shift_s or b"_at" not in payload:
        return payload
    shift = timedelta(seconds=shift_s)
    return _STAMP.sub(lambda m: m.group(1) + _shift_one(m.group(2), shift) + m.group(3), payload)


def observed_s(payload: bytes) -> float | None:
    """`observed_at` as Unix seconds, None when absent, unreadable or without a timezone."""
    match = _OBSERVED.search(payload)
    if match is None:
        return None
    try:
        stamp = datetime.fromisoformat(match.group(1).decode("ascii", errors="replace"))
    except ValueError:
        return None
    return stamp.timestamp() if stamp.tzinfo is not None else None
